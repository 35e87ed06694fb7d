/* Disk specifications: `disk = [...]` in cfg files and `xl block-attach`'s spec
 * (syntax in xlcfg_disk.h).
 *
 * Design: a spec is split at commas into key=value items, each checked on its own;
 * the cfg key's setter parses each list entry with the same function and adds the
 * checks across entries (how many, a vdev used twice). Whether the target's disk
 * and region exist is not known here (the parser runs before dom0 looks at its
 * disks, and on the host): the domain's creation checks that against pdisk.
 *
 * Locking: none (pure). */
#include <hvlab/errno.h>
#include "strutil.h"
#include "xlcfg_disk.h"

#define DISK_MAX_DISKS 100u             /* vd0..vd99: more than pdisk will ever find */

static int why_set(char *why, size_t whylen, const char *fmt, ...) __printf(3, 4);
static int why_set(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* A decimal number s[0..len) (no sign, no prefix): 0 or -EINVAL. */
static int dec(const char *s, size_t len, uint64_t *out)
{
    return len && len <= 19 && !str_to_u64(s, len, false, out) ? 0 : -EINVAL;
}

int xlcfg_disk_target(const char *target, unsigned *disk, uint64_t *start,
                      uint64_t *sectors, bool *whole, char *why, size_t whylen)
{
    const char *p = target + 2, *colon, *plus;
    uint64_t n;

    if (strncmp(target, "vd", 2) != 0)
        return why_set(why, whylen, "target '%s': expected vd<N> or vd<N>:<start>+<sectors>",
                       target);
    colon = strchr(p, ':');
    if (dec(p, colon ? (size_t)(colon - p) : strlen(p), &n) || n >= DISK_MAX_DISKS)
        return why_set(why, whylen, "target '%s': expected a disk number after 'vd' "
                       "(vd0..vd%u)", target, DISK_MAX_DISKS - 1);
    *disk = (unsigned)n;
    *whole = !colon;
    *start = *sectors = 0;
    if (!colon)
        return 0;
    plus = strchr(colon + 1, '+');
    if (!plus || dec(colon + 1, (size_t)(plus - colon - 1), start) ||
        dec(plus + 1, strlen(plus + 1), sectors))
        return why_set(why, whylen, "target '%s': expected vd<N>:<start>+<sectors> "
                       "(decimal 512-byte sectors)", target);
    if (*sectors == 0)
        return why_set(why, whylen, "target '%s': a region of 0 sectors", target);
    if (*start + *sectors < *start)
        return why_set(why, whylen, "target '%s': the region wraps around", target);
    return 0;
}

int xlcfg_disk_devid(const char *vdev)
{
    size_t len = strlen(vdev);

    if (len == 4 && strncmp(vdev, "xvd", 3) == 0 && vdev[3] >= 'a' && vdev[3] <= 'p')
        return (202 << 8) | ((vdev[3] - 'a') << 4);
    if (len == 3 && strncmp(vdev, "hd", 2) == 0 && vdev[2] >= 'a' && vdev[2] <= 'd')
        return (3 << 8) + (vdev[2] - 'a') * 64;
    return -EINVAL;
}

bool xlcfg_disk_is_pv(const char *vdev)
{
    return strncmp(vdev, "xvd", 3) == 0;
}

/* One item "key=value" s[0..len) (trimmed) into *d; seen: the keys given so far. */
static int disk_item(const char *s, size_t len, struct xlcfg_disk *d, unsigned *seen,
                     char *why, size_t whylen)
{
    static const char *const names[] = { "target", "vdev", "access" };
    const char *eq = s;
    char value[XLCFG_SPEC_MAX];
    size_t klen, vlen;
    unsigned k;

    while (eq < s + len && *eq != '=')
        eq++;
    if (eq == s + len)
        return why_set(why, whylen, "'%.*s': expected key=value", (int)len, s);
    klen = (size_t)(eq - s);
    while (klen && str_is_blank(s[klen - 1]))
        klen--;
    for (k = 0; k < ARRAY_SIZE(names); k++)
        if (strlen(names[k]) == klen && strncmp(names[k], s, klen) == 0)
            break;
    if (k == ARRAY_SIZE(names))
        return why_set(why, whylen, "unknown key '%.*s' (target, vdev, access)",
                       (int)klen, s);
    if (*seen & (1u << k))
        return why_set(why, whylen, "key '%s' given twice", names[k]);
    *seen |= 1u << k;
    eq++;
    vlen = len - (size_t)(eq - s);
    while (vlen && str_is_blank(*eq))
        eq++, vlen--;
    if (!str_copy(value, sizeof(value), eq, vlen))
        return why_set(why, whylen, "%s: longer than %zu characters", names[k],
                       sizeof(value) - 1);
    switch (k) {
    case 0: {
        unsigned disk;
        uint64_t start, sectors;
        bool whole;

        if (xlcfg_disk_target(value, &disk, &start, &sectors, &whole, why, whylen))
            return -EINVAL;
        return str_copy(d->target, sizeof(d->target), value, vlen) ? 0 : -EINVAL;
    }
    case 1:
        if (xlcfg_disk_devid(value) < 0)
            return why_set(why, whylen, "vdev '%s': expected xvd<a-p> (PV) or hd<a-d> "
                           "(emulated ATA)", value);
        return str_copy(d->vdev, sizeof(d->vdev), value, vlen) ? 0 : -EINVAL;
    default:
        if (!strcmp(value, "r") || !strcmp(value, "ro"))
            d->readonly = true;
        else if (!strcmp(value, "w") || !strcmp(value, "rw"))
            d->readonly = false;
        else
            return why_set(why, whylen, "access '%s': expected r, ro, w or rw", value);
        return 0;
    }
}

int xlcfg_disk_parse(const char *spec, struct xlcfg_disk *d, char *why, size_t whylen)
{
    unsigned seen = 0, line = d->line;
    const char *p = spec;

    memset(d, 0, sizeof(*d));
    d->line = line;
    for (;;) {
        const char *end = strchr(p, ','), *s = p;
        size_t len = end ? (size_t)(end - p) : strlen(p);

        while (len && str_is_blank(*s))
            s++, len--;
        while (len && str_is_blank(s[len - 1]))
            len--;
        if (len && disk_item(s, len, d, &seen, why, whylen))
            return -EINVAL;
        if (!len && (end || seen))     /* "a,,b" or a trailing comma */
            return why_set(why, whylen, "empty item in '%s'", spec);
        if (!end)
            break;
        p = end + 1;
    }
    if (!(seen & 1))
        return why_set(why, whylen, "'%s': no target=", spec);
    if (!(seen & 2))
        return why_set(why, whylen, "'%s': no vdev=", spec);
    return 0;
}

int xlcfg_disk_parse_words(int nr, char *const *words, struct xlcfg_disk *d, char *why,
                           size_t whylen)
{
    char spec[2 * XLCFG_SPEC_MAX + 32];
    size_t n = 0;

    for (int i = 0; i < nr; i++) {
        for (const char *c = words[i]; *c; c++) {
            if (*c == '\'' || *c == '"')
                continue;
            if (n + 2 >= sizeof(spec))
                return why_set(why, whylen, "spec longer than %zu characters",
                               sizeof(spec) - 2);
            spec[n++] = *c;
        }
        spec[n++] = ' ';
    }
    spec[n ? n - 1 : 0] = '\0';
    if (xlcfg_disk_parse(spec, d, why, whylen))
        return -EINVAL;
    if (!xlcfg_disk_is_pv(d->vdev))
        return why_set(why, whylen, "vdev '%s': only PV disks (xvd<a-p>) attach to a "
                       "running domain", d->vdev);
    return 0;
}
