/* pdisk region specs (pdisk_region.h). */
#include <hvlab/errno.h>
#include "pdisk_region.h"
#include "strutil.h"

int pdisk_region_check(const char *spec, unsigned nr_disks, const uint64_t *disk_sectors,
                       unsigned *disk, uint64_t *start, uint64_t *sectors,
                       char *why, size_t whylen)
{
    const char *p = spec, *colon, *plus;
    uint64_t n, s = 0, len;

    if (strncmp(p, "vd", 2) != 0) {
        fmt_snprintf(why, whylen, "%s: expected vd<N>[:<start>+<sectors>]", spec);
        return -EINVAL;
    }
    p += 2;
    colon = strchr(p, ':');
    size_t nlen = colon ? (size_t)(colon - p) : strlen(p);
    if (nlen == 0 || str_to_u64(p, nlen, false, &n)) {
        fmt_snprintf(why, whylen, "%s: expected a disk number after 'vd'", spec);
        return -EINVAL;
    }
    if (n >= nr_disks) {
        fmt_snprintf(why, whylen, "vd%lu: no such disk (%u found)", (unsigned long)n, nr_disks);
        return -EINVAL;
    }
    uint64_t size = disk_sectors[n];
    len = size;
    if (colon) {
        plus = strchr(colon + 1, '+');
        if (!plus || plus == colon + 1 || plus[1] == '\0' ||
            str_to_u64(colon + 1, (size_t)(plus - colon - 1), false, &s) ||
            str_to_dec(plus + 1, &len)) {
            fmt_snprintf(why, whylen, "%s: expected vd<N>:<start>+<sectors> (decimal)", spec);
            return -EINVAL;
        }
        if (len == 0) {
            fmt_snprintf(why, whylen, "%s: an empty region", spec);
            return -EINVAL;
        }
        if (s > size || len > size - s) {
            fmt_snprintf(why, whylen, "%s: past the disk's end (%lu sectors)", spec,
                         (unsigned long)size);
            return -EINVAL;
        }
    }
    *disk = (unsigned)n;
    *start = s;
    *sectors = len;
    return 0;
}
