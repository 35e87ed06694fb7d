/* The isolation tests' reporting and shared helpers (see isolation.h), used by the domU
 * guest (isolation.c, isolation_values.c), the dom0 one (isolation_dom0.c) and
 * hvframes.c. */
#include "isolation.h"

static unsigned passed, failed;

void result(const char *name, bool ok, const char *fmt, ...)
{
    char what[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    printf("isolation: %s %s (%s)\n", name, ok ? "ok" : "FAILED", what);
    if (ok)
        passed++;
    else
        failed++;
}

void expect(const char *name, long rc, const int *allowed, unsigned n)
{
    bool ok = n == 0 ? rc < 0 : false;

    for (unsigned i = 0; i < n; i++)
        if (rc == -allowed[i])
            ok = true;
    if (ok) {
        result(name, true, "%ld %s", rc, errno_name(rc));
    } else if (n) {
        char want[64];
        int len = 0;

        want[0] = 0;
        for (unsigned i = 0; i < n && len < (int)sizeof(want); i++)
            len += snprintf(want + len, sizeof(want) - len, "%s-%s", i ? " or " : "",
                            errno_name(-allowed[i]));
        result(name, false, "returned %ld %s, expected %s", rc, rc < 0 ? errno_name(rc) : "",
               want);
    } else {
        result(name, false, "returned %ld, expected an error", rc);
    }
}

uint64_t l1e_of(uint64_t va)
{
    const uint64_t *e;
    uint64_t ma;

    return pt_l1e(va, false, &e, &ma) == 0 ? *e : ~0ULL;
}

unsigned report_summary(void)
{
    printf("isolation: %u passed, %u failed\n", passed, failed);
    return failed;
}
