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

/* ---- pdisk-qd: asynchronous requests at a queue depth ---- */

#define XL_QD_MAX_REQS 256
#define XL_QD_MAX_DEPTH 128

struct qd_run {
    unsigned inflight, done, errors, max_inflight;
};

static void qd_done(struct pdisk_req *r)
{
    struct qd_run *run = r->arg;

    run->inflight--;
    run->done++;
    if (r->status)
        run->errors++;
}

/* nreq 4 KiB requests over sectors sector.. of g, at most depth at once: writes
 * (pages filled with text and the request's index) or reads into pages. */
static int qd_pass(const struct pdisk_region *g, bool write, uint64_t sector, unsigned nreq,
                   unsigned depth, uint8_t *pages, struct pdisk_req *reqs, struct qd_run *run)
{
    unsigned next = 0;
    uint64_t deadline = guest_now_ns() + 30000000000ull;

    *run = (struct qd_run){ 0 };
    while (run->done < nreq) {
        while (next < nreq && run->inflight < depth) {
            struct pdisk_req *r = &reqs[next];
            *r = (struct pdisk_req){ .write = write, .sector = sector + next * 8ull,
                                     .nr_sectors = 8, .nr_segs = 1, .done = qd_done,
                                     .arg = run };
            r->seg[0].maddr = virt_to_maddr(pages + (size_t)next * PAGE_SIZE);
            r->seg[0].len = PAGE_SIZE;
            int rc = pdisk_submit(g, r);
            if (rc < 0)
                return rc;
            next++;
            run->inflight++;
            run->max_inflight = MAX(run->max_inflight, run->inflight);
        }
        if (guest_now_ns() >= deadline)
            return -ETIMEDOUT;
        dom0_block_until(deadline);
    }
    return run->errors ? -EIO : 0;
}

int xl_pdisk_qd(int argc, char **argv)
{
    static uint8_t *pages;
    static struct pdisk_req reqs[XL_QD_MAX_REQS];
    struct pdisk_region g;
    uint64_t sector, nreq, depth;
    struct qd_run wr, rd;
    char why[96];
    size_t tl = strlen(argv[5]);
    int rc;

    (void)argc;
    if (pdisk_region_parse(argv[1], false, &g, why, sizeof(why)) < 0) {
        printf("%s: %s\n", argv[0], why);
        return -EINVAL;
    }
    if (str_to_dec(argv[2], &sector) || str_to_dec(argv[3], &nreq) || nreq == 0 ||
        nreq > XL_QD_MAX_REQS || str_to_dec(argv[4], &depth) || depth == 0 ||
        depth > XL_QD_MAX_DEPTH || sector > g.sectors || nreq * 8 > g.sectors - sector) {
        printf("%s: <sector> <requests 1..%u> <depth 1..%u>, within %s (%lu sectors)\n",
               argv[0], XL_QD_MAX_REQS, XL_QD_MAX_DEPTH, argv[1], (unsigned long)g.sectors);
        return -EINVAL;
    }
    if (!pages && !(pages = alloc_pages(XL_QD_MAX_REQS))) {
        printf("%s: no memory for %u pages\n", argv[0], XL_QD_MAX_REQS);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nreq * PAGE_SIZE; i++)
        pages[i] = (uint8_t)argv[5][i % tl];
    for (unsigned i = 0; i < nreq; i++)         /* each page says which request it was */
        snprintf((char *)pages + (size_t)i * PAGE_SIZE, 16, "#%04u", i);
    uint64_t t0 = guest_now_ns();
    if ((rc = qd_pass(&g, true, sector, (unsigned)nreq, (unsigned)depth, pages, reqs, &wr)) < 0) {
        printf("pdisk-qd: writes: %s after %u\n", str_errno(rc), wr.done);
        return rc;
    }
    uint64_t t1 = guest_now_ns();
    memset(pages, 0, nreq * PAGE_SIZE);
    if ((rc = qd_pass(&g, false, sector, (unsigned)nreq, (unsigned)depth, pages, reqs, &rd)) < 0) {
        printf("pdisk-qd: reads: %s after %u\n", str_errno(rc), rd.done);
        return rc;
    }
    uint64_t t2 = guest_now_ns();
    unsigned bad = 0;
    for (unsigned i = 0; i < nreq; i++) {
        char want[16];
        snprintf(want, sizeof(want), "#%04u", i);
        const uint8_t *p = pages + (size_t)i * PAGE_SIZE;
        bool ok = memcmp(p, want, strlen(want) + 1) == 0;
        for (size_t k = 16; k < PAGE_SIZE && ok; k++)
            ok = p[k] == (uint8_t)argv[5][((size_t)i * PAGE_SIZE + k) % tl];
        bad += !ok;
    }
    printf("pdisk-qd: %lu writes and %lu reads of 4 KiB at depth %lu (in flight at most "
           "%u, %u): %s; writes %lu ns, reads %lu ns\n", (unsigned long)nreq,
           (unsigned long)nreq, (unsigned long)depth, wr.max_inflight, rd.max_inflight,
           bad ? "DATA DIFFERS" : "data ok", (unsigned long)(t1 - t0), (unsigned long)(t2 - t1));
    return bad ? -EIO : 0;
}

/* ---- pdisk-flush ---- */

static void flush_done(struct pdisk_req *r)
{
    *(volatile bool *)r->arg = true;
}

int xl_pdisk_flush(int argc, char **argv)
{
    struct pdisk_region g;
    volatile bool done = false;
    struct pdisk_req r = { .done = flush_done, .arg = (void *)&done };
    char why[96];
    int rc;

    (void)argc;
    if (pdisk_region_parse(argv[1], true, &g, why, sizeof(why)) < 0) {
        printf("%s: %s\n", argv[0], why);
        return -EINVAL;
    }
    uint64_t t0 = guest_now_ns(), deadline = t0 + 10000000000ull;
    if ((rc = pdisk_flush(&g, &r)) < 0) {
        printf("pdisk-flush: %s: %s\n", argv[1], str_errno(rc));
        return rc;
    }
    while (!done && guest_now_ns() < deadline)
        dom0_block_until(deadline);
    if (!done) {
        printf("pdisk-flush: %s: no answer in 10 s\n", argv[1]);
        return -ETIMEDOUT;
    }
    if (r.status) {
        printf("pdisk-flush: %s: %s\n", argv[1], str_errno(r.status));
        return r.status;
    }
    printf("pdisk-flush: %s: done in %lu ns\n", argv[1], (unsigned long)(guest_now_ns() - t0));
    return 0;
}
