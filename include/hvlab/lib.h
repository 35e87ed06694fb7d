/* Small helpers used everywhere: sizes, alignment, string functions, formatting. */
#ifndef HVLAB_LIB_H
#define HVLAB_LIB_H

#include <stdarg.h>
#include "types.h"

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)
#define __used          __attribute__((used))
#define __section(s)    __attribute__((section(s)))
#define __noreturn      __attribute__((noreturn))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

/* A hexadecimal digit's value, or -1. Inline: the hypervisor, guests and host tests
 * (which link no core/lib/string.c) share it. */
static inline int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A MAC address "xx:xx:xx:xx:xx:xx" in s[0..len): 0, or -1 if len is not 17 or the
 * text is anything else (dom0's vif entries, netfront's store key). */
static inline int mac_parse(const char *s, size_t len, uint8_t mac[6])
{
    if (len != 17)
        return -1;
    for (unsigned i = 0; i < 6; i++) {
        int hi = hex_digit(s[3 * i]), lo = hi < 0 ? -1 : hex_digit(s[3 * i + 1]);

        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* The C string functions: from core/lib/string.c in the hypervisor, from libc on the host. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* core/lib/vsnprintf.c: our own formatter (kernel subset of C99 printf, see there). */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
