/* Small helpers: the start_info command line, number parsing, errno names. (The
 * string functions come from core/lib/string.c, built into libguest.a as is.) */
#include <guest.h>

unsigned long long strtoull(const char *s, char **end, int base)
{
    unsigned long long v = 0;

    while (*s == ' ')
        s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = 10;
    }
    for (;; s++) {
        int d;

        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'z')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'Z')
            d = *s - 'A' + 10;
        else
            break;
        if (d >= base)
            break;
        v = v * base + d;
    }
    if (end)
        *end = (char *)s;
    return v;
}

bool guest_arg(const char *key, char *buf, size_t len)
{
    const char *s = start_info->cmdline, *end = s + strnlen(s, sizeof(start_info->cmdline));
    size_t klen = strlen(key);
    bool found = false;

    if (!klen || strchr(key, '=') || strchr(key, ' '))
        return false;

    while (s < end) {
        const char *tok = s, *tok_end;

        while (tok < end && *tok == ' ')
            tok++;
        tok_end = tok;
        while (tok_end < end && *tok_end != ' ')
            tok_end++;
        if ((size_t)(tok_end - tok) >= klen && memcmp(tok, key, klen) == 0 &&
            (tok + klen == tok_end || tok[klen] == '=')) {
            const char *val = tok + klen + (tok + klen < tok_end);
            size_t n = MIN((size_t)(tok_end - val), len ? len - 1 : 0);

            if (len) {
                memcpy(buf, val, n);
                buf[n] = 0;
            }
            found = true;
        }
        s = tok_end;
    }
    return found;
}

uint64_t guest_arg_uint(const char *key, uint64_t def)
{
    char buf[32], *end;
    uint64_t v;

    if (!guest_arg(key, buf, sizeof(buf)) || !buf[0])
        return def;
    v = strtoull(buf, &end, 0);
    if (*end) {
        printf("bad number in %s=%s, using %llu\n", key, buf, (unsigned long long)def);
        return def;
    }
    return v;
}

const char *errno_name(long err)
{
    static const struct { int e; const char *name; } names[] = {
        { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
        { EINTR, "EINTR" }, { EIO, "EIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" },
        { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
        { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
        { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
        { ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { ENOTEMPTY, "ENOTEMPTY" },
        { EOVERFLOW, "EOVERFLOW" }, { EOPNOTSUPP, "EOPNOTSUPP" }, { ETIMEDOUT, "ETIMEDOUT" },
    };

    if (err >= 0)
        return "ok";
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
        if (-err == names[i].e)
            return names[i].name;
    return "E?";
}
