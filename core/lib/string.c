/* The C string functions for the hypervisor (host tests use libc's).
 *
 * memcpy/memset/memmove are "rep movs"/"rep stos": fast on every CPU with ERMSB,
 * short, and, unlike a C loop, never turned back into a call to themselves by gcc's
 * loop-idiom recognition. Whole 8-byte words go by "q": under -icount every
 * iteration of a string instruction counts as one instruction, so zeroing a page
 * byte by byte cost 4096 "instructions" and dominated domain creation; by words it
 * costs 512. The direction flag is clear on entry by the ABI; memmove sets it only
 * around its backward copy. */
#include <hvlab/lib.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / 8, rest = n % 8;

    asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(rest) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    size_t words = n / 8, rest = n % 8;
    uint64_t pattern = 0x0101010101010101ULL * (uint8_t)c;

    asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    asm volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(pattern) : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

    /* Forward is safe unless dst starts inside [src, src + n). */
    if (d - s >= n)
        return memcpy(dst, src, n);
    if (n) {
        d += n - 1;
        s += n - 1;
        asm volatile("std; rep movsb; cld"
                     : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

/* Bytes compare as unsigned char, as C requires. */
int strcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    for (; n; n--, x++, y++)
        if (*x != *y || !*x)
            return *x - *y;
    return 0;
}

/* Finds c == '\0' too: the terminator is part of the string. */
char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
