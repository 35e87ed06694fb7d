/* Small string helpers for dom0's parsers; see strutil.h. */
#include <hvlab/errno.h>
#include "strutil.h"

int str_to_u64(const char *s, size_t len, bool c_prefixes, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (c_prefixes && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    } else if (c_prefixes && len > 1 && s[0] == '0') {
        base = 8;
    }
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)hex_digit(s[i]);
        if (d >= base)
            return -EINVAL;
        if (v > (UINT64_MAX - d) / base)
            return -ERANGE;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

bool str_copy(char *dst, size_t size, const char *src, size_t len)
{
    bool fits = len < size;

    if (size == 0)
        return false;
    if (!fits)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return fits;
}

const char *str_errno(int err)
{
    static const struct { int err; const char *name; } names[] = {
        { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
        { EINTR, "EINTR" }, { EIO, "EIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" },
        { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
        { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
        { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
        { ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { ENOTEMPTY, "ENOTEMPTY" },
        { EOVERFLOW, "EOVERFLOW" }, { ETIMEDOUT, "ETIMEDOUT" },
    };
    static char other[24];

    if (err < 0)
        err = -err;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (names[i].err == err)
            return names[i].name;
    fmt_snprintf(other, sizeof(other), "error %d", err);
    return other;
}
