/* Arguments of arinc653-set and arinc653-get; see arinc653_args.h. Every message
 * starts with the command's name and, for a window, its number (from 0, as the
 * hypervisor's bad_entry counts) and its text. */
#include <hvlab/errno.h>
#include "arinc653_args.h"
#include "strutil.h"

/* The first c in s[0..len), or NULL (the guest library has no memchr). */
static const char *find_char(const char *s, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == c)
            return s + i;
    return NULL;
}

/* One "<dom>[:<vcpu>]=<runtime_us>" of len characters at s into window i of a. */
static int window_parse(const char *cmd, const char *s, size_t len, struct arinc653_args *a,
                        char *err, size_t errlen)
{
    const char *eq = find_char(s, len, '='), *colon;
    unsigned i = a->n;
    uint64_t us, vcpu = ARINC653_ALL_VCPUS;

    if (i == ARINC653_MAX_ENTRIES) {
        fmt_snprintf(err, errlen, "%s: more than %u windows", cmd, ARINC653_MAX_ENTRIES);
        return -EINVAL;
    }
    if (!eq || eq == s) {
        fmt_snprintf(err, errlen, "%s: window %u (\"%.*s\"): expected <dom>=<runtime_us> "
                     "or <dom>:<vcpu>=<runtime_us>", cmd, i, (int)len, s);
        return -EINVAL;
    }
    colon = find_char(s, (size_t)(eq - s), ':');
    if (colon && (str_to_u64(colon + 1, (size_t)(eq - colon - 1), false, &vcpu) ||
                  vcpu >= ARINC653_ALL_VCPUS)) {
        fmt_snprintf(err, errlen, "%s: window %u (\"%.*s\"): bad vCPU number", cmd, i,
                     (int)len, s);
        return -EINVAL;
    }
    size_t dlen = (size_t)((colon ? colon : eq) - s);
    if (!dlen || !str_copy(a->w[i].dom, sizeof(a->w[i].dom), s, dlen)) {
        fmt_snprintf(err, errlen, "%s: window %u (\"%.*s\"): bad domain", cmd, i, (int)len, s);
        return -EINVAL;
    }
    if (str_to_u64(eq + 1, (size_t)(s + len - eq - 1), false, &us) || us > UINT32_MAX) {
        fmt_snprintf(err, errlen, "%s: window %u (\"%.*s\"): expected a runtime in us",
                     cmd, i, (int)len, s);
        return -EINVAL;
    }
    if (us < ARINC653_MIN_RUNTIME_US) {
        fmt_snprintf(err, errlen, "%s: window %u (\"%.*s\"): runtime %llu us is under the "
                     "minimum, %u us", cmd, i, (int)len, s, (unsigned long long)us,
                     ARINC653_MIN_RUNTIME_US);
        return -EINVAL;
    }
    a->w[i].vcpu = (uint16_t)vcpu;
    a->w[i].runtime_us = (uint32_t)us;
    a->n++;
    return 0;
}

int arinc653_args_parse(int argc, char *const *argv, struct arinc653_args *a, char *err,
                        size_t errlen)
{
    const char *cmd = argv[0];
    bool set = strcmp(cmd, "arinc653-set") == 0;
    uint64_t major, sum = 0;
    int i = 1;

    memset(a, 0, sizeof(*a));
    if (i < argc && strcmp(argv[i], "-p") == 0) {
        if (i + 1 >= argc) {
            fmt_snprintf(err, errlen, "%s: -p needs a pool name or id", cmd);
            return -EINVAL;
        }
        a->pool = argv[i + 1];
        i += 2;
    }
    if (!set) {
        if (i < argc) {
            fmt_snprintf(err, errlen, "%s: unexpected \"%s\" (usage: arinc653-get "
                         "[-p <pool>])", cmd, argv[i]);
            return -EINVAL;
        }
        return 0;
    }
    if (i >= argc || str_to_dec(argv[i], &major) || !major || major > ARINC653_MAX_FRAME_US) {
        fmt_snprintf(err, errlen, "%s: expected a major frame of 1..%u us, got \"%s\"", cmd,
                     ARINC653_MAX_FRAME_US, i < argc ? argv[i] : "");
        return -EINVAL;
    }
    a->major_us = (uint32_t)major;
    for (i++; i < argc; i++)
        for (const char *p = argv[i], *end; *p; p = *end ? end + 1 : end) {
            end = strchr(p, ',');
            if (!end)
                end = p + strlen(p);
            if (window_parse(cmd, p, (size_t)(end - p), a, err, errlen))
                return -EINVAL;
            sum += a->w[a->n - 1].runtime_us;
            if (sum > a->major_us) {
                fmt_snprintf(err, errlen, "%s: window %u (\"%.*s\") ends at %llu us, past "
                             "the major frame of %u us", cmd, a->n - 1, (int)(end - p), p,
                             (unsigned long long)sum, a->major_us);
                return -EINVAL;
            }
        }
    if (!a->n) {
        fmt_snprintf(err, errlen, "%s: no windows (usage: arinc653-set [-p <pool>] "
                     "<major_us> <dom>[:<vcpu>]=<runtime_us> ...)", cmd);
        return -EINVAL;
    }
    return 0;
}
