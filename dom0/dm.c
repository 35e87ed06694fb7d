/* The device model's core: one server per HVM domain; see dm.h and
 * docs/device-model.md.
 *
 * Design. DOMCTL_ioreq_server gives the request page (a DOMID_XEN frame, mapped
 * here writable) and one port per vCPU, bound to the hypervisor: it raises a port
 * when that vCPU's slot holds a request, and our send on the port tells it the
 * answer is there. The port handler only sets a flag (service.h); the DOM0_SERVICE
 * poll serves every READY slot: it copies the slot, checks it as if it came from the
 * guest (it describes what the guest did), finds the device whose ports hold the
 * address, moves string data between the device and the guest's page (mapped from
 * the domain's frame list at this model's scratch VA), writes the answer and sends.
 * An access no device claims reads all ones and drops writes (counted). A device
 * may have a read held while it is busy (dm_port_ops.ready): the slot goes to
 * INPROCESS, our copy waits in held[], and dm_device_changed has it looked at again.
 *
 * Guest memory: a string request names one guest page (the hypervisor splits runs
 * at page ends); its gpa is checked against the domain's RAM here too, so a wrong
 * request can make the model answer all ones, never touch memory that is not the
 * guest's.
 *
 * Locking: none. dom0 runs services on one vCPU, outside event handlers.
 * Limitations: one page of mappings per domain (remapped when a request names
 * another gfn); MMIO has no devices yet (reads all ones). */
#include "dm.h"
#include "dm_req.h"
#include "dom0.h"
#include "domhooks.h"
#include "foreign.h"
#include "service.h"
#include "strutil.h"

#define DM_HOLD_NS 20000000ull          /* dm-inject hold: 20 ms */

/* Each model maps its request page and one guest page in a 2-page window. */
#define DM_VA   (GUEST_FOREIGN_VA + GiB(6))

struct dm_range {
    uint16_t base, len;
    const struct dm_port_ops *ops;
    void *dev;
};

struct dm {
    bool used;
    hv_domid_t dom;
    unsigned idx;
    unsigned nr_vcpus;
    evtchn_port_t port[IOREQ_SERVER_PORTS];
    struct hvm_ioreq_page *page;        /* at DM_VA + idx * 2 pages */
    uint8_t *scratch;                   /* the next page: one guest frame */
    uint64_t scratch_gfn;               /* mapped there, ~0: none */
    bool scratch_writable;
    uint64_t *mfns, nr_pages;           /* the domain's frames: gfn -> mfn */
    struct dm_range range[DM_MAX_RANGES];
    unsigned nr_ranges;
    enum dm_fault fault;
    struct dm_stats st;
    struct hvm_ioreq held[IOREQ_SERVER_PORTS];  /* requests held while busy (INPROCESS) */
    bool recheck;                       /* a device changed: look at the held ones */
    uint64_t hold_until;                /* DM_FAULT_HOLD: NOW() ns, 0: none */
    bool server;                        /* DOMCTL_ioreq_server made */
};

extern const struct dm_device __start_dm_devices[], __stop_dm_devices[];

static struct dm dms[DM_MAX];
static volatile bool dm_kick;

static void dm_event(evtchn_port_t port, void *arg)
{
    dm_kick = true;
    dom0_service_kick = true;
}

hv_domid_t dm_domid(const struct dm *dm)
{
    return dm->dom;
}

unsigned dm_index(const struct dm *dm)
{
    return dm->idx;
}

static struct dm *dm_find(hv_domid_t dom)
{
    for (unsigned i = 0; i < DM_MAX; i++)
        if (dms[i].used && dms[i].dom == dom)
            return &dms[i];
    return NULL;
}

int dm_port_register(struct dm *dm, uint16_t base, uint16_t len,
                     const struct dm_port_ops *ops, void *dev)
{
    if (!len || (uint32_t)base + len > 0x10000)
        return -EINVAL;
    for (unsigned i = 0; i < dm->nr_ranges; i++)
        if (base < dm->range[i].base + dm->range[i].len && dm->range[i].base < base + len)
            return -EBUSY;
    if (dm->nr_ranges == DM_MAX_RANGES)
        return -ENOSPC;
    dm->range[dm->nr_ranges++] = (struct dm_range){ base, len, ops, dev };
    return 0;
}

void dm_set_irq(struct dm *dm, unsigned irq, bool level)
{
    struct domctl op;

    memset(&op, 0, sizeof(op));
    op.u.hvm_set_irq.irq = irq;
    op.u.hvm_set_irq.level = level;
    long rc = xl_domctl(DOMCTL_hvm_set_irq, dm->dom, &op);
    if (rc < 0)
        printf("dm: domain %u: set IRQ %u: %s\n", dm->dom, irq, str_errno((int)rc));
}

/* ---- guest memory ---- */

/* The guest's bytes [gpa, gpa + len) within one page, mapped here; NULL if that is
 * not its RAM. */
static uint8_t *dm_guest_page(struct dm *dm, uint64_t gpa, size_t len, bool write)
{
    uint64_t gfn = gpa >> PAGE_SHIFT;

    if (gfn >= dm->nr_pages || (gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
        return NULL;
    if (gfn != dm->scratch_gfn || (write && !dm->scratch_writable)) {
        if (map_foreign_page(dm->dom, dm->mfns[gfn], (uint64_t)(uintptr_t)dm->scratch,
                             true) < 0) {
            dm->scratch_gfn = ~0ull;
            return NULL;
        }
        dm->scratch_gfn = gfn;
        dm->scratch_writable = true;
    }
    return dm->scratch + (gpa & (PAGE_SIZE - 1));
}

/* ---- serving one request ---- */

static const struct dm_range *dm_range_of(const struct dm *dm, uint64_t port)
{
    for (unsigned i = 0; i < dm->nr_ranges; i++)
        if (port - dm->range[i].base < dm->range[i].len)
            return &dm->range[i];
    return NULL;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* count elements of size bytes from src to dst; with df, in reverse order (element i
 * of one is element count - 1 - i of the other). */
static void dm_elements(uint8_t *dst, const uint8_t *src, size_t count, unsigned size, bool df)
{
    if (!df) {
        memcpy(dst, src, count * size);
        return;
    }
    for (size_t i = 0; i < count; i++)
        memcpy(dst + i * size, src + (count - 1 - i) * size, size);
}

/* String I/O: count elements between the device and the guest's page. The guest's
 * element i is at data + i * size (data - i * size with df); the buffer handed to
 * the device is in element order. */
static void dm_string(struct dm *dm, const struct dm_range *r, const struct hvm_ioreq *q)
{
    static uint8_t buf[PAGE_SIZE];
    size_t bytes = (size_t)q->count * q->size;
    uint64_t lo = q->df ? q->data - (bytes - q->size) : q->data;
    uint8_t *g = dm_guest_page(dm, lo, bytes, q->dir == IOREQ_READ);
    size_t n = 0;

    dm->st.strings++;
    if (!g) {
        dm->st.bad_requests++;
        return;                         /* not its RAM: nothing moves */
    }
    if (q->dir == IOREQ_WRITE) {
        dm_elements(buf, g, q->count, q->size, q->df);
        if (r && r->ops->string_out)
            n = r->ops->string_out(r->dev, (uint16_t)q->addr, q->size, buf, q->count);
        else
            for (; r && n < q->count; n++) {
                uint32_t v = 0;
                memcpy(&v, buf + n * q->size, q->size);
                r->ops->write(r->dev, (uint16_t)q->addr, q->size, v);
            }
    } else {
        if (r && r->ops->string_in)
            n = r->ops->string_in(r->dev, (uint16_t)q->addr, q->size, buf, q->count);
        else
            for (; r && n < q->count; n++) {
                uint32_t v = r->ops->read(r->dev, (uint16_t)q->addr, q->size);
                memcpy(buf + n * q->size, &v, q->size);
            }
        memset(buf + n * q->size, 0xff, bytes - n * q->size);
        dm_elements(g, buf, q->count, q->size, q->df);
    }
    dm->st.string_bytes += bytes;
}

/* Serves the request in q (a copy of the slot); returns the answer's data. */
static uint64_t dm_serve(struct dm *dm, const struct hvm_ioreq *q)
{
    const struct dm_range *r;

    dm->st.requests++;
    if (!dm_request_ok(q, dm->nr_pages)) {
        dm->st.bad_requests++;
        return q->dir == IOREQ_READ && !q->data_is_ptr ? size_mask(q->size) : q->data;
    }
    if (q->type == IOREQ_TYPE_MMIO) {   /* no MMIO devices yet: an empty bus */
        dm->st.mmio++;
        dm->st.unclaimed++;
        return q->dir == IOREQ_READ ? size_mask(q->size) : q->data;
    }
    r = dm_range_of(dm, q->addr);
    if (!r)
        dm->st.unclaimed++;
    if (q->data_is_ptr) {
        dm_string(dm, r, q);
        return q->data;
    }
    dm->st.pio++;
    if (q->dir == IOREQ_WRITE) {
        if (r)
            r->ops->write(r->dev, (uint16_t)q->addr, q->size, (uint32_t)q->data);
        return q->data;
    }
    return r ? r->ops->read(r->dev, (uint16_t)q->addr, q->size) & size_mask(q->size)
             : size_mask(q->size);
}

/* A request whose device is busy is held (INPROCESS) rather than answered "busy":
 * the vCPU stays blocked instead of polling through the model. Only accesses that
 * change nothing are held (the device says which), so holding reorders nothing. */
static bool dm_hold(struct dm *dm, unsigned v, const struct hvm_ioreq *q)
{
    const struct dm_range *r;

    if (dm->fault == DM_FAULT_HOLD) {   /* injected: held until hold_until */
        dm->fault = DM_FAULT_NONE;
        dm->hold_until = guest_now_ns() + DM_HOLD_NS;
        printf("dm: domain %u: holding a request for %llu ms (injected)\n", dm->dom,
               (unsigned long long)(DM_HOLD_NS / 1000000));
        dm->held[v] = *q;
        dm->st.held++;
        return true;
    }
    if (q->type != IOREQ_TYPE_PIO || q->addr > 0xffff || !(r = dm_range_of(dm, q->addr)) ||
        !r->ops->ready || r->ops->ready(r->dev, (uint16_t)q->addr))
        return false;
    dm->held[v] = *q;
    dm->st.held++;
    return true;
}

void dm_device_changed(struct dm *dm)
{
    dm->recheck = true;
    dm_kick = true;
    dom0_service_kick = true;
}

static void dm_poll_one(struct dm *dm)
{
    bool recheck = dm->recheck;

    dm->recheck = false;
    for (unsigned v = 0; v < dm->nr_vcpus; v++) {
        struct hvm_ioreq *slot = &dm->page->slot[v];
        uint8_t st = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
        struct hvm_ioreq q;
        if (st == IOREQ_STATE_READY) {
            q = *slot;                  /* copied before it is looked at */
            if (dm_hold(dm, v, &q)) {
                __atomic_store_n(&slot->state, IOREQ_STATE_INPROCESS, __ATOMIC_RELEASE);
                continue;
            }
        } else if (st == IOREQ_STATE_INPROCESS && recheck) {
            q = dm->held[v];            /* ours: the slot is not read again */
            const struct dm_range *r = dm_range_of(dm, q.addr);
            if (dm->hold_until && guest_now_ns() < dm->hold_until)
                continue;
            dm->hold_until = 0;
            if (r && r->ops->ready && !r->ops->ready(r->dev, (uint16_t)q.addr))
                continue;
        } else {
            continue;
        }
        uint64_t data = dm_serve(dm, &q);
        slot->data = data;
        uint8_t state = IOREQ_STATE_RESP_READY;
        if (dm->fault == DM_FAULT_STATE)
            state = 0x5a;
        else if (dm->fault == DM_FAULT_SIZE)
            slot->size = (uint8_t)(q.size == 4 ? 2 : 4);
        if (dm->fault != DM_FAULT_NONE)
            printf("dm: domain %u: answering with injected fault %s\n", dm->dom,
                   dm->fault == DM_FAULT_STATE ? "bad-state" : "bad-size");
        dm->fault = DM_FAULT_NONE;
        __atomic_store_n(&slot->state, state, __ATOMIC_RELEASE);
        evtchn_send(dm->port[v]);
    }
}

/* An injected hold ends at its deadline: dom0 wakes for it. */
static uint64_t dm_deadline(void)
{
    uint64_t best = 0;

    for (unsigned i = 0; i < DM_MAX; i++)
        if (dms[i].used && dms[i].hold_until && (!best || dms[i].hold_until < best))
            best = dms[i].hold_until;
    return best;
}

static void dm_poll(void)
{
    for (unsigned i = 0; i < DM_MAX; i++)
        if (dms[i].used && dms[i].hold_until && guest_now_ns() >= dms[i].hold_until) {
            dms[i].recheck = true;
            dm_kick = true;
        }
    if (!dm_kick)
        return;
    dm_kick = false;
    for (unsigned i = 0; i < DM_MAX; i++)
        if (dms[i].used && dms[i].server)
            dm_poll_one(&dms[i]);
}

DOM0_SERVICE(dm, dm_poll, dm_deadline);

/* ---- attach and detach ---- */

static int dm_frame_list(struct dm *dm, const char *who)
{
    struct domctl_getdomaininfo di;
    struct domctl op;
    long rc;

    if ((rc = xl_dominfo(dm->dom, &di)) < 0)
        return (int)rc;
    if (!(di.flags & DOMINFO_hvm)) {
        printf("%s: domain %u is not an HVM domain: no device model\n", who, dm->dom);
        return -EINVAL;
    }
    dm->nr_pages = di.max_pages;
    dm->mfns = alloc_pages((dm->nr_pages * sizeof(uint64_t) + PAGE_SIZE - 1) / PAGE_SIZE);
    if (!dm->mfns) {
        printf("%s: no room for domain %u's frame list\n", who, dm->dom);
        return -ENOMEM;
    }
    memset(&op, 0, sizeof(op));
    op.u.getpageframeinfo.mfn_list = (uintptr_t)dm->mfns;
    op.u.getpageframeinfo.max = dm->nr_pages;
    if ((rc = xl_domctl(DOMCTL_getpageframeinfo, dm->dom, &op)) < 0)
        return (int)rc;
    dm->nr_pages = op.u.getpageframeinfo.nr;
    return 0;
}

static int dm_server_create(struct dm *dm, const char *who)
{
    struct domctl op;
    uint64_t va = DM_VA + (uint64_t)dm->idx * 2 * PAGE_SIZE;
    long rc;

    memset(&op, 0, sizeof(op));
    op.u.ioreq_server.op = IOREQ_SERVER_CREATE;
    if ((rc = xl_domctl(DOMCTL_ioreq_server, dm->dom, &op)) < 0) {
        printf("%s: DOMCTL_ioreq_server for domain %u: %s\n", who, dm->dom,
               str_errno((int)rc));
        return (int)rc;
    }
    dm->server = true;
    dm->nr_vcpus = op.u.ioreq_server.nr_vcpus;
    if ((rc = map_foreign_page(DOMID_XEN, op.u.ioreq_server.page_mfn, va, true)) < 0) {
        printf("%s: cannot map domain %u's request page: %s\n", who, dm->dom,
               str_errno((int)rc));
        return (int)rc;
    }
    dm->page = (struct hvm_ioreq_page *)(uintptr_t)va;
    dm->scratch = (uint8_t *)(uintptr_t)(va + PAGE_SIZE);
    for (unsigned v = 0; v < dm->nr_vcpus; v++) {
        dm->port[v] = op.u.ioreq_server.port[v];
        evtchn_set_handler(dm->port[v], dm_event, dm);
        evtchn_unmask(dm->port[v]);
    }
    dm_kick = true;                     /* a request may be there already */
    dom0_service_kick = true;
    return 0;
}

int dm_attach(const char *who, hv_domid_t dom, const char *target, bool readonly)
{
    struct dm *dm = NULL;
    int rc;

    if (dm_find(dom)) {
        printf("%s: domain %u has a device model already\n", who, dom);
        return -EEXIST;
    }
    for (unsigned i = 0; i < DM_MAX && !dm; i++)
        if (!dms[i].used)
            dm = &dms[i];
    if (!dm) {
        printf("%s: the device model serves %u domains already\n", who, DM_MAX);
        return -ENOSPC;
    }
    memset(dm, 0, sizeof(*dm));
    dm->used = true;
    dm->dom = dom;
    dm->idx = (unsigned)(dm - dms);
    dm->scratch_gfn = ~0ull;
    if ((rc = dm_frame_list(dm, who)) < 0)
        goto fail;
    for (const struct dm_device *d = __start_dm_devices; d < __stop_dm_devices; d++)
        if ((rc = d->attach(dm, who, target, readonly)) < 0)
            goto fail;
    if ((rc = dm_server_create(dm, who)) < 0)
        goto fail;
    printf("dm: domain %u: PCI host bridge%s%s\n", dom, target ? ", ATA disk hda on " : "",
           target ? target : "");
    return 0;
fail:
    dm_detach(dom);
    return rc;
}

void dm_detach(hv_domid_t dom)
{
    struct dm *dm = dm_find(dom);
    struct domctl op;

    if (!dm)
        return;
    printf("dm: domain %u: detached after %llu requests (%llu port, %llu MMIO, %llu string "
           "runs of %llu bytes, %llu unclaimed, %llu malformed, %llu held)\n", dom,
           (unsigned long long)dm->st.requests, (unsigned long long)dm->st.pio,
           (unsigned long long)dm->st.mmio, (unsigned long long)dm->st.strings,
           (unsigned long long)dm->st.string_bytes, (unsigned long long)dm->st.unclaimed,
           (unsigned long long)dm->st.bad_requests, (unsigned long long)dm->st.held);
    uint64_t va = DM_VA + (uint64_t)dm->idx * 2 * PAGE_SIZE;
    unmap_page(va);
    unmap_page(va + PAGE_SIZE);
    if (dm->server) {
        for (unsigned v = 0; v < dm->nr_vcpus; v++)
            evtchn_set_handler(dm->port[v], NULL, NULL);
        memset(&op, 0, sizeof(op));
        op.u.ioreq_server.op = IOREQ_SERVER_DESTROY;
        xl_domctl(DOMCTL_ioreq_server, dom, &op);       /* -ESRCH once it is gone */
    }
    for (const struct dm_device *d = __start_dm_devices; d < __stop_dm_devices; d++)
        d->detach(dm);
    if (dm->mfns)
        for (uint64_t p = 0; p < (dm->nr_pages * sizeof(uint64_t) + PAGE_SIZE - 1) / PAGE_SIZE;
             p++)
            free_page((uint8_t *)dm->mfns + p * PAGE_SIZE);
    dm->used = false;
}

int dm_inject(hv_domid_t dom, enum dm_fault f)
{
    struct dm *dm = dm_find(dom);

    if (!dm)
        return -ENOENT;
    dm->fault = f;
    return 0;
}

bool dm_stats_of(unsigned i, hv_domid_t *dom, struct dm_stats *st)
{
    if (i >= DM_MAX || !dms[i].used)
        return false;
    *dom = dms[i].dom;
    *st = dms[i].st;
    return true;
}

/* ---- the toolstack's side ---- */

/* An HVM domain with an hd disk gets the model, with its first hd disk as hda. */
static int dm_domain_built(const char *who, hv_domid_t dom, const struct domain_config *cfg)
{
    const struct xlcfg_disk *hd = NULL;

    if (!cfg)
        return 0;
    for (unsigned i = 0; i < cfg->nr_disks; i++) {
        if (strncmp(cfg->disks[i].vdev, "hd", 2) != 0)
            continue;
        if (cfg->type != XLCFG_TYPE_HVM) {
            printf("%s: %s:%u: disk %s: an emulated (hd) disk needs type = \"hvm\"\n",
                   who, cfg->file, cfg->disks[i].line, cfg->disks[i].vdev);
            return -EINVAL;
        }
        if (hd || strcmp(cfg->disks[i].vdev, "hda") != 0) {
            printf("%s: %s:%u: disk %s: the device model emulates one disk, hda (the "
                   "primary master)\n", who, cfg->file, cfg->disks[i].line, cfg->disks[i].vdev);
            return -EINVAL;
        }
        hd = &cfg->disks[i];
    }
    return hd ? dm_attach(who, dom, hd->target, hd->readonly) : 0;
}

DOM0_DOMAIN_HOOK(dm, dm_domain_built, dm_detach);
