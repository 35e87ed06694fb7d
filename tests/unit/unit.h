/* Minimal table-driven unit-test harness (STYLE 13). A test file defines
 *   static const struct unit_case cases[] = { { "name", fn }, ... };
 *   UNIT_MAIN(cases)
 * and uses CHECK()/CHECK_EQ() inside each case. A failing check prints the file, line,
 * the expression and both values, marks the case failed, and the case goes on, so one
 * run shows every failure. The last line is "<file>: N passed, N failed". */
#ifndef HVLAB_UNIT_H
#define HVLAB_UNIT_H

#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct unit_case { const char *name; void (*fn)(void); };

extern int unit_failed_checks;

#define CHECK(expr) do {                                                      \
    if (!(expr)) {                                                            \
        printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr);     \
        unit_failed_checks++;                                                 \
    } } while (0)

#define CHECK_EQ(a, b) do {                                                   \
    long long va_ = (long long)(a), vb_ = (long long)(b);                     \
    if (va_ != vb_) {                                                         \
        printf("  %s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n",            \
               __FILE__, __LINE__, #a, #b, va_, vb_);                         \
        unit_failed_checks++;                                                 \
    } } while (0)

#define CHECK_STREQ(a, b) do {                                                \
    const char *sa_ = (a), *sb_ = (b);                                        \
    if (strcmp(sa_, sb_) != 0) {                                              \
        printf("  %s:%d: CHECK_STREQ(%s, %s) failed: \"%s\" != \"%s\"\n",     \
               __FILE__, __LINE__, #a, #b, sa_, sb_);                         \
        unit_failed_checks++;                                                 \
    } } while (0)

/* True when fn() panics: run in a child, since panic() aborts (host_stubs.c). */
static inline bool unit_panics(void (*fn)(void))
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(2);
        fn();
        _exit(0);
    }
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

#define UNIT_MAIN(cases)                                                      \
    int unit_failed_checks;                                                   \
    int main(void)                                                            \
    {                                                                         \
        int passed = 0, failed = 0;                                           \
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {      \
            int before = unit_failed_checks;                                  \
            cases[i].fn();                                                    \
            if (unit_failed_checks == before) {                               \
                passed++;                                                     \
            } else {                                                          \
                failed++;                                                     \
                printf("FAIL %s\n", cases[i].name);                           \
            }                                                                 \
        }                                                                     \
        printf("%s: %d passed, %d failed\n", __FILE__, passed, failed);       \
        return failed ? 1 : 0;                                                \
    }

#endif
