/* Store calls built on the basic ones (guest/include/store.h): shared by the domU
 * client and dom0's in-process store, which link this file alike. */
#include <guest.h>
#include <store.h>

int store_read_uint(const char *path, uint64_t *val)
{
    char buf[32], *end;
    long n = store_read(path, buf, sizeof(buf));

    if (n < 0)
        return (int)n;
    if (n == 0 || n >= (long)sizeof(buf) - 1)
        return -EINVAL;
    *val = strtoull(buf, &end, 0);
    return *end ? -EINVAL : 0;
}

int store_printf(const char *path, const char *fmt, ...)
{
    char buf[STORE_PAYLOAD_MAX - STORE_PATH_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        return -E2BIG;
    return store_write(path, buf);
}
