/* xl pdisk-list, pdisk-write, pdisk-read: dom0's physical disks (pdisk.h), for people
 * and for tests that check data on the host's image file.
 *   pdisk-write <region> <sector> <text> [<sectors>]  fills the sectors with text repeated
 *   pdisk-read <region> <sector> [<sectors>]          prints the first 48 bytes and an
 *                                                      FNV-1a hash of all of them */
#include "dom0.h"
#include "pdisk.h"
#include "strutil.h"
#include "xl.h"

#define XL_PDISK_MAX_SECTORS 64

static uint8_t xl_pdisk_buf[XL_PDISK_MAX_SECTORS * 512];

static int xl_pdisk_args(int argc, char **argv, int nth, struct pdisk_region *g,
                         uint64_t *sector, uint32_t *n)
{
    char why[96];
    uint64_t v = 1;

    if (pdisk_region_parse(argv[1], false, g, why, sizeof(why)) < 0) {
        printf("%s: %s\n", argv[0], why);
        return -EINVAL;
    }
    if (str_to_dec(argv[2], sector) || *sector >= g->sectors) {
        printf("%s: sector '%s' is not in %s (%lu sectors)\n", argv[0], argv[2], argv[1],
               (unsigned long)g->sectors);
        return -EINVAL;
    }
    if (argc > nth && (str_to_dec(argv[nth], &v) || v == 0 || v > XL_PDISK_MAX_SECTORS ||
                       v > g->sectors - *sector)) {
        printf("%s: '%s' sectors: 1..%u within the region\n", argv[0], argv[nth],
               XL_PDISK_MAX_SECTORS);
        return -EINVAL;
    }
    *n = (uint32_t)v;
    return 0;
}

int xl_pdisk_list(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    pdisk_print_list();
    return 0;
}

int xl_pdisk_write(int argc, char **argv)
{
    struct pdisk_region g;
    uint64_t sector;
    uint32_t n;
    int rc = xl_pdisk_args(argc, argv, 4, &g, &sector, &n);
    size_t tl = strlen(argv[3]);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n * 512u; i++)
        xl_pdisk_buf[i] = (uint8_t)argv[3][i % tl];
    if ((rc = pdisk_rw_sync(&g, true, sector, xl_pdisk_buf, n)) < 0) {
        printf("pdisk-write: %s sector %lu: %s\n", argv[1], (unsigned long)sector,
               str_errno(rc));
        return rc;
    }
    printf("pdisk-write: %s sector %lu: %u sector%s written\n", argv[1],
           (unsigned long)sector, n, n == 1 ? "" : "s");
    return 0;
}

int xl_pdisk_read(int argc, char **argv)
{
    struct pdisk_region g;
    uint64_t sector, hash = 0xcbf29ce484222325ull;
    uint32_t n;
    char text[49];
    int rc = xl_pdisk_args(argc, argv, 3, &g, &sector, &n);

    if (rc < 0)
        return rc;
    if ((rc = pdisk_rw_sync(&g, false, sector, xl_pdisk_buf, n)) < 0) {
        printf("pdisk-read: %s sector %lu: %s\n", argv[1], (unsigned long)sector,
               str_errno(rc));
        return rc;
    }
    for (size_t i = 0; i < n * 512u; i++)
        hash = (hash ^ xl_pdisk_buf[i]) * 0x100000001b3ull;
    for (size_t i = 0; i < sizeof(text) - 1; i++)
        text[i] = xl_pdisk_buf[i] >= 0x20 && xl_pdisk_buf[i] < 0x7f ? (char)xl_pdisk_buf[i] : '.';
    text[sizeof(text) - 1] = '\0';
    printf("pdisk-read: %s sector %lu +%u: \"%s\" fnv=%016lx\n", argv[1],
           (unsigned long)sector, n, text, (unsigned long)hash);
    return 0;
}
