/* Disk specifications (dom0/xlcfg_disk.c): the strings of a cfg file's
 * `disk = [...]` and of `xl block-attach`, in Xen's key=value form
 *     'target=vd0:2048+4096, vdev=xvda, access=rw'
 * keys separated by commas (blanks around them ignored): target (required: a region
 * of one of dom0's physical disks, "vd<N>" or "vd<N>:<start>+<sectors>",
 * dom0/pdisk.h; whether that disk and region exist is checked when the domain is
 * created, against pdisk), vdev (required: xvd<a-p> a PV disk for blkfront, hd<a-d>
 * an emulated ATA disk for an HVM domain's device model), access (r/ro or w/rw,
 * default rw). Pure: host-tested with the cfg parser (tests/unit/test_xlcfg.c). */
#ifndef DOM0_XLCFG_DISK_H
#define DOM0_XLCFG_DISK_H

#include "xlcfg.h"

/* Parses one spec into *d (d->line is left alone): 0, or -EINVAL with the problem
 * in why, e.g. "unknown key 'mode'", "vdev 'sda': expected xvd<a-p> or hd<a-d>". */
int xlcfg_disk_parse(const char *spec, struct xlcfg_disk *d, char *why, size_t whylen);

/* xl block-attach's spec: words (a command line split at blanks) joined with
 * blanks, quotes dropped, then parsed as above; a PV vdev only. */
int xlcfg_disk_parse_words(int nr, char *const *words, struct xlcfg_disk *d, char *why,
                           size_t whylen);

/* The syntax of a target: disk number, start and sectors (whole: the whole disk,
 * start and sectors 0). 0, or -EINVAL with the problem in why. */
int xlcfg_disk_target(const char *target, unsigned *disk, uint64_t *start,
                      uint64_t *sectors, bool *whole, char *why, size_t whylen);

/* A vdev's device id, Xen's numbering (xvda 51712 = 202 << 8, xvdb 51728, ...
 * xvdp: the 16 of the short form; hda 768, hdb 832, ...),
 * or -EINVAL for a name that is neither. */
int xlcfg_disk_devid(const char *vdev);
/* True for a PV disk (xvd*), served by blkback; false for an emulated one (hd*). */
bool xlcfg_disk_is_pv(const char *vdev);

#endif
