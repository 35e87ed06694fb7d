/* guest/include/store.h for dom0 itself: the calls go straight to the tree, as
 * domain 0 (all permissions). Watch events for dom0 go to a callback
 * (store_watch_fn, run from this file's service poll) or to the one queue that
 * store_wait_event reads; see dom0/store.h for the rule.
 *
 * Design: the tree fires synchronously, inside the operation that changed it, so a
 * fired event is only queued (never run there): dom0's on the callback list or the
 * event queue, a domU's on its ring (store_ring_fire). The service poll runs the
 * callbacks; a callback's own changes queue more and kick the loop again.
 * Locking: none; dom0's event loop is the only caller. `delivering` stops a callback
 * that waits after all (against the rule) from running callbacks inside itself. */
#include "dom0.h"
#include "service.h"
#include "store.h"

struct local_event {
    struct local_event *next;
    store_watch_cb fn;                  /* NULL: for store_wait_event */
    void *arg;
    size_t size;
    const char *token;
    char path[];
};

struct local_cb {
    struct local_cb *next;
    store_watch_cb fn;
    void *arg;
    char token[STORE_TOKEN_MAX];
};

static struct store_tree tree;
static bool tree_ready;
static struct local_cb *callbacks;
/* FIFO queues: callbacks to run, and events for store_wait_event. */
static struct local_event *cb_head, **cb_tail = &cb_head;
static struct local_event *ev_head, **ev_tail = &ev_head;
static uint64_t events_dropped;
static bool delivering;

static struct local_cb *callback_of(const char *token)
{
    for (struct local_cb *c = callbacks; c; c = c->next)
        if (!strcmp(c->token, token))
            return c;
    return NULL;
}

static void local_fire(const char *path, const char *token)
{
    size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
    struct local_cb *cb = callback_of(token);
    struct local_event *e = store_mem_alloc(sizeof(*e) + pl + tl);

    if (!e) {
        if (!events_dropped++)
            printf("store: dom0 out of memory for watch events, events dropped\n");
        return;
    }
    e->next = NULL;
    e->size = sizeof(*e) + pl + tl;
    e->fn = cb ? cb->fn : NULL;
    e->arg = cb ? cb->arg : NULL;
    memcpy(e->path, path, pl);
    memcpy(e->path + pl, token, tl);
    e->token = e->path + pl;
    if (cb) {
        *cb_tail = e;
        cb_tail = &e->next;
        dom0_service_kick = true;
    } else {
        *ev_tail = e;
        ev_tail = &e->next;
    }
}

static void tree_fire(void *ctx, hv_domid_t dom, const char *path, const char *token)
{
    (void)ctx;
    if (dom == 0)
        local_fire(path, token);
    else
        store_ring_fire(dom, path, token);
}

struct store_tree *store_dom0_tree(void)
{
    if (!tree_ready) {
        if (store_tree_init(&tree, tree_fire, NULL) < 0)
            guest_crash("store: no memory for the tree");
        tree_ready = true;
    }
    return &tree;
}

int store_init(void)
{
    store_dom0_tree();
    return 0;
}

long store_read(const char *path, char *buf, size_t len)
{
    static char value[STORE_PAYLOAD_MAX];
    long n = store_tree_read(store_dom0_tree(), 0, path, value, sizeof(value));

    if (n < 0)
        return n;
    if (!len)
        return 0;
    n = MIN((size_t)n, len - 1);
    memcpy(buf, value, (size_t)n);
    buf[n] = '\0';
    return n;
}

int store_write(const char *path, const char *val)
{
    return store_tree_write(store_dom0_tree(), 0, path, val, strlen(val));
}

int store_mkdir(const char *path)
{
    return store_tree_mkdir(store_dom0_tree(), 0, path);
}

int store_rm(const char *path)
{
    return store_tree_rm(store_dom0_tree(), 0, path);
}

long store_list(const char *path, char *buf, size_t len)
{
    long n = store_tree_directory(store_dom0_tree(), 0, path, buf, len), count = 0;

    for (long i = 0; i < n; i++)
        count += buf[i] == '\0';
    return n < 0 ? n : count;
}

int store_set_perms(const char *path, const char *const *perms, unsigned n)
{
    struct store_perm p[STORE_PERMS_MAX];

    if (n > STORE_PERMS_MAX)
        return -E2BIG;
    for (unsigned i = 0; i < n; i++)
        if (store_perm_parse(perms[i], &p[i]) < 0)
            return -EINVAL;
    return store_tree_set_perms(store_dom0_tree(), 0, path, p, n);
}

int store_watch(const char *path, const char *token)
{
    return store_tree_watch(store_dom0_tree(), 0, path, token);
}

int store_watch_fn(const char *path, const char *token, store_watch_cb fn, void *arg)
{
    struct local_cb *c;
    int rc;

    if (strnlen(token, STORE_TOKEN_MAX) >= STORE_TOKEN_MAX)
        return -E2BIG;
    if (callback_of(token))
        return -EEXIST;
    if (!(c = store_mem_alloc(sizeof(*c))))
        return -ENOSPC;
    c->fn = fn;
    c->arg = arg;
    memcpy(c->token, token, strlen(token) + 1);
    c->next = callbacks;
    callbacks = c;
    if ((rc = store_tree_watch(store_dom0_tree(), 0, path, token)) < 0) {
        callbacks = c->next;
        store_mem_free(c, sizeof(*c));
    }
    return rc;
}

/* Drops queued callback events of token: after an unwatch, fn's arg may be gone. */
static void forget_queued(const char *token)
{
    for (struct local_event **at = &cb_head; *at;) {
        struct local_event *e = *at;

        if (!strcmp(e->token, token)) {
            *at = e->next;
            store_mem_free(e, e->size);
        } else {
            at = &e->next;
        }
    }
    cb_tail = &cb_head;
    while (*cb_tail)
        cb_tail = &(*cb_tail)->next;
}

int store_unwatch(const char *path, const char *token)
{
    int rc = store_tree_unwatch(store_dom0_tree(), 0, path, token);
    struct local_cb **at;

    if (rc < 0)
        return rc;
    for (at = &callbacks; *at; at = &(*at)->next) {
        if (!strcmp((*at)->token, token)) {
            struct local_cb *c = *at;

            *at = c->next;
            store_mem_free(c, sizeof(*c));
            forget_queued(token);
            break;
        }
    }
    return 0;
}

bool store_event_pending(void)
{
    return ev_head != NULL;
}

int store_wait_event(char *path, size_t plen, char *token, size_t tlen,
                     uint64_t deadline_ns)
{
    struct local_event *e;

    while (!ev_head) {
        if (deadline_ns && guest_now_ns() >= deadline_ns)
            return -ETIMEDOUT;
        dom0_block_until(deadline_ns);
    }
    e = ev_head;
    if (!(ev_head = e->next))
        ev_tail = &ev_head;
    if (plen)
        fmt_snprintf(path, plen, "%s", e->path);
    if (tlen)
        fmt_snprintf(token, tlen, "%s", e->token);
    store_mem_free(e, e->size);
    return 0;
}

/* Runs the queued callbacks, the ones their own changes queue included. */
static void store_local_poll(void)
{
    struct local_event *e;

    if (delivering)
        return;
    delivering = true;
    while ((e = cb_head)) {
        if (!(cb_head = e->next))
            cb_tail = &cb_head;
        e->fn(e->path, e->token, e->arg);
        store_mem_free(e, e->size);
    }
    delivering = false;
}

DOM0_SERVICE(store_local, store_local_poll, NULL);
