/* The disk benchmark's core; see disk_run.h.
 *
 * Every request is one 4 KiB page (8 sectors) at a 4 KiB-aligned offset inside the
 * first `span` sectors of the device (at most 8 MiB, so a run touches the same
 * region on every path). A case keeps qd requests in flight: each completion
 * submits the next until reqs were issued. Time is guest_now_ns (under -icount:
 * instructions executed by the whole machine, so ns_per_req is the path length of
 * one request across guest, hypervisor and dom0). Written pages carry their sector
 * number and a seed in every 8-byte word; seqread checks them. */
#include "disk_run.h"

#define SPAN_MAX_SECTORS (8ULL << 20 >> 9)

static const char *const op_names[DB_NR_OPS] = { "seqwrite", "seqread", "randwrite",
                                                 "randread" };

struct dbcase {
    struct blkdev *d;
    enum diskbench_op op;
    uint64_t span_pages, next_seq, rng;
    uint32_t issued, done, errors, verify_errors, reqs;
    uint64_t seed;
    struct blkreq r[DISKBENCH_MAX_QD];
    void *buf[DISKBENCH_MAX_QD];
};

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: cheap, and the same sequence on every path. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

static void fill(uint64_t *w, uint64_t sector, uint64_t seed)
{
    for (unsigned i = 0; i < 4096 / 8; i++)
        w[i] = (sector + i / 64) ^ (seed << 32) ^ 0x5a5a000000000000ULL;
}

static unsigned check(const uint64_t *w, uint64_t sector, uint64_t seed)
{
    for (unsigned i = 0; i < 4096 / 8; i++)
        if (w[i] != ((sector + i / 64) ^ (seed << 32) ^ 0x5a5a000000000000ULL))
            return 1;
    return 0;
}

static void case_done(struct blkreq *r);

static int case_issue(struct dbcase *c, unsigned slot)
{
    struct blkreq *r = &c->r[slot];
    bool write = c->op == DB_SEQWRITE || c->op == DB_RANDWRITE;
    bool seq = c->op == DB_SEQWRITE || c->op == DB_SEQREAD;
    uint64_t page = seq ? c->next_seq++ % c->span_pages : rng_next(&c->rng) % c->span_pages;

    memset(r, 0, sizeof(*r));
    r->write = write;
    r->sector = page * 8;
    r->nr_sectors = 8;
    r->buf = c->buf[slot];
    r->done = case_done;
    r->arg = c;
    if (write)
        fill(r->buf, r->sector, c->seed);
    c->issued++;
    return blkdev_submit(c->d, r);
}

static void case_done(struct blkreq *r)
{
    struct dbcase *c = r->arg;
    unsigned slot = (unsigned)(r - c->r);

    c->done++;
    if (r->status)
        c->errors++;
    else if (c->op == DB_SEQREAD)
        c->verify_errors += check(r->buf, r->sector, c->seed);
    if (c->issued < c->reqs && case_issue(c, slot) < 0)
        c->errors++, c->done++;
}

/* This vCPU's running time (runstate): under a hypervisor, the time it held a pCPU,
 * the hypervisor's work for it included; natively, the time not halted. 0 if the
 * runtime cannot tell. */
static uint64_t own_running_ns(void)
{
    struct vcpu_runstate_info ri;

    return vcpu_runstate(0, &ri) ? 0 : (uint64_t)ri.time[RUNSTATE_running];
}

static int run_case(struct dbcase *c, unsigned qd, const struct diskbench_opts *o)
{
    uint64_t t0, ns, run0;
    int rc;

    c->issued = c->done = c->errors = c->verify_errors = 0;
    c->next_seq = 0;
    c->rng = o->seed * 2654435761ULL + 1;
    c->reqs = o->reqs;
    qd = MIN(qd, c->d->max_inflight);
    run0 = own_running_ns();
    t0 = guest_now_ns();
    for (unsigned i = 0; i < qd && c->issued < c->reqs; i++)
        if ((rc = case_issue(c, i)) < 0) {
            printf("diskbench: %s: submit failed: %s\n", c->d->name, errno_name(rc));
            return rc;
        }
    while (c->done < c->issued)
        if ((rc = blkdev_wait(c->d, guest_now_ns() + 10000000000ULL)) < 0) {
            printf("diskbench: %s: %u of %u requests never completed (%s)\n", c->d->name,
                   c->issued - c->done, c->issued, errno_name(rc));
            return rc;
        }
    ns = guest_now_ns() - t0;
    run0 = own_running_ns() - run0;
    printf("result bench=disk mode=%s dev=%s op=%s qd=%u reqs=%u bytes=%llu ns=%llu "
           "iops=%llu ns_per_req=%llu errors=%u verify_errors=%u run_ns=%llu\n",
           o->mode, c->d->name, op_names[c->op], qd, c->done,
           (unsigned long long)c->done * 4096, (unsigned long long)ns,
           (unsigned long long)(ns ? c->done * 1000000000ULL / ns : 0),
           (unsigned long long)(c->done ? ns / c->done : 0), c->errors, c->verify_errors,
           (unsigned long long)run0);
    return c->errors || c->verify_errors;
}

int diskbench_run(struct blkdev *d, const struct diskbench_opts *o)
{
    static struct dbcase c;
    int failed = 0, rc;

    memset(&c, 0, sizeof(c));
    c.d = d;
    c.seed = o->seed;
    c.span_pages = MIN(d->sectors, SPAN_MAX_SECTORS) / 8;
    if (!c.span_pages) {
        printf("diskbench: %s: too small (%llu sectors)\n", d->name,
               (unsigned long long)d->sectors);
        return 1;
    }
    for (unsigned i = 0; i < DISKBENCH_MAX_QD; i++)
        if (!c.buf[i] && !(c.buf[i] = alloc_page())) {
            printf("diskbench: out of pages\n");
            return 1;
        }
    for (unsigned q = 0; q < ARRAY_SIZE(o->qds); q++)
        for (unsigned op = 0; op < DB_NR_OPS && o->qds[q]; op++) {
            if (!(o->ops & (1u << op)))
                continue;
            if ((op == DB_SEQWRITE || op == DB_RANDWRITE) && d->readonly)
                continue;
            c.op = op;
            if ((rc = run_case(&c, o->qds[q], o)) != 0)
                failed++;
        }
    for (unsigned i = 0; i < DISKBENCH_MAX_QD; i++)
        free_page(c.buf[i]);
    return failed;
}

void diskbench_opts_init(struct diskbench_opts *o, const char *mode)
{
    memset(o, 0, sizeof(*o));
    o->mode = mode;
    o->reqs = 256;
    o->seed = 1;
    o->ops = (1u << DB_NR_OPS) - 1;
    o->qds[0] = 1;
    o->qds[1] = DISKBENCH_MAX_QD;
}

static int parse_uint(const char *val, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;

    if (!*val)
        return -EINVAL;
    *out = strtoull(val, &end, 0);
    return *end || *out < lo || *out > hi ? -EINVAL : 0;
}

int diskbench_opt(struct diskbench_opts *o, const char *key, const char *val)
{
    char buf[64], *p, *comma;
    uint64_t v;

    if (!strcmp(key, "reqs")) {
        if (parse_uint(val, 1, 1000000, &v))
            return -EINVAL;
        o->reqs = (uint32_t)v;
    } else if (!strcmp(key, "seed")) {
        if (parse_uint(val, 0, ~0ULL, &v))
            return -EINVAL;
        o->seed = v;
    } else if (!strcmp(key, "ops")) {
        unsigned ops = 0;

        snprintf(buf, sizeof(buf), "%s", val);
        for (p = buf; p && *p; p = comma) {
            unsigned i;

            if ((comma = strchr(p, ',')))
                *comma++ = '\0';
            for (i = 0; i < DB_NR_OPS && strcmp(p, op_names[i]); i++)
                ;
            if (i == DB_NR_OPS)
                return -EINVAL;
            ops |= 1u << i;
        }
        if (!ops)
            return -EINVAL;
        o->ops = ops;
    } else if (!strcmp(key, "qd")) {
        unsigned qds[2] = { 0, 0 };

        snprintf(buf, sizeof(buf), "%s", val);
        if ((comma = strchr(buf, ',')))
            *comma++ = '\0';
        if (parse_uint(buf, 1, DISKBENCH_MAX_QD, &v))
            return -EINVAL;
        qds[0] = (unsigned)v;
        if (comma) {
            if (parse_uint(comma, 1, DISKBENCH_MAX_QD, &v))
                return -EINVAL;
            qds[1] = (unsigned)v;
        }
        o->qds[0] = qds[0];
        o->qds[1] = qds[1];
    } else {
        return -ENOENT;
    }
    return 0;
}

void diskbench_opts_from_args(struct diskbench_opts *o, const char *mode)
{
    static const char *const keys[] = { "reqs", "seed", "ops", "qd" };
    char buf[64];

    diskbench_opts_init(o, mode);
    for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
        if (guest_arg(keys[i], buf, sizeof(buf)) && diskbench_opt(o, keys[i], buf) < 0)
            printf("diskbench: bad %s=%s (ignored)\n", keys[i], buf);
}
