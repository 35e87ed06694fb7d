/* The virtio-blk driver of the guest runtime on the bare machine (the native build:
 * QEMU boots this image directly, no hypervisor; tests/boot/test_pdisk.py attaches
 * an image as vd0): the same guest/virtio_blk.c dom0 uses, through blkdev.h, with
 * real port I/O, physical DMA addresses and polling (no pirq natively).
 * Writes text= over sector wsector=, reads back, reads rsector= (the host's), and
 * prints "vblk: <what>" lines; exit 0 when everything matched. */
#include <blkdev.h>
#include <virtio_blk.h>

int main(const struct start_info *si)
{
    char text[64];
    uint64_t wsector = guest_arg_uint("wsector", 400), rsector = guest_arg_uint("rsector", 200);
    uint8_t *w = alloc_page(), *r = alloc_page();
    int rc;

    (void)si;
    if (!guest_arg("text", text, sizeof(text)) || !text[0])
        snprintf(text, sizeof(text), "NATIVE-VIRTIO/");
    unsigned n = (unsigned)blkdev_probe_all();
    struct blkdev *d = blkdev_find("vda");
    printf("vblk: %u disk%s, vda %s, %lu sectors, %s\n", n, n == 1 ? "" : "s",
           d ? "found" : "missing", d ? (unsigned long)d->sectors : 0ul,
           n && vblk_irq(vblk_get(0)) < 0 ? "polled" : "interrupt");
    if (!d || !w || !r)
        return 1;
    size_t tl = strlen(text);
    for (unsigned i = 0; i < 512; i++)
        w[i] = (uint8_t)text[i % tl];
    uint64_t t0 = guest_now_ns();
    if ((rc = blkdev_rw(d, true, wsector, 1, w)) < 0) {
        printf("vblk: write of sector %lu failed: %s\n", (unsigned long)wsector, errno_name(rc));
        return 1;
    }
    uint64_t t1 = guest_now_ns();
    if ((rc = blkdev_rw(d, false, wsector, 1, r)) < 0 || memcmp(r, w, 512) != 0) {
        printf("vblk: read back of sector %lu: %s\n", (unsigned long)wsector,
               rc < 0 ? errno_name(rc) : "different data");
        return 1;
    }
    uint64_t t2 = guest_now_ns();
    if ((rc = blkdev_rw(d, false, rsector, 1, r)) < 0) {
        printf("vblk: read of sector %lu failed: %s\n", (unsigned long)rsector, errno_name(rc));
        return 1;
    }
    char shown[33];
    for (unsigned i = 0; i < 32; i++)
        shown[i] = r[i] >= 0x20 && r[i] < 0x7f ? (char)r[i] : '.';
    shown[32] = '\0';
    printf("vblk: wrote sector %lu, read it back: same\n", (unsigned long)wsector);
    printf("vblk: sector %lu: \"%s\"\n", (unsigned long)rsector, shown);
    printf("vblk: write %lu ns, read %lu ns; %lu requests, %lu bytes\n",
           (unsigned long)(t1 - t0), (unsigned long)(t2 - t1), (unsigned long)d->reqs_done,
           (unsigned long)d->bytes_done);
    return 0;
}
