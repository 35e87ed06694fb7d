/* The store's tree and message handling (dom0/store_tree.c, store_msg.c): paths,
 * permissions (a domain reads and writes only its own keys and what it is given),
 * inheritance, watches, rm of subtrees, quotas, malformed input, E2BIG. */
#include "unit.h"
#include "store_msg.h"
#include <store_wire.h>

/* ---- the tree's allocator: malloc, with the size checked at free ---- */
static long live_allocs;

void *store_mem_alloc(size_t size)
{
    size_t *p = malloc(size + sizeof(size_t));

    if (!p)
        return NULL;
    *p = size;
    live_allocs++;
    return p + 1;
}

void store_mem_free(void *ptr, size_t size)
{
    size_t *p = (size_t *)ptr - 1;

    if (*p != size) {
        printf("  store_mem_free: size %zu, allocated %zu\n", size, *p);
        unit_failed_checks++;
    }
    live_allocs--;
    free(p);
}

/* ---- watch events, recorded ---- */
struct event { hv_domid_t dom; char path[STORE_PATH_MAX]; char token[STORE_TOKEN_MAX]; };
static struct event events[64];
static unsigned nr_events;

static void record(void *ctx, hv_domid_t dom, const char *path, const char *token)
{
    (void)ctx;
    if (nr_events < 64) {
        events[nr_events].dom = dom;
        snprintf(events[nr_events].path, STORE_PATH_MAX, "%s", path);
        snprintf(events[nr_events].token, STORE_TOKEN_MAX, "%s", token);
    }
    nr_events++;
}

static struct store_tree T;

/* A tree with the homes of domains 3 and 4, as the toolstack makes them. */
static void setup(void)
{
    struct store_perm p;

    CHECK_EQ(store_tree_init(&T, record, NULL), 0);
    for (hv_domid_t d = 3; d <= 4; d++) {
        char home[64];

        snprintf(home, sizeof(home), "/local/domain/%u", d);
        CHECK_EQ(store_tree_mkdir(&T, 0, home), 0);
        p = (struct store_perm){ d, STORE_PERM_NONE };
        CHECK_EQ(store_tree_set_perms(&T, 0, home, &p, 1), 0);
        snprintf(home, sizeof(home), "/local/domain/%u/name", d);
        CHECK_EQ(store_tree_write(&T, 0, home, d == 3 ? "alpha" : "beta", d == 3 ? 5 : 4), 0);
    }
    nr_events = 0;
}

static void teardown(void)
{
    store_tree_destroy(&T);
    CHECK_EQ(live_allocs, 0);
}

static long rd(hv_domid_t dom, const char *path, char *buf)
{
    long n = store_tree_read(&T, dom, path, buf, 255);

    if (n >= 0)
        buf[n] = '\0';
    return n;
}

static int wr(hv_domid_t dom, const char *path, const char *val)
{
    return store_tree_write(&T, dom, path, val, strlen(val));
}

static void test_read_write(void)
{
    char buf[256];

    setup();
    CHECK_EQ(rd(3, "name", buf), 5);
    CHECK_STREQ(buf, "alpha");
    CHECK_EQ(rd(3, "/local/domain/3/name", buf), 5);
    CHECK_EQ(wr(3, "data/a/b", "xyz"), 0);          /* parents made */
    CHECK_EQ(rd(3, "data/a/b", buf), 3);
    CHECK_STREQ(buf, "xyz");
    CHECK_EQ(rd(3, "data/a", buf), 0);              /* a parent: empty value */
    CHECK_EQ(wr(3, "data/a/b", ""), 0);             /* overwrite, empty */
    CHECK_EQ(rd(3, "data/a/b", buf), 0);
    CHECK_EQ(rd(3, "nothing", buf), -ENOENT);
    CHECK_EQ(store_tree_mkdir(&T, 3, "data/a"), 0); /* exists: fine, value kept */
    CHECK_EQ(rd(0, "/local/domain/3/data/a/b", buf), 0);
    teardown();
}

static void test_directory(void)
{
    char buf[64];

    setup();
    CHECK_EQ(wr(3, "d/zeta", "1"), 0);
    CHECK_EQ(wr(3, "d/alpha", "2"), 0);
    CHECK_EQ(wr(3, "d/mid", "3"), 0);
    CHECK_EQ(store_tree_directory(&T, 3, "d", buf, sizeof(buf)), 15);
    CHECK(!memcmp(buf, "alpha\0mid\0zeta\0", 15));  /* sorted, whatever the order */
    CHECK_EQ(store_tree_directory(&T, 3, "d/mid", buf, sizeof(buf)), 0);
    CHECK_EQ(store_tree_directory(&T, 3, "d", buf, 10), -E2BIG);
    CHECK_EQ(store_tree_directory(&T, 3, "none", buf, sizeof(buf)), -ENOENT);
    teardown();
}

static void test_other_domains_keys(void)
{
    char buf[256];

    setup();
    CHECK_EQ(rd(3, "/local/domain/4/name", buf), -EACCES);
    CHECK_EQ(wr(3, "/local/domain/4/name", "evil"), -EACCES);
    CHECK_EQ(wr(3, "/local/domain/4/new", "evil"), -EACCES);
    CHECK_EQ(store_tree_mkdir(&T, 3, "/local/domain/4/dir"), -EACCES);
    CHECK_EQ(store_tree_rm(&T, 3, "/local/domain/4/name"), -EACCES);
    CHECK_EQ(store_tree_rm(&T, 3, "/local/domain/4"), -EACCES);
    CHECK_EQ(store_tree_directory(&T, 3, "/local/domain/4", buf, sizeof(buf)), -EACCES);
    CHECK_EQ(store_tree_directory(&T, 3, "/local/domain", buf, sizeof(buf)), -EACCES);
    CHECK_EQ(wr(3, "/top", "x"), -EACCES);          /* the root is dom0's */
    CHECK_EQ(rd(4, "name", buf), 4);                /* unchanged */
    CHECK_STREQ(buf, "beta");
    CHECK_EQ(rd(0, "/local/domain/4/name", buf), 4);   /* dom0 reads everything */
    CHECK_EQ(nr_events, 0);
    teardown();
}

static void test_perms_given_and_inherited(void)
{
    struct store_perm p[3], got[STORE_PERMS_MAX];
    unsigned n;
    char buf[256];

    setup();
    /* dom0 gives 3 read access to a dir of 4's; what dom0 makes below inherits it. */
    CHECK_EQ(store_tree_mkdir(&T, 0, "/local/domain/4/shared"), 0);
    p[0] = (struct store_perm){ 4, STORE_PERM_NONE };
    p[1] = (struct store_perm){ 3, STORE_PERM_READ };
    CHECK_EQ(store_tree_set_perms(&T, 0, "/local/domain/4/shared", p, 2), 0);
    CHECK_EQ(wr(0, "/local/domain/4/shared/k", "v"), 0);
    CHECK_EQ(rd(3, "/local/domain/4/shared/k", buf), 1);
    CHECK_EQ(wr(3, "/local/domain/4/shared/k", "w"), -EACCES);
    CHECK_EQ(store_tree_get_perms(&T, 3, "/local/domain/4/shared/k", got, &n), 0);
    CHECK_EQ(n, 2);
    CHECK_EQ(got[0].dom, 4);
    CHECK_EQ(got[1].dom, 3);
    CHECK_EQ(got[1].mode, STORE_PERM_READ);
    /* 4 (the owner) may change the list, keeping itself the owner... */
    p[1].mode = STORE_PERM_BOTH;
    CHECK_EQ(store_tree_set_perms(&T, 4, "/local/domain/4/shared/k", p, 2), 0);
    CHECK_EQ(wr(3, "/local/domain/4/shared/k", "w"), 0);
    /* ... and a domain that writes below owns the node it creates. */
    CHECK_EQ(wr(3, "/local/domain/4/shared/k/child", "c"), 0);
    CHECK_EQ(store_tree_get_perms(&T, 0, "/local/domain/4/shared/k/child", got, &n), 0);
    CHECK_EQ(got[0].dom, 3);
    /* Not the owner: no change; the owner cannot give the node away. */
    CHECK_EQ(store_tree_set_perms(&T, 3, "/local/domain/4/shared", p, 2), -EACCES);
    p[0].dom = 3;
    CHECK_EQ(store_tree_set_perms(&T, 4, "/local/domain/4/shared", p, 2), -EACCES);
    CHECK_EQ(store_tree_set_perms(&T, 4, "/local/domain/4/shared", p, 0), -EINVAL);
    CHECK_EQ(store_tree_set_perms(&T, 4, "/local/domain/4/shared", p, STORE_PERMS_MAX + 1),
             -E2BIG);
    /* Everyone may read what says r in its first entry. */
    p[0] = (struct store_perm){ 4, STORE_PERM_READ };
    CHECK_EQ(store_tree_set_perms(&T, 4, "pub", p, 1), -ENOENT);
    CHECK_EQ(wr(4, "pub", "hello"), 0);
    CHECK_EQ(store_tree_set_perms(&T, 4, "pub", p, 1), 0);
    CHECK_EQ(rd(3, "/local/domain/4/pub", buf), 5);
    CHECK_EQ(rd(9, "/local/domain/4/pub", buf), 5);
    teardown();
}

static void test_watches(void)
{
    setup();
    CHECK_EQ(store_tree_watch(&T, 3, "dev", "tok"), 0);
    CHECK_EQ(nr_events, 1);                         /* fires once when set */
    CHECK_STREQ(events[0].path, "/local/domain/3/dev");
    CHECK_STREQ(events[0].token, "tok");
    CHECK_EQ(store_tree_watch(&T, 3, "dev", "tok"), -EEXIST);
    nr_events = 0;
    CHECK_EQ(wr(0, "/local/domain/3/dev/vbd/0/state", "1"), 0);
    CHECK_EQ(nr_events, 1);
    CHECK_EQ(events[0].dom, 3);
    CHECK_STREQ(events[0].path, "/local/domain/3/dev/vbd/0/state");
    CHECK_EQ(wr(0, "/local/domain/3/devx", "1"), 0);   /* a sibling, not below */
    CHECK_EQ(wr(0, "/local/domain/3/de", "1"), 0);
    CHECK_EQ(nr_events, 1);
    /* 4 watches 3's dir: told nothing, it may not read there. */
    CHECK_EQ(store_tree_watch(&T, 4, "/local/domain/3/dev", "spy"), 0);
    nr_events = 0;
    CHECK_EQ(wr(3, "dev/x", "1"), 0);
    CHECK_EQ(nr_events, 1);
    CHECK_EQ(events[0].dom, 3);
    /* rm of an ancestor fires the watches below it, with their own path. */
    CHECK_EQ(store_tree_watch(&T, 3, "dev/vbd/0/state", "deep"), 0);
    nr_events = 0;
    CHECK_EQ(store_tree_rm(&T, 0, "/local/domain/3/dev"), 0);
    CHECK_EQ(nr_events, 2);
    CHECK_STREQ(events[0].path, "/local/domain/3/dev/vbd/0/state");
    CHECK_STREQ(events[0].token, "deep");
    CHECK_STREQ(events[1].path, "/local/domain/3/dev");
    CHECK_STREQ(events[1].token, "tok");
    /* Gone after unwatch. */
    CHECK_EQ(store_tree_unwatch(&T, 3, "dev", "tok"), 0);
    CHECK_EQ(store_tree_unwatch(&T, 3, "dev", "tok"), -ENOENT);
    CHECK_EQ(store_tree_unwatch(&T, 3, "dev", "spy"), -ENOENT);  /* 4's, not 3's */
    nr_events = 0;
    CHECK_EQ(wr(3, "dev/y", "1"), 0);
    CHECK_EQ(nr_events, 0);
    /* A watch on the perms of a node fires on set_perms. */
    CHECK_EQ(store_tree_watch(&T, 0, "/local/domain/3/name", "p"), 0);
    nr_events = 0;
    struct store_perm p = { 3, STORE_PERM_READ };
    CHECK_EQ(store_tree_set_perms(&T, 3, "name", &p, 1), 0);
    CHECK_EQ(nr_events, 1);
    CHECK_EQ(events[0].dom, 0);
    teardown();
}

static void test_rm_subtree(void)
{
    char buf[256];
    uint64_t before;

    setup();
    before = T.nodes;
    CHECK_EQ(wr(3, "t/a/b/c", "1"), 0);
    CHECK_EQ(wr(3, "t/a/d", "2"), 0);
    CHECK_EQ(wr(3, "t/e", "3"), 0);
    CHECK_EQ(T.nodes, before + 6);
    CHECK_EQ(store_tree_nodes_of(&T, 3), 2 + 6);    /* home, name and the six */
    CHECK_EQ(store_tree_rm(&T, 3, "t/a"), 0);
    CHECK_EQ(rd(3, "t/a/b/c", buf), -ENOENT);
    CHECK_EQ(rd(3, "t/e", buf), 1);
    CHECK_EQ(store_tree_rm(&T, 3, "t"), 0);
    CHECK_EQ(T.nodes, before);
    CHECK_EQ(store_tree_nodes_of(&T, 3), 2);
    CHECK_EQ(store_tree_rm(&T, 3, "t"), -ENOENT);
    CHECK_EQ(store_tree_rm(&T, 0, "/"), -EINVAL);
    teardown();
}

static void test_quotas(void)
{
    char path[64];
    unsigned made = 0;
    int rc = 0;

    setup();
    while (made < 2 * STORE_QUOTA_NODES) {
        snprintf(path, sizeof(path), "q/%u", made);
        if ((rc = wr(3, path, "x")) < 0)
            break;
        made++;
    }
    CHECK_EQ(rc, -ENOSPC);
    CHECK_EQ(store_tree_nodes_of(&T, 3), STORE_QUOTA_NODES);
    CHECK_EQ(wr(0, "/local/domain/3/by-dom0", "x"), 0);  /* dom0 has no quota */
    CHECK_EQ(wr(4, "mine", "x"), 0);                     /* others unaffected */
    CHECK_EQ(wr(3, "q/0", "overwrite"), 0);              /* no new node: fine */
    CHECK_EQ(store_tree_rm(&T, 3, "q"), 0);
    CHECK_EQ(wr(3, "again", "x"), 0);
    for (made = 0; made < STORE_QUOTA_WATCHES; made++) {
        snprintf(path, sizeof(path), "w%u", made);
        CHECK_EQ(store_tree_watch(&T, 3, "name", path), 0);
    }
    CHECK_EQ(store_tree_watch(&T, 3, "name", "one-too-many"), -ENOSPC);
    CHECK_EQ(store_tree_watches_of(&T, 3), STORE_QUOTA_WATCHES);
    CHECK_EQ(store_tree_unwatch(&T, 3, "name", "w0"), 0);
    CHECK_EQ(store_tree_watch(&T, 3, "name", "one-too-many"), 0);
    teardown();
}

/* Big values: the bytes quota stops a domain long before its node count does, and
 * counts go back with rm; dom0's writes are never refused. */
static void test_bytes_quota(void)
{
    static char big[STORE_PAYLOAD_MAX];
    size_t start;
    char path[32];
    unsigned made = 0;
    int rc = 0;

    setup();
    memset(big, 'v', sizeof(big));
    start = store_tree_bytes_of(&T, 4);
    CHECK(start > 0);                               /* its home and name */
    while (made < STORE_QUOTA_NODES) {
        snprintf(path, sizeof(path), "b/%u", made);
        if ((rc = store_tree_write(&T, 4, path, big, sizeof(big))) < 0)
            break;
        made++;
    }
    CHECK_EQ(rc, -ENOSPC);
    CHECK(made >= STORE_QUOTA_BYTES / (2 * sizeof(big)));
    CHECK(made < STORE_QUOTA_BYTES / sizeof(big) + 1);
    CHECK(store_tree_bytes_of(&T, 4) <= STORE_QUOTA_BYTES);
    /* Growing an existing value is refused too; shrinking is fine. */
    CHECK_EQ(store_tree_write(&T, 4, "small", "x", 1), 0);
    CHECK_EQ(store_tree_write(&T, 4, "small", big, sizeof(big)), -ENOSPC);
    CHECK_EQ(store_tree_write(&T, 4, "b/0", "y", 1), 0);
    CHECK_EQ(store_tree_write(&T, 0, "/local/domain/4/by-dom0", big, sizeof(big)), 0);
    CHECK_EQ(wr(3, "mine", "x"), 0);                /* others unaffected */
    CHECK_EQ(store_tree_rm(&T, 4, "b"), 0);
    CHECK_EQ(store_tree_rm(&T, 4, "small"), 0);
    CHECK_EQ(store_tree_rm(&T, 0, "/local/domain/4/by-dom0"), 0);
    CHECK_EQ(store_tree_bytes_of(&T, 4), start);
    teardown();
}

static void test_malformed(void)
{
    static const struct { const char *path; int rc; } rows[] = {
        { "", -EINVAL }, { "a//b", -EINVAL }, { "a/", -EINVAL }, { "/a/", -EINVAL },
        { "//", -EINVAL }, { "a b", -EINVAL }, { "a\tb", -EINVAL }, { "\xff", -EINVAL },
        { "a*", -EINVAL }, { "ok-name_1.2:3@x", 0 },
    };
    char out[STORE_PATH_MAX], longp[STORE_PATH_MAX + 10], buf[16];

    setup();
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = store_path_resolve(3, rows[i].path, out);

        if (rc != rows[i].rc)
            printf("  path \"%s\"\n", rows[i].path);
        CHECK_EQ(rc, rows[i].rc);
        CHECK_EQ(wr(3, rows[i].path, "v"), rows[i].rc);
    }
    CHECK_EQ(store_path_resolve(3, "/", out), 0);
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    CHECK_EQ(wr(3, longp, "v"), -E2BIG);
    /* A relative path whose home prefix makes it too long. */
    longp[STORE_PATH_MAX - 5] = '\0';
    CHECK_EQ(wr(3, longp, "v"), -E2BIG);
    CHECK_EQ(store_tree_write(&T, 3, "big", longp, STORE_PAYLOAD_MAX + 1), -E2BIG);
    CHECK_EQ(wr(3, "small-buf", "0123456789abcdefXYZ"), 0);
    CHECK_EQ(store_tree_read(&T, 3, "small-buf", buf, sizeof(buf)), -E2BIG);
    CHECK_EQ(store_tree_watch(&T, 3, "a//b", "t"), -EINVAL);
    static const char *bad_perms[] = { "", "x3", "b", "b3x", "r-1", "b32752", "b99999999" };
    struct store_perm p;
    for (unsigned i = 0; i < sizeof(bad_perms) / sizeof(bad_perms[0]); i++)
        CHECK_EQ(store_perm_parse(bad_perms[i], &p), -EINVAL);
    CHECK_EQ(store_perm_parse("w12", &p), 0);
    CHECK_EQ(p.dom, 12);
    CHECK_EQ(p.mode, STORE_PERM_WRITE);
    teardown();
}

static void test_domain_gone(void)
{
    struct store_perm p[2], got[STORE_PERMS_MAX];
    unsigned n;
    char buf[256];

    setup();
    CHECK_EQ(store_tree_mkdir(&T, 0, "/local/domain/4/shared"), 0);
    p[0] = (struct store_perm){ 4, STORE_PERM_NONE };
    p[1] = (struct store_perm){ 3, STORE_PERM_BOTH };
    CHECK_EQ(store_tree_set_perms(&T, 0, "/local/domain/4/shared", p, 2), 0);
    CHECK_EQ(wr(3, "/local/domain/4/shared/made-by-3", "x"), 0);
    CHECK_EQ(store_tree_watch(&T, 3, "name", "t"), 0);
    CHECK_EQ(store_tree_watch(&T, 4, "/local/domain/3", "bystander"), 0);
    nr_events = 0;
    store_tree_domain_gone(&T, 3);
    CHECK_EQ(rd(0, "/local/domain/3/name", buf), -ENOENT);
    CHECK_EQ(store_tree_watches_of(&T, 3), 0);
    CHECK_EQ(store_tree_nodes_of(&T, 3), 0);
    CHECK_EQ(store_tree_bytes_of(&T, 3), 0);
    /* What 3 owned elsewhere is dom0's, 3's entries are gone: a new domain 3 gets
     * nothing of them. */
    CHECK_EQ(store_tree_get_perms(&T, 0, "/local/domain/4/shared/made-by-3", got, &n), 0);
    CHECK_EQ(got[0].dom, 0);
    CHECK_EQ(store_tree_get_perms(&T, 0, "/local/domain/4/shared", got, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(rd(3, "/local/domain/4/shared/made-by-3", buf), -EACCES);
    /* 4's watch on 3's home saw nothing (it may not read there); 3's is gone. */
    CHECK_EQ(nr_events, 0);
    teardown();
}

/* ---- messages ---- */

static uint32_t msg(hv_domid_t dom, uint32_t type, const char *payload, uint32_t len,
                    char *reply, uint32_t *rtype)
{
    struct store_msg_hdr h = { .type = type, .req_id = 7, .tx_id = 0, .len = len };

    return store_msg_handle(&T, dom, &h, payload, reply, rtype);
}

static void test_messages(void)
{
    static char reply[STORE_PAYLOAD_MAX];
    uint32_t type, n;

    setup();
    n = msg(3, STORE_WRITE, "k\0value", 7, reply, &type);
    CHECK_EQ(type, STORE_WRITE);
    CHECK_EQ(n, 3);
    CHECK_STREQ(reply, "OK");
    n = msg(3, STORE_READ, "k", 2, reply, &type);
    CHECK_EQ(type, STORE_READ);
    CHECK_EQ(n, 5);
    CHECK(!memcmp(reply, "value", 5));
    n = msg(3, STORE_READ, "/local/domain/4/name", 21, reply, &type);
    CHECK_EQ(type, STORE_ERROR);
    CHECK_STREQ(reply, "EACCES");
    CHECK_EQ(n, 7);
    CHECK_EQ(store_msg_errno(reply, n - 1), -EACCES);
    n = msg(3, STORE_READ, "k", 1, reply, &type);    /* no NUL */
    CHECK_EQ(type, STORE_ERROR);
    CHECK_STREQ(reply, "EINVAL");
    n = msg(3, 99, "k", 2, reply, &type);
    CHECK_STREQ(reply, "EINVAL");
    n = msg(3, STORE_WATCH, "k", 2, reply, &type);   /* no token */
    CHECK_STREQ(reply, "EINVAL");
    n = msg(3, STORE_WATCH, "k\0t\0junk", 9, reply, &type);
    CHECK_STREQ(reply, "EINVAL");
    n = msg(3, STORE_WATCH, "k\0t", 4, reply, &type);
    CHECK_EQ(type, STORE_WATCH);
    n = msg(3, STORE_SET_PERMS, "k\0b3\0r4", 8, reply, &type);
    CHECK_EQ(type, STORE_SET_PERMS);
    n = msg(3, STORE_GET_PERMS, "k", 2, reply, &type);
    CHECK_EQ(n, 6);
    CHECK(!memcmp(reply, "b3\0r4\0", 6));
    n = msg(3, STORE_SET_PERMS, "k\0b3\0q4", 8, reply, &type);
    CHECK_STREQ(reply, "EINVAL");
    n = msg(3, STORE_SET_PERMS, "k\0b3\0r4", 7, reply, &type);  /* last not ended */
    CHECK_STREQ(reply, "EINVAL");
    n = msg(3, STORE_DIRECTORY, "/local/domain/3", 16, reply, &type);
    CHECK_EQ(n, 7);
    CHECK(!memcmp(reply, "k\0name\0", 7));
    n = msg(3, STORE_RM, "k", 2, reply, &type);
    CHECK_EQ(type, STORE_RM);
    n = msg(3, STORE_MKDIR, "m", 2, reply, &type);
    CHECK_EQ(type, STORE_MKDIR);
    struct store_msg_hdr h = { .type = STORE_READ, .tx_id = 5, .len = 2 };
    store_msg_handle(&T, 3, &h, "k", reply, &type);
    CHECK_STREQ(reply, "EINVAL");                    /* no transactions */
    CHECK_EQ(store_msg_errno("ENOPE", 5), -EIO);
    teardown();
}

/* ---- the page's byte rings (guest/store_wire.c) ---- */

/* A payload four times the ring goes through in pieces, the reader taking what the
 * writer managed each time; indices wrap past 2^32. */
static void test_wire_streaming(void)
{
    static struct store_interface page;
    static char big[STORE_PAYLOAD_MAX];
    static struct store_rx rx;
    struct store_tx tx = { .hdr = { .type = STORE_WRITE, .req_id = 9, .len = sizeof(big) },
                           .payload = big };
    uint32_t cons = 0xfffffc00u, rounds = 0;
    int w = 0, r = 0;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    page.req_prod = page.req_cons = cons;
    while (r != 1 && rounds++ < 100) {
        w = store_tx_push(&tx, page.req, &page.req_cons, &page.req_prod);
        CHECK(w >= 0);
        r = store_rx_feed(&rx, page.req, &cons, &page.req_prod);
        page.req_cons = cons;
        CHECK(r >= 0);
    }
    CHECK_EQ(w, 1);
    CHECK_EQ(r, 1);
    CHECK(rounds >= 3);
    CHECK_EQ(rx.hdr.req_id, 9);
    CHECK_EQ(rx.hdr.len, sizeof(big));
    CHECK(!memcmp(rx.payload, big, sizeof(big)));
    CHECK_EQ(page.req_prod, page.req_cons);
}

static void test_wire_malformed(void)
{
    static struct store_interface page;
    static struct store_rx rx;
    struct store_msg_hdr h = { .type = STORE_READ, .len = STORE_PAYLOAD_MAX + 1 };
    struct store_tx tx = { .hdr = { .type = STORE_READ, .len = 1 }, .payload = "x" };
    uint32_t cons = 0;

    /* prod more than a ring ahead of cons: refused, nothing consumed. */
    page.req_prod = STORE_RING_SIZE + 1;
    CHECK_EQ(store_rx_feed(&rx, page.req, &cons, &page.req_prod), -EIO);
    CHECK_EQ(cons, 0);
    page.req_prod = (uint32_t)-5;       /* "behind" cons */
    CHECK_EQ(store_rx_feed(&rx, page.req, &cons, &page.req_prod), -EIO);
    /* A header announcing more than STORE_PAYLOAD_MAX. */
    memcpy(page.req, &h, sizeof(h));
    page.req_prod = sizeof(h);
    CHECK_EQ(store_rx_feed(&rx, page.req, &cons, &page.req_prod), -EIO);
    /* A writer whose reader's index is nonsense. */
    page.rsp_cons = 5000;
    page.rsp_prod = 0;
    CHECK_EQ(store_tx_push(&tx, page.rsp, &page.rsp_cons, &page.rsp_prod), -EIO);
    /* An empty ring: nothing yet. */
    memset(&rx, 0, sizeof(rx));
    cons = page.req_prod = 40;
    CHECK_EQ(store_rx_feed(&rx, page.req, &cons, &page.req_prod), 0);
}

static const struct unit_case cases[] = {
    { "wire_streaming", test_wire_streaming },
    { "wire_malformed", test_wire_malformed },
    { "read_write", test_read_write },
    { "directory", test_directory },
    { "other_domains_keys", test_other_domains_keys },
    { "perms_given_and_inherited", test_perms_given_and_inherited },
    { "watches", test_watches },
    { "rm_subtree", test_rm_subtree },
    { "quotas", test_quotas },
    { "bytes_quota", test_bytes_quota },
    { "malformed", test_malformed },
    { "domain_gone", test_domain_gone },
    { "messages", test_messages },
};

UNIT_MAIN(cases)
