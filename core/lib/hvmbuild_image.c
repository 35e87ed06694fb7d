/* Kernel image detection for the HVM builder: which boot protocol starts this file.
 *
 * Order: a bzImage (0xAA55 at 0x1FE and "HdrS" at 0x202, which no ELF or Multiboot
 * file has there by accident of its own format) uses the Linux 64-bit protocol; an
 * ELF with the PVH entry note uses PVH, even if it also carries a Multiboot header
 * (PVH hands over the RSDP and needs no legacy scan); otherwise a Multiboot header
 * in the first 8 KiB decides (ELF or a.out kludge). An ELF with neither, and any
 * other file, is refused with the reason. */
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>
#include <hvlab/lib.h>

static int refuse(void (*report)(void *, const char *), void *arg, const char *name,
                  const char *why)
{
    char msg[HVMBUILD_WHY_LEN + 64];

    fmt_snprintf(msg, sizeof(msg), "%s: %s", name ? name : "kernel", why);
    if (report)
        report(arg, msg);
    return -EINVAL;
}

/* An ELF kernel: PVH when it has the note, else Multiboot when it has the header. */
static int detect_elf(const void *img, size_t len, struct hvmbuild_image *out,
                      struct hvmbuild_elf *elf, char *why)
{
    long mb;
    uint64_t entry;
    int rc;

    if ((rc = hvmbuild_elf_parse(img, len, elf, why, HVMBUILD_WHY_LEN)))
        return rc;
    rc = hvmbuild_pvh_find(img, elf, &entry, why, HVMBUILD_WHY_LEN);
    if (rc == 0) {
        out->proto = HVMBUILD_PVH;
        out->format = elf->is64 ? HVMBUILD_FMT_ELF64 : HVMBUILD_FMT_ELF32;
        if ((rc = hvmbuild_elf_segments(elf, out, why, HVMBUILD_WHY_LEN)))
            return rc;
        out->entry = entry;
        return 0;
    }
    if (rc != -ENOENT)
        return rc;
    mb = hvmbuild_mb_find(img, len);
    if (mb >= 0)
        return hvmbuild_mb_parse(img, len, (uint32_t)mb, elf, out, why, HVMBUILD_WHY_LEN);
    fmt_snprintf(why, HVMBUILD_WHY_LEN, "%s image has neither a PVH entry note (ELF note "
                 "\"Xen\" type 18) nor a Multiboot header: no boot protocol to start it",
                 elf->is64 ? "ELF64" : "ELF32");
    return -EINVAL;
}

int hvmbuild_detect(const void *img, size_t len, const char *name, struct hvmbuild_image *out,
                    void (*report)(void *, const char *), void *arg)
{
    /* About 3 KiB (64 program headers): on the stack, to stay reentrant. */
    struct hvmbuild_elf elf;
    char why[HVMBUILD_WHY_LEN];
    long mb;
    int rc;

    memset(out, 0, sizeof(*out));
    out->name = name;
    out->data = img;
    out->len = len;
    why[0] = '\0';
    if (!img || len == 0)
        return refuse(report, arg, name, "empty file");
    if (hvmbuild_linux_is_bzimage(img, len))
        rc = hvmbuild_linux_parse(img, len, out, why, sizeof(why));
    else if (hvmbuild_is_elf(img, len))
        rc = detect_elf(img, len, out, &elf, why);
    else if ((mb = hvmbuild_mb_find(img, len)) >= 0)
        rc = hvmbuild_mb_parse(img, len, (uint32_t)mb, NULL, out, why, sizeof(why));
    else {
        fmt_snprintf(why, sizeof(why), "not a kernel image hvlab can boot (no ELF header, "
                     "no bzImage setup header, no Multiboot header in the first 8 KiB)");
        rc = -EINVAL;
    }
    if (rc)
        return refuse(report, arg, name, why);
    return 0;
}
