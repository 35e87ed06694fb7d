/* Small string helpers shared by dom0's parsers (cfg files, scenarios, commands).
 * Pure C on top of <hvlab/lib.h>: built into dom0 and into the host unit tests. */
#ifndef DOM0_STRUTIL_H
#define DOM0_STRUTIL_H

#include <hvlab/errno.h>
#include <hvlab/lib.h>

/* The number in s[0..len): decimal; with c_prefixes also 0x hex and 0 octal (xl's
 * NUMBER). The whole range must be digits. Returns 0, -EINVAL (not a number) or
 * -ERANGE (above UINT64_MAX). */
int str_to_u64(const char *s, size_t len, bool c_prefixes, uint64_t *out);

/* str_to_u64 of a NUL-terminated decimal string. */
static inline int str_to_dec(const char *s, uint64_t *out)
{
    return str_to_u64(s, strlen(s), false, out);
}

static inline bool str_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims blanks from both ends of s[0..*len): the new start. */
static inline const char *str_trim(const char *s, size_t *len)
{
    while (*len && str_is_blank(*s)) {
        s++;
        (*len)--;
    }
    while (*len && str_is_blank(s[*len - 1]))
        (*len)--;
    return s;
}

static inline bool str_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Copies at most size-1 bytes of src[0..len) and a NUL; false if it did not fit. */
bool str_copy(char *dst, size_t size, const char *src, size_t len);

/* "EINVAL" for -EINVAL (or EINVAL); "error 123" into a static buffer otherwise. */
const char *str_errno(int err);

#endif
