/* The store client of a domU (guest/include/store.h) over its ring page and event
 * channel (public/io/store.h); the platform says where they are (store_plat_find).
 *
 * Design: one request at a time. A request is pushed into the req ring as room
 * comes (a payload may be larger than the ring), then responses are read until its
 * reply: watch events read on the way are queued for store_wait_event. The event
 * channel's handler does nothing but end guest_block; every wait re-checks the
 * ring indices with events disabled, so no wake-up is lost.
 * Locking: `lock` serialises the vCPUs' calls (one request on the ring at a time);
 * the event queue is only touched under it.
 * Limitations: a call that times out mid-message leaves the ring out of step: the
 * client then stops (-EIO), as it does when the store sends a malformed message.
 * store_wait_event holds the lock while it sleeps: another vCPU's store call (and
 * store_event_pending) waits for it, so a guest with several vCPUs waits for events
 * on one of them. */
#include <guest.h>
#include <store.h>
#include <store_wire.h>

#define STORE_TIMEOUT_NS   (10ULL * 1000 * 1000 * 1000)
#define STORE_EVENTS_QUEUED 32
#define STORE_EVENT_TOKEN  64

struct store_event {
    char path[STORE_PATH_MAX];
    char token[STORE_EVENT_TOKEN];
};

static struct {
    spinlock_t lock;
    bool ready, broken;
    struct store_interface *page;
    evtchn_port_t port;
    uint32_t next_id;
    struct store_rx rx;
    bool reply_ready;                   /* reply holds the answer to our request */
    struct store_msg_hdr reply_hdr;
    char reply[STORE_PAYLOAD_MAX + 1];
    char req[STORE_PAYLOAD_MAX];
    struct store_event events[STORE_EVENTS_QUEUED];
    unsigned ev_head, ev_count;
    uint64_t ev_dropped, stray;
} st = { .lock = SPINLOCK_INIT };

static void store_event_handler(evtchn_port_t port, void *arg)
{
    (void)port;
    (void)arg;                          /* waking guest_block is all it takes */
}

int store_init(void)
{
    int rc;

    if (st.ready)
        return 0;
    if ((rc = store_plat_find(&st.page, &st.port)) < 0)
        return rc;
    if ((rc = evtchn_set_handler(st.port, store_event_handler, NULL)) < 0 ||
        (rc = evtchn_unmask(st.port)) < 0)
        return -EIO;
    st.ready = true;
    return 0;
}

static void queue_event(const char *payload, uint32_t len)
{
    size_t plen = strnlen(payload, len);
    const char *token = payload + plen + 1;
    struct store_event *e;

    if (plen >= len || plen >= STORE_PATH_MAX || strnlen(token, len - plen - 1) >= STORE_EVENT_TOKEN)
        return;                         /* not one we could have asked for */
    if (st.ev_count == STORE_EVENTS_QUEUED) {
        if (!st.ev_dropped++)
            printf("store: watch event queue full, events dropped\n");
        return;
    }
    e = &st.events[(st.ev_head + st.ev_count++) % STORE_EVENTS_QUEUED];
    memcpy(e->path, payload, plen + 1);
    memcpy(e->token, token, strlen(token) + 1);
}

/* Reads what the store sent: events queued, a reply kept (and then stops, so that
 * it is not overwritten). Tells the store when it made room. */
static void pump(void)
{
    bool consumed = false;
    int rc;

    while (!st.broken && !st.reply_ready) {
        uint32_t before = st.page->rsp_cons;

        rc = store_rx_feed(&st.rx, st.page->rsp, &st.page->rsp_cons, &st.page->rsp_prod);
        consumed |= st.page->rsp_cons != before;
        if (rc < 0) {
            printf("store: malformed response ring, client stopped\n");
            st.broken = true;
        } else if (rc == 0) {
            break;
        } else if (st.rx.hdr.type == STORE_WATCH_EVENT) {
            queue_event(st.rx.payload, st.rx.hdr.len);
        } else if (st.rx.hdr.req_id == st.next_id) {
            st.reply_hdr = st.rx.hdr;
            memcpy(st.reply, st.rx.payload, st.rx.hdr.len + 1);
            st.reply_ready = true;
        } else {
            st.stray++;                 /* a reply to a request given up on */
        }
    }
    if (consumed)
        evtchn_send(st.port);
}

/* Blocks until cond() (checked with events disabled) or the deadline. */
static int wait_for(bool (*cond)(void), uint64_t deadline)
{
    local_irq_disable();
    while (!cond()) {
        if (deadline && guest_now_ns() >= deadline) {
            local_irq_enable();
            return -ETIMEDOUT;
        }
        if (deadline)
            timer_set_deadline(deadline);
        guest_block();
        local_irq_disable();
    }
    local_irq_enable();
    return 0;
}

static struct store_tx tx;

static bool tx_progress(void)
{
    int rc = store_tx_push(&tx, st.page->req, &st.page->req_cons, &st.page->req_prod);

    if (rc != 0)
        evtchn_send(st.port);
    if (rc < 0)
        st.broken = true;
    return rc != 0;
}

static bool reply_or_broken(void)
{
    pump();
    return st.reply_ready || st.broken;
}

/* One request: payload = path NUL, then extra[0..elen). The reply's payload into
 * out (cut to olen, NUL-terminated when olen allows): its length, or -errno. */
static long request(uint32_t type, const char *path, const char *extra, size_t elen,
                    char *out, size_t olen)
{
    size_t plen = strnlen(path, STORE_PATH_MAX + 1);
    uint64_t deadline = guest_now_ns() + STORE_TIMEOUT_NS;
    long rc;

    if (!st.ready && (rc = store_init()) < 0)
        return rc;
    if (plen > STORE_PATH_MAX || plen + 1 + elen > STORE_PAYLOAD_MAX)
        return -E2BIG;
    memcpy(st.req, path, plen + 1);
    if (elen)
        memcpy(st.req + plen + 1, extra, elen);
    tx = (struct store_tx){ .hdr = { .type = type, .req_id = ++st.next_id, .tx_id = 0,
                                     .len = (uint32_t)(plen + 1 + elen) },
                            .payload = st.req };
    st.reply_ready = false;
    if (wait_for(tx_progress, deadline) < 0 || st.broken ||
        wait_for(reply_or_broken, deadline) < 0 || st.broken) {
        st.broken = true;
        return -EIO;
    }
    st.reply_ready = false;
    if (st.reply_hdr.type == STORE_ERROR) {
        size_t n = strnlen(st.reply, st.reply_hdr.len);

        for (unsigned i = 0; i < STORE_NR_ERRORS; i++)
            if (!strcmp(st.reply, store_errors[i].name) && n == strlen(store_errors[i].name))
                return -store_errors[i].err;
        return -EIO;
    }
    if (out && olen) {
        size_t n = MIN((size_t)st.reply_hdr.len, olen - 1);

        memcpy(out, st.reply, n);
        out[n] = '\0';
    }
    return st.reply_hdr.len;
}

/* request() with the lock held and the stopped state checked. */
static long call(uint32_t type, const char *path, const char *extra, size_t elen,
                 char *out, size_t olen)
{
    long rc;

    spin_lock(&st.lock);
    rc = st.broken ? -EIO : request(type, path, extra, elen, out, olen);
    spin_unlock(&st.lock);
    return rc;
}

long store_read(const char *path, char *buf, size_t len)
{
    long rc = call(STORE_READ, path, NULL, 0, buf, len);

    return rc < 0 ? rc : (long)MIN((size_t)rc, len ? len - 1 : 0);
}

int store_write(const char *path, const char *val)
{
    long rc = call(STORE_WRITE, path, val, strlen(val), NULL, 0);

    return rc < 0 ? (int)rc : 0;
}

int store_mkdir(const char *path)
{
    long rc = call(STORE_MKDIR, path, NULL, 0, NULL, 0);

    return rc < 0 ? (int)rc : 0;
}

int store_rm(const char *path)
{
    long rc = call(STORE_RM, path, NULL, 0, NULL, 0);

    return rc < 0 ? (int)rc : 0;
}

long store_list(const char *path, char *buf, size_t len)
{
    long rc, n = 0;

    spin_lock(&st.lock);
    rc = st.broken ? -EIO : request(STORE_DIRECTORY, path, NULL, 0, NULL, 0);
    if (rc > (long)len)
        rc = -E2BIG;
    if (rc > 0) {
        memcpy(buf, st.reply, (size_t)rc);
        for (long i = 0; i < rc; i++)
            n += st.reply[i] == '\0';
    }
    spin_unlock(&st.lock);
    return rc < 0 ? rc : n;
}

int store_set_perms(const char *path, const char *const *perms, unsigned n)
{
    char buf[STORE_PAYLOAD_MAX];
    size_t len = 0;

    for (unsigned i = 0; i < n; i++) {
        size_t l = strlen(perms[i]) + 1;

        if (len + l > sizeof(buf))
            return -E2BIG;
        memcpy(buf + len, perms[i], l);
        len += l;
    }
    long rc = call(STORE_SET_PERMS, path, buf, len, NULL, 0);

    return rc < 0 ? (int)rc : 0;
}

int store_watch(const char *path, const char *token)
{
    size_t tl = strlen(token) + 1;
    long rc;

    if (tl > STORE_EVENT_TOKEN)
        return -E2BIG;
    rc = call(STORE_WATCH, path, token, tl, NULL, 0);
    return rc < 0 ? (int)rc : 0;
}

int store_unwatch(const char *path, const char *token)
{
    long rc = call(STORE_UNWATCH, path, token, strlen(token) + 1, NULL, 0);

    return rc < 0 ? (int)rc : 0;
}

static bool event_or_broken(void)
{
    pump();
    return st.ev_count || st.broken;
}

bool store_event_pending(void)
{
    bool r;

    if (!st.ready)
        return false;
    spin_lock(&st.lock);
    pump();
    r = st.ev_count != 0;
    spin_unlock(&st.lock);
    return r;
}

int store_wait_event(char *path, size_t plen, char *token, size_t tlen,
                     uint64_t deadline_ns)
{
    struct store_event *e;
    int rc;

    if (!st.ready && (rc = store_init()) < 0)
        return rc;
    spin_lock(&st.lock);
    rc = wait_for(event_or_broken, deadline_ns);
    if (!rc && !st.ev_count)
        rc = -EIO;
    if (!rc) {
        e = &st.events[st.ev_head];
        st.ev_head = (st.ev_head + 1) % STORE_EVENTS_QUEUED;
        st.ev_count--;
        if (plen)
            fmt_snprintf(path, plen, "%s", e->path);
        if (tlen)
            fmt_snprintf(token, tlen, "%s", e->token);
    }
    spin_unlock(&st.lock);
    return rc;
}
