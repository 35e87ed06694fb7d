/* The disk benchmark as a guest: 4 KiB sequential and random reads and writes at
 * queue depth 1 and 32 (bench/disk_run.c) on the device dev= (default: the first the
 * runtime found: xvda through blkfront on PV and PVHVM, hda through the emulated ATA
 * disk on HVM, vda through virtio natively). mode= names the path in the result lines
 * (default: pv, or hvm for the HVM build).
 *   diskbench [dev=NAME] [mode=M] [ops=...] [qd=1,32] [reqs=N] [seed=S] */
#include <guest.h>
#include "disk_run.h"

int main(const struct start_info *si)
{
    struct diskbench_opts o;
    char dev[16], mode[16];
    struct blkdev *d;

#ifdef GUEST_HVM
    const char *def_mode = "hvm";
#else
    const char *def_mode = "pv";
#endif
    if (!guest_arg("mode", mode, sizeof(mode)))
        snprintf(mode, sizeof(mode), "%s", def_mode);
    diskbench_opts_from_args(&o, mode);
    blkdev_probe_all();
    d = blkdev_find(guest_arg("dev", dev, sizeof(dev)) ? dev : NULL);
    if (!d) {
        printf("diskbench: no block device%s%s\n", guest_arg("dev", dev, sizeof(dev)) ?
               " named " : "", guest_arg("dev", dev, sizeof(dev)) ? dev : "");
        return 1;
    }
    printf("diskbench: %s, %llu sectors, up to %u in flight\n", d->name,
           (unsigned long long)d->sectors, d->max_inflight);
    return diskbench_run(d, &o) ? 1 : 0;
}
