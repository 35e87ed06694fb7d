/* blkback: the devices' life (see blkback.h; the ring is blkback_core.c's).
 *
 * Design: attach checks the target region against dom0's disks (pdisk), writes
 * the backend dir /local/domain/0/backend/vbd/<F>/<D> (readable by F) and the
 * frontend dir /local/domain/<F>/device/vbd/<D> (F's own) and sets the backend
 * to InitWait. A store watch on the frontend's state (store_watch_fn: its callback
 * runs from the store's service poll) connects the device when the frontend is
 * Initialised: the ring page is mapped (grant, into a VA window of blkback's own),
 * the frontend's event channel bound, and the backend goes Connected. From then on
 * events drive the device: the handler sets dev->kick, the service poll serves the
 * ring.
 *
 * Teardown (detach, a bad ring index, the domain gone): the ring is unmapped and
 * the channel closed at once (no device touches the ring page); requests still in
 * flight keep their segment grants mapped until pdisk completes them (the disk may
 * be DMAing into those frames), and the device slot is reused only when none is
 * left. A dying domain's frames are thus released by the hypervisor at our last
 * unmap, never earlier.
 *
 * Locking: none (blkback.h). */
#include <store.h>
#include "blkback.h"
#include "dom0.h"
#include "domhooks.h"
#include "service.h"
#include "store.h"
#include "strutil.h"
#include "xlcfg_disk.h"

#define BLKBACK_POLL_NS   1000000ULL    /* detach: frontend state checks */
#define BLKBACK_DETACH_NS 5000000000ULL /* a frontend's time to close on detach */
/* dom0 VAs where the rings are mapped, one page per device slot (the builder's
 * foreign-map scratch is at GUEST_FOREIGN_VA; this is 4 GiB above it). */
#define BLKBACK_RING_VA   (GUEST_FOREIGN_VA + (1ULL << 32))

static struct blkback_dev devs[BLKBACK_MAX_DEVS];

static void *ring_va(const struct blkback_dev *d)
{
    return (void *)(uintptr_t)(BLKBACK_RING_VA + (uint64_t)(d - devs) * PAGE_SIZE);
}

const char *blkback_conn_name(enum blkback_conn c)
{
    static const char *const names[] = { "waiting", "connected", "broken", "dead" };

    return c < ARRAY_SIZE(names) ? names[c] : "?";
}

static struct blkback_dev *dev_find(hv_domid_t dom, unsigned devid)
{
    for (unsigned i = 0; i < BLKBACK_MAX_DEVS; i++)
        if (devs[i].used && devs[i].dom == dom && devs[i].devid == devid &&
            devs[i].conn != BLKBACK_DEAD)
            return &devs[i];
    return NULL;
}

const struct blkback_dev *blkback_dev_nth(hv_domid_t dom, unsigned n)
{
    for (unsigned i = 0; i < BLKBACK_MAX_DEVS; i++)
        if (devs[i].used && devs[i].dom == dom && devs[i].conn != BLKBACK_DEAD && !n--)
            return &devs[i];
    return NULL;
}

static int be_state(const struct blkback_dev *d, enum bus_state s)
{
    return bus_set_state(d->be_dir, s);
}

enum bus_state blkback_frontend_state(const struct blkback_dev *d)
{
    return bus_read_state(d->fe_dir);
}

/* ---- store directories ---- */

static int dirs_write(struct blkback_dev *d)
{
    char owner_fe[8], read_fe[8], path[96];
    const char *fe_perms[1], *be_perms[2] = { "n0", read_fe };
    int rc;

    fmt_snprintf(owner_fe, sizeof(owner_fe), "n%u", d->dom);
    fmt_snprintf(read_fe, sizeof(read_fe), "r%u", d->dom);
    fe_perms[0] = owner_fe;
    /* Each dir's keys inherit its permissions: set them first. The frontend's
     * parents (device, device/vbd) may be made here, before the store's own hook
     * gives /local/domain/<F> to F: they are F's too. */
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/device", d->dom);
    if ((rc = store_mkdir(path)) || (rc = store_set_perms(path, fe_perms, 1)))
        return rc;
    fmt_snprintf(path, sizeof(path), "/local/domain/%u/device/vbd", d->dom);
    if ((rc = store_mkdir(path)) || (rc = store_set_perms(path, fe_perms, 1)))
        return rc;
    if ((rc = store_mkdir(d->be_dir)) || (rc = store_set_perms(d->be_dir, be_perms, 2)) ||
        (rc = store_mkdir(d->fe_dir)) || (rc = store_set_perms(d->fe_dir, fe_perms, 1)))
        return rc;
#define KEY(dir, key, ...)                                                       \
    (fmt_snprintf(path, sizeof(path), "%s/" key, dir),                       \
     store_printf(path, __VA_ARGS__))
    if ((rc = KEY(d->be_dir, "frontend", "%s", d->fe_dir)) ||
        (rc = KEY(d->be_dir, "frontend-id", "%u", d->dom)) ||
        (rc = KEY(d->be_dir, "dev", "%s", d->vdev)) ||
        (rc = KEY(d->be_dir, "params", "%s", d->target)) ||
        (rc = KEY(d->be_dir, "sectors", "%llu", (unsigned long long)d->region.sectors)) ||
        (rc = KEY(d->be_dir, "sector-size", "%u", BLKIF_SECTOR_SIZE)) ||
        (rc = KEY(d->be_dir, "mode", "%s", d->region.readonly ? "r" : "w")) ||
        (rc = KEY(d->fe_dir, "backend", "%s", d->be_dir)) ||
        (rc = KEY(d->fe_dir, "backend-id", "%u", 0)) ||
        (rc = KEY(d->fe_dir, "virtual-device", "%u", d->devid)) ||
        (rc = KEY(d->fe_dir, "device-type", "%s", "disk")) ||
        (rc = bus_set_state(d->fe_dir, BUS_INITIALISING)) ||
        (rc = be_state(d, BUS_INIT_WAIT)))
        return rc;
#undef KEY
    return 0;
}

static void watch_token(const struct blkback_dev *d, char *buf, size_t len)
{
    fmt_snprintf(buf, len, "blkback/%u/%u", d->dom, d->devid);
}

static void dirs_remove(struct blkback_dev *d)
{
    char path[96], token[32];

    fmt_snprintf(path, sizeof(path), "%s/state", d->fe_dir);
    watch_token(d, token, sizeof(token));
    store_unwatch(path, token);
    /* The frontend dir may be gone with its domain's subtree already. */
    store_rm(d->fe_dir);
    store_rm(d->be_dir);
}

/* ---- connecting ---- */

static void dev_event(evtchn_port_t port, void *arg)
{
    struct blkback_dev *d = arg;

    (void)port;
    d->kick = true;
    dom0_service_kick = true;
}

/* The frontend said Initialised: map its ring, bind its channel. 0 or -errno. */
static int dev_connect(struct blkback_dev *d)
{
    char path[96];
    uint64_t ref, port, maddr;
    const uint64_t *l1e;
    uint64_t l1_maddr;
    int rc;

    fmt_snprintf(path, sizeof(path), "%s/ring-ref", d->fe_dir);
    if ((rc = store_read_uint(path, &ref)) || ref > UINT32_MAX) {
        printf("blkback: d%u %s: no usable ring-ref (%s)\n", d->dom, d->vdev,
               rc ? errno_name(rc) : "out of range");
        return -EINVAL;
    }
    fmt_snprintf(path, sizeof(path), "%s/event-channel", d->fe_dir);
    if ((rc = store_read_uint(path, &port)) || port > UINT32_MAX) {
        printf("blkback: d%u %s: no usable event-channel (%s)\n", d->dom, d->vdev,
               rc ? errno_name(rc) : "out of range");
        return -EINVAL;
    }
    d->ring_va = ring_va(d);
    if ((rc = pt_l1e((uint64_t)(uintptr_t)d->ring_va, true, &l1e, &l1_maddr))) {
        printf("blkback: d%u %s: no page table for the ring: %s\n", d->dom, d->vdev,
               errno_name(rc));
        d->ring_va = NULL;
        return rc;
    }
    rc = gnttab_map(d->dom, (grant_ref_t)ref, false, d->ring_va, &d->ring_handle, &maddr);
    if (rc) {
        printf("blkback: d%u %s: ring grant %llu not mappable (%d)\n", d->dom, d->vdev,
               (unsigned long long)ref, rc);
        d->ring_va = NULL;
        return -EINVAL;
    }
    rc = evtchn_bind_interdomain(d->dom, (evtchn_port_t)port, dev_event, d);
    if (rc < 0) {
        printf("blkback: d%u %s: event channel %llu not bindable: %s\n", d->dom,
               d->vdev, (unsigned long long)port, errno_name(rc));
        gnttab_unmap(d->ring_va, d->ring_handle);
        d->ring_va = NULL;
        return rc;
    }
    d->port = (evtchn_port_t)rc;
    blkback_core_attach(d, d->ring_va);
    be_state(d, BUS_CONNECTED);
    printf("blkback: d%u %s: connected (ring %llu, port %llu, %s %s)\n", d->dom, d->vdev,
           (unsigned long long)ref, (unsigned long long)port, d->target,
           d->region.readonly ? "r" : "rw");
    return 0;
}

/* Unmaps the ring and closes the channel; requests in flight finish on their own. */
static void dev_disconnect(struct blkback_dev *d)
{
    if (d->conn == BLKBACK_DEAD)
        return;                         /* done before (release, then gone) */
    blkback_core_stop(d);
    if (d->ring_va) {
        int rc = gnttab_unmap(d->ring_va, d->ring_handle);

        if (rc)
            printf("blkback: d%u %s: ring unmap failed (%d)\n", d->dom, d->vdev, rc);
        d->ring_va = NULL;
        d->ring.sring = NULL;
        evtchn_close(d->port);
    }
    printf("blkback: d%u %s: disconnected, %u requests in flight\n", d->dom, d->vdev,
           d->inflight);
}

/* The device is gone from the ring and the store; its slot frees with its last
 * request (poll). */
static void dev_teardown(struct blkback_dev *d)
{
    dev_disconnect(d);
    dirs_remove(d);
}

/* ---- the service ---- */

static void blkback_poll(void)
{
    for (unsigned i = 0; i < BLKBACK_MAX_DEVS; i++) {
        struct blkback_dev *d = &devs[i];

        if (!d->used)
            continue;
        switch (d->conn) {
        case BLKBACK_CONNECTED:
            if (d->kick) {
                blkback_core_serve(d);
                if (d->conn == BLKBACK_BROKEN)
                    be_state(d, BUS_CLOSING);
            }
            break;
        case BLKBACK_WAITING:
        case BLKBACK_BROKEN:
            break;
        case BLKBACK_DEAD:
            if (!d->inflight) {
                if (d->dropped)
                    printf("blkback: d%u %s: released, %llu answers dropped\n", d->dom,
                           d->vdev, (unsigned long long)d->dropped);
                memset(d, 0, sizeof(*d));
            }
            break;
        }
    }
}

DOM0_SERVICE(blkback, blkback_poll, NULL);

/* The frontend's state changed (a store watch, from the store's service poll). */
static void frontend_changed(const char *path, const char *token, void *arg)
{
    struct blkback_dev *d = arg;

    (void)path;
    (void)token;
    if (d->conn != BLKBACK_WAITING || blkback_frontend_state(d) != BUS_INITIALISED)
        return;
    if (dev_connect(d)) {
        /* A frontend that cannot be connected: Closing, as Xen's backends do. */
        d->conn = BLKBACK_BROKEN;
        be_state(d, BUS_CLOSING);
    }
}

/* ---- attach / detach ---- */

int blkback_attach(const char *who, hv_domid_t dom, const struct xlcfg_disk *disk)
{
    struct blkback_dev *d = NULL;
    char why[128], path[96], token[32];
    int devid = xlcfg_disk_devid(disk->vdev), rc;

    if (devid < 0 || !xlcfg_disk_is_pv(disk->vdev)) {
        printf("%s: vdev '%s' is not a PV disk (xvd<a-p>)\n", who, disk->vdev);
        return -EINVAL;
    }
    if (dev_find(dom, (unsigned)devid)) {
        printf("%s: domain %u already has %s\n", who, dom, disk->vdev);
        return -EEXIST;
    }
    for (unsigned i = 0; i < BLKBACK_MAX_DEVS && !d; i++)
        if (!devs[i].used)
            d = &devs[i];
    if (!d) {
        printf("%s: %s: blkback serves at most %u devices\n", who, disk->vdev,
               BLKBACK_MAX_DEVS);
        return -ENOSPC;
    }
    memset(d, 0, sizeof(*d));
    if (pdisk_region_parse(disk->target, disk->readonly, &d->region, why, sizeof(why))) {
        printf("%s: disk '%s': %s\n", who, disk->target, why);
        return -EINVAL;
    }
    d->used = true;
    d->dom = dom;
    d->devid = (unsigned)devid;
    str_copy(d->vdev, sizeof(d->vdev), disk->vdev, strlen(disk->vdev));
    str_copy(d->target, sizeof(d->target), disk->target, strlen(disk->target));
    fmt_snprintf(d->fe_dir, sizeof(d->fe_dir), "/local/domain/%u/device/vbd/%u", dom,
                 d->devid);
    fmt_snprintf(d->be_dir, sizeof(d->be_dir), "/local/domain/0/backend/vbd/%u/%u", dom,
                 d->devid);
    d->conn = BLKBACK_WAITING;
    fmt_snprintf(path, sizeof(path), "%s/state", d->fe_dir);
    watch_token(d, token, sizeof(token));
    if ((rc = dirs_write(d)) || (rc = store_watch_fn(path, token, frontend_changed, d))) {
        printf("%s: %s: store: %s\n", who, disk->vdev, errno_name(rc));
        dirs_remove(d);
        memset(d, 0, sizeof(*d));
        return rc;
    }
    return 0;
}

int blkback_detach(const char *who, hv_domid_t dom, const char *vdev)
{
    int devid = xlcfg_disk_devid(vdev), rc = 0;
    struct blkback_dev *d = devid < 0 ? NULL : dev_find(dom, (unsigned)devid);
    uint64_t deadline = guest_now_ns() + BLKBACK_DETACH_NS;

    if (!d) {
        printf("%s: domain %u has no disk %s\n", who, dom, vdev);
        return -ENOENT;
    }
    if (d->conn == BLKBACK_CONNECTED) {
        /* The frontend finishes what it has in flight and closes. */
        be_state(d, BUS_CLOSING);
        while (blkback_frontend_state(d) != BUS_CLOSED &&
               blkback_frontend_state(d) != BUS_UNKNOWN) {
            if (guest_now_ns() >= deadline) {
                printf("%s: %s: the frontend did not close within %llu ms: torn down\n",
                       who, vdev, (unsigned long long)(BLKBACK_DETACH_NS / 1000000));
                rc = -ETIMEDOUT;
                break;
            }
            dom0_block_until(guest_now_ns() + BLKBACK_POLL_NS);
        }
    }
    be_state(d, BUS_CLOSED);
    dev_teardown(d);
    return rc;
}

/* ---- domain hooks ---- */

static int blkback_domain_built(const char *who, hv_domid_t dom,
                                const struct domain_config *cfg)
{
    char cwho[96];
    int rc;

    for (unsigned i = 0; cfg && i < cfg->nr_disks; i++) {
        const struct xlcfg_disk *disk = &cfg->disks[i];

        if (!xlcfg_disk_is_pv(disk->vdev))
            continue;                   /* an emulated disk: the device model's */
        fmt_snprintf(cwho, sizeof(cwho), "%s: %s:%u", who, cfg->file, disk->line);
        if ((rc = blkback_attach(cwho, dom, disk)))
            return rc;
    }
    return 0;
}

/* Just before the domain is destroyed: its ring page unmapped and its channels
 * closed, so the domain's frames go back with it (domhooks.h); grants of requests in
 * flight stay mapped until the disk is done with them. */
static void blkback_domain_release(hv_domid_t dom)
{
    for (unsigned i = 0; i < BLKBACK_MAX_DEVS; i++)
        if (devs[i].used && devs[i].dom == dom)
            dev_disconnect(&devs[i]);
}

static void blkback_domain_gone(hv_domid_t dom)
{
    char path[64];

    for (unsigned i = 0; i < BLKBACK_MAX_DEVS; i++)
        if (devs[i].used && devs[i].dom == dom)
            dev_teardown(&devs[i]);
    /* The domain's dir of backend dirs (emptied above; absent if it had no disk). */
    fmt_snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u", dom);
    store_rm(path);
}

DOM0_DOMAIN_HOOK_RELEASE(blkback, blkback_domain_built, blkback_domain_release,
                         blkback_domain_gone);
