/* The store's tree: see store_tree.h for the design. */
#include "store_tree.h"

struct store_node {
    struct store_node *parent;
    struct store_node *children;        /* sorted by name */
    struct store_node *next;            /* next sibling */
    char *value;                        /* vlen bytes, NULL when vlen is 0 */
    uint32_t vlen;
    uint16_t nperms;                    /* >= 1: perms[0] is the owner */
    struct store_perm perms[STORE_PERMS_MAX];
    uint16_t name_len;
    char name[];                        /* one component, "" for the root */
};

struct store_watch {
    struct store_watch *next;
    hv_domid_t dom;
    size_t size;                        /* of the allocation */
    const char *token;                  /* both strings follow the struct */
    char path[];
};

struct store_quota {
    struct store_quota *next;
    hv_domid_t dom;
    unsigned nodes, watches;
    size_t bytes;                       /* of the nodes it owns: structs, names, values */
};

/* ---- paths and permission strings ---- */

static bool path_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '@' || c == '.' || c == ':' || c == '/';
}

int store_path_resolve(hv_domid_t dom, const char *path, char *out)
{
    size_t n = 0, plen = strnlen(path, STORE_PATH_MAX + 1);

    if (plen == 0)
        return -EINVAL;
    if (plen > STORE_PATH_MAX)
        return -E2BIG;
    if (path[0] != '/')
        n = (size_t)fmt_snprintf(out, STORE_PATH_MAX, "/local/domain/%u/", dom);
    if (n + plen >= STORE_PATH_MAX)
        return -E2BIG;
    memcpy(out + n, path, plen + 1);
    for (size_t i = 0; out[i]; i++) {
        if (!path_char_ok(out[i]))
            return -EINVAL;
        /* No empty component: "//" or a trailing '/' (the root alone excepted). */
        if (out[i] == '/' && i > 0 && (out[i + 1] == '/' || out[i + 1] == '\0'))
            return -EINVAL;
    }
    return 0;
}

int store_perm_parse(const char *s, struct store_perm *p)
{
    uint64_t id = 0;
    const char *d = s + 1;

    switch (s[0]) {
    case 'n': p->mode = STORE_PERM_NONE; break;
    case 'r': p->mode = STORE_PERM_READ; break;
    case 'w': p->mode = STORE_PERM_WRITE; break;
    case 'b': p->mode = STORE_PERM_BOTH; break;
    default: return -EINVAL;
    }
    if (!*d)
        return -EINVAL;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || (id = id * 10 + (uint64_t)(*d - '0')) >= DOMID_SELF)
            return -EINVAL;
    }
    p->dom = (hv_domid_t)id;
    return 0;
}

int store_perm_format(const struct store_perm *p, char *buf, size_t len)
{
    return fmt_snprintf(buf, len, "%c%u", "nrwb"[p->mode & 3], p->dom);
}

/* ---- quotas ---- */

static struct store_quota *quota_of(const struct store_tree *t, hv_domid_t dom)
{
    for (struct store_quota *q = t->quotas; q; q = q->next)
        if (q->dom == dom)
            return q;
    return NULL;
}

/* The record of dom, made if need be; NULL when out of memory. */
static struct store_quota *quota_get(struct store_tree *t, hv_domid_t dom)
{
    struct store_quota *q = quota_of(t, dom);

    if (!q && (q = store_mem_alloc(sizeof(*q)))) {
        *q = (struct store_quota){ .next = t->quotas, .dom = dom };
        t->quotas = q;
    }
    return q;
}

unsigned store_tree_nodes_of(const struct store_tree *t, hv_domid_t dom)
{
    const struct store_quota *q = quota_of(t, dom);

    return q ? q->nodes : 0;
}

unsigned store_tree_watches_of(const struct store_tree *t, hv_domid_t dom)
{
    const struct store_quota *q = quota_of(t, dom);

    return q ? q->watches : 0;
}

size_t store_tree_bytes_of(const struct store_tree *t, hv_domid_t dom)
{
    const struct store_quota *q = quota_of(t, dom);

    return q ? q->bytes : 0;
}

/* owner gains (or loses) nodes and bytes. */
static void quota_add(struct store_tree *t, hv_domid_t owner, int nodes, long bytes)
{
    struct store_quota *q = nodes > 0 || bytes > 0 ? quota_get(t, owner) : quota_of(t, owner);

    /* No record (out of memory when it was made): nothing is counted for it. */
    if (q) {
        q->nodes += (unsigned)nodes;
        q->bytes += (size_t)bytes;
    }
}

/* What a node of a name_len-byte name costs its owner, value apart. */
static size_t node_cost(size_t name_len)
{
    return sizeof(struct store_node) + name_len + 1;
}

/* ---- nodes ---- */

static struct store_node *node_new(const char *name, size_t name_len,
                                   const struct store_node *parent)
{
    struct store_node *n = store_mem_alloc(sizeof(*n) + name_len + 1);

    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    memcpy(n->name, name, name_len);
    n->name[name_len] = '\0';
    n->name_len = (uint16_t)name_len;
    if (parent) {
        n->nperms = parent->nperms;
        memcpy(n->perms, parent->perms, sizeof(n->perms));
    } else {
        n->nperms = 1;                  /* the root: "n0" */
    }
    return n;
}

static void node_free(struct store_tree *t, struct store_node *n)
{
    if (n->value)
        store_mem_free(n->value, n->vlen);
    store_mem_free(n, sizeof(*n) + n->name_len + 1);
    t->nodes--;
}

/* The child of p named name[0..len), or NULL. */
static struct store_node *node_child(const struct store_node *p, const char *name, size_t len)
{
    for (struct store_node *c = p->children; c; c = c->next)
        if (c->name_len == len && memcmp(c->name, name, len) == 0)
            return c;
    return NULL;
}

/* Inserts c among p's children in name order. */
static void node_link(struct store_node *p, struct store_node *c)
{
    struct store_node **at = &p->children;

    while (*at && strcmp((*at)->name, c->name) < 0)
        at = &(*at)->next;
    c->next = *at;
    *at = c;
    c->parent = p;
}

/* The deepest existing node on abs path; *rest points at what is missing after it
 * (at a '/' or the NUL: "" when the whole path exists). */
static struct store_node *node_walk(const struct store_tree *t, const char *abs,
                                    const char **rest)
{
    struct store_node *n = t->root, *c;
    const char *p = abs;

    while (*p == '/' && p[1]) {
        const char *name = p + 1, *end = name;

        while (*end && *end != '/')
            end++;
        if (!(c = node_child(n, name, (size_t)(end - name))))
            break;
        n = c;
        p = end;
    }
    *rest = (*p == '/' && !p[1]) ? p + 1 : p;
    return n;
}

static struct store_node *node_find(const struct store_tree *t, const char *abs)
{
    const char *rest;
    struct store_node *n = node_walk(t, abs, &rest);

    return *rest ? NULL : n;
}

static unsigned node_mode(const struct store_node *n, hv_domid_t dom)
{
    if (dom == 0 || dom == n->perms[0].dom)
        return STORE_PERM_BOTH;
    for (unsigned i = 1; i < n->nperms; i++)
        if (n->perms[i].dom == dom)
            return n->perms[i].mode;
    return n->perms[0].mode;
}

static bool may_read(const struct store_node *n, hv_domid_t dom)
{
    return node_mode(n, dom) & STORE_PERM_READ;
}

static bool may_write(const struct store_node *n, hv_domid_t dom)
{
    return node_mode(n, dom) & STORE_PERM_WRITE;
}

/* ---- watches ---- */

/* a is path b or one of its ancestors. */
static bool path_at_or_above(const char *a, const char *b)
{
    size_t la = strlen(a);

    if (la == 1)                        /* "/" */
        return true;
    return strncmp(a, b, la) == 0 && (b[la] == '\0' || b[la] == '/');
}

/* Every watch on abs or above it, and with below, on a path under it; n: the node
 * whose permissions decide who is told. */
static void watches_fire(struct store_tree *t, const char *abs, const struct store_node *n,
                         bool below)
{
    for (struct store_watch *w = t->watches; w; w = w->next) {
        if (!may_read(n, w->dom))
            continue;
        if (path_at_or_above(w->path, abs))
            t->fire(t->fire_ctx, w->dom, abs, w->token);
        else if (below && path_at_or_above(abs, w->path))
            t->fire(t->fire_ctx, w->dom, w->path, w->token);
    }
}

/* ---- init and destroy ---- */

static void subtree_free(struct store_tree *t, struct store_node *n)
{
    while (n->children) {
        struct store_node *c = n->children;

        n->children = c->next;
        subtree_free(t, c);
    }
    quota_add(t, n->perms[0].dom, -1, -(long)(node_cost(n->name_len) + n->vlen));
    node_free(t, n);
}

int store_tree_init(struct store_tree *t, store_fire_fn fire, void *ctx)
{
    memset(t, 0, sizeof(*t));
    t->fire = fire;
    t->fire_ctx = ctx;
    if (!(t->root = node_new("", 0, NULL)))
        return -ENOSPC;
    t->nodes = 1;
    return store_tree_mkdir(t, 0, "/local/domain");
}

void store_tree_destroy(struct store_tree *t)
{
    if (t->root)
        subtree_free(t, t->root);
    while (t->watches) {
        struct store_watch *w = t->watches;

        t->watches = w->next;
        store_mem_free(w, w->size);
    }
    while (t->quotas) {
        struct store_quota *q = t->quotas;

        t->quotas = q->next;
        store_mem_free(q, sizeof(*q));
    }
    t->root = NULL;
}

/* ---- operations ---- */

/* Resolves path and finds its node: 0 with *n set, or -errno. */
static int lookup(struct store_tree *t, hv_domid_t dom, const char *path, char *abs,
                  struct store_node **n)
{
    int rc = store_path_resolve(dom, path, abs);

    if (rc < 0)
        return rc;
    return (*n = node_find(t, abs)) ? 0 : -ENOENT;
}

long store_tree_read(struct store_tree *t, hv_domid_t dom, const char *path,
                     char *buf, size_t len)
{
    char abs[STORE_PATH_MAX];
    struct store_node *n;
    int rc;

    if ((rc = lookup(t, dom, path, abs, &n)) < 0)
        return rc;
    if (!may_read(n, dom))
        return -EACCES;
    if (n->vlen > len)
        return -E2BIG;
    if (n->vlen)
        memcpy(buf, n->value, n->vlen);
    return n->vlen;
}

/* The node of abs, made with its missing parents if need be (permissions and quota
 * checked first, so a refusal changes nothing). *made: whether any was made. */
static int node_make(struct store_tree *t, hv_domid_t dom, const char *abs,
                     size_t vlen, struct store_node **out, bool *made)
{
    const char *rest, *p;
    struct store_node *n = node_walk(t, abs, &rest), *c;
    unsigned missing = 0;
    struct store_quota *q = NULL;

    *made = false;
    if (!*rest) {
        if (!may_write(n, dom))
            return -EACCES;
        *out = n;
        return 0;
    }
    if (!may_write(n, dom))
        return -EACCES;
    size_t need = vlen;

    for (p = rest; *p; p++) {
        missing += *p == '/';
        need += *p == '/' ? node_cost(0) : 1;
    }
    if (dom != 0) {
        if (!(q = quota_get(t, dom)))
            return -ENOSPC;
        if (q->nodes + missing > STORE_QUOTA_NODES || q->bytes + need > STORE_QUOTA_BYTES)
            return -ENOSPC;
    }
    for (p = rest; *p == '/';) {
        const char *name = p + 1, *end = name;

        while (*end && *end != '/')
            end++;
        if (!(c = node_new(name, (size_t)(end - name), n)))
            return -ENOSPC;             /* what was made stays: a valid tree */
        if (dom != 0)
            c->perms[0].dom = dom;      /* a domain owns what it creates */
        node_link(n, c);
        t->nodes++;
        quota_add(t, c->perms[0].dom, 1, (long)node_cost(c->name_len));
        *made = true;
        n = c;
        p = end;
    }
    *out = n;
    return 0;
}

int store_tree_write(struct store_tree *t, hv_domid_t dom, const char *path,
                     const char *val, size_t vlen)
{
    char abs[STORE_PATH_MAX];
    struct store_node *n;
    char *copy = NULL;
    bool made;
    int rc;

    if (vlen > STORE_PAYLOAD_MAX)
        return -E2BIG;
    if ((rc = store_path_resolve(dom, path, abs)) < 0)
        return rc;
    if (vlen && !(copy = store_mem_alloc(vlen)))
        return -ENOSPC;
    if ((rc = node_make(t, dom, abs, vlen, &n, &made)) < 0) {
        if (copy)
            store_mem_free(copy, vlen);
        return rc;
    }
    /* A bigger value in an existing node: within its owner's bytes (a new node's
     * were checked with it). dom0's writes are never refused. */
    if (!made && dom != 0 && n->perms[0].dom != 0 && vlen > n->vlen &&
        store_tree_bytes_of(t, n->perms[0].dom) + (vlen - n->vlen) > STORE_QUOTA_BYTES) {
        if (copy)
            store_mem_free(copy, vlen);
        return -ENOSPC;
    }
    quota_add(t, n->perms[0].dom, 0, (long)vlen - (long)n->vlen);
    if (n->value)
        store_mem_free(n->value, n->vlen);
    if (vlen)
        memcpy(copy, val, vlen);
    n->value = copy;
    n->vlen = (uint32_t)vlen;
    watches_fire(t, abs, n, false);
    return 0;
}

int store_tree_mkdir(struct store_tree *t, hv_domid_t dom, const char *path)
{
    char abs[STORE_PATH_MAX];
    struct store_node *n;
    bool made;
    int rc;

    if ((rc = store_path_resolve(dom, path, abs)) < 0)
        return rc;
    if ((rc = node_make(t, dom, abs, 0, &n, &made)) < 0)
        return rc;
    if (made)
        watches_fire(t, abs, n, false);
    return 0;
}

int store_tree_rm(struct store_tree *t, hv_domid_t dom, const char *path)
{
    char abs[STORE_PATH_MAX];
    struct store_node *n, **at;
    int rc;

    if ((rc = lookup(t, dom, path, abs, &n)) < 0)
        return rc;
    if (n == t->root)
        return -EINVAL;
    if (!may_write(n, dom))
        return -EACCES;
    watches_fire(t, abs, n, true);
    for (at = &n->parent->children; *at != n; at = &(*at)->next)
        ;
    *at = n->next;
    subtree_free(t, n);
    return 0;
}

long store_tree_directory(struct store_tree *t, hv_domid_t dom, const char *path,
                          char *buf, size_t len)
{
    char abs[STORE_PATH_MAX];
    struct store_node *n;
    size_t done = 0;
    int rc;

    if ((rc = lookup(t, dom, path, abs, &n)) < 0)
        return rc;
    if (!may_read(n, dom))
        return -EACCES;
    for (struct store_node *c = n->children; c; c = c->next) {
        if (done + c->name_len + 1 > len)
            return -E2BIG;
        memcpy(buf + done, c->name, (size_t)c->name_len + 1);
        done += (size_t)c->name_len + 1;
    }
    return (long)done;
}

int store_tree_get_perms(struct store_tree *t, hv_domid_t dom, const char *path,
                         struct store_perm *perms, unsigned *nr)
{
    char abs[STORE_PATH_MAX];
    struct store_node *n;
    int rc;

    if ((rc = lookup(t, dom, path, abs, &n)) < 0)
        return rc;
    if (!may_read(n, dom))
        return -EACCES;
    memcpy(perms, n->perms, n->nperms * sizeof(*perms));
    *nr = n->nperms;
    return 0;
}

int store_tree_set_perms(struct store_tree *t, hv_domid_t dom, const char *path,
                         const struct store_perm *perms, unsigned nr)
{
    char abs[STORE_PATH_MAX];
    struct store_node *n;
    hv_domid_t old;
    int rc;

    if (nr < 1 || nr > STORE_PERMS_MAX)
        return nr ? -E2BIG : -EINVAL;
    for (unsigned i = 0; i < nr; i++)
        if (perms[i].mode > STORE_PERM_BOTH || perms[i].dom >= DOMID_SELF)
            return -EINVAL;
    if ((rc = lookup(t, dom, path, abs, &n)) < 0)
        return rc;
    old = n->perms[0].dom;
    if (dom != 0 && (dom != old || perms[0].dom != old))
        return -EACCES;
    if (perms[0].dom != old) {
        struct store_quota *q = perms[0].dom ? quota_get(t, perms[0].dom) : NULL;

        if (perms[0].dom && !q)
            return -ENOSPC;
        long cost = (long)(node_cost(n->name_len) + n->vlen);

        quota_add(t, old, -1, -cost);
        quota_add(t, perms[0].dom, 1, cost);
    }
    memcpy(n->perms, perms, nr * sizeof(*perms));
    n->nperms = (uint16_t)nr;
    watches_fire(t, abs, n, false);
    return 0;
}

int store_tree_watch(struct store_tree *t, hv_domid_t dom, const char *path,
                     const char *token)
{
    char abs[STORE_PATH_MAX];
    size_t plen, tlen = strnlen(token, STORE_TOKEN_MAX);
    struct store_quota *q;
    struct store_watch *w;
    int rc;

    if (tlen >= STORE_TOKEN_MAX)
        return -E2BIG;
    if ((rc = store_path_resolve(dom, path, abs)) < 0)
        return rc;
    for (w = t->watches; w; w = w->next)
        if (w->dom == dom && !strcmp(w->path, abs) && !strcmp(w->token, token))
            return -EEXIST;
    if (!(q = quota_get(t, dom)))
        return -ENOSPC;
    if (dom != 0 && q->watches >= STORE_QUOTA_WATCHES)
        return -ENOSPC;
    plen = strlen(abs);
    if (!(w = store_mem_alloc(sizeof(*w) + plen + 1 + tlen + 1)))
        return -ENOSPC;
    w->size = sizeof(*w) + plen + 1 + tlen + 1;
    w->dom = dom;
    memcpy(w->path, abs, plen + 1);
    memcpy(w->path + plen + 1, token, tlen + 1);
    w->token = w->path + plen + 1;
    w->next = t->watches;
    t->watches = w;
    q->watches++;
    t->fire(t->fire_ctx, dom, w->path, w->token);
    return 0;
}

int store_tree_unwatch(struct store_tree *t, hv_domid_t dom, const char *path,
                       const char *token)
{
    char abs[STORE_PATH_MAX];
    int rc;

    if ((rc = store_path_resolve(dom, path, abs)) < 0)
        return rc;
    for (struct store_watch **at = &t->watches; *at; at = &(*at)->next) {
        struct store_watch *w = *at;

        if (w->dom == dom && !strcmp(w->path, abs) && !strcmp(w->token, token)) {
            *at = w->next;
            quota_of(t, dom)->watches--;
            store_mem_free(w, w->size);
            return 0;
        }
    }
    return -ENOENT;
}

/* Gives what dom owns to dom0 and drops dom's entries, in n's subtree. */
static void perms_forget(struct store_tree *t, struct store_node *n, hv_domid_t dom)
{
    unsigned j = 1;

    if (n->perms[0].dom == dom) {
        long cost = (long)(node_cost(n->name_len) + n->vlen);

        quota_add(t, dom, -1, -cost);
        quota_add(t, 0, 1, cost);
        n->perms[0].dom = 0;
    }
    for (unsigned i = 1; i < n->nperms; i++)
        if (n->perms[i].dom != dom)
            n->perms[j++] = n->perms[i];
    n->nperms = (uint16_t)j;
    for (struct store_node *c = n->children; c; c = c->next)
        perms_forget(t, c, dom);
}

void store_tree_domain_gone(struct store_tree *t, hv_domid_t dom)
{
    char home[STORE_PATH_MAX];

    if (dom == 0)
        return;
    for (struct store_watch **at = &t->watches; *at;) {
        struct store_watch *w = *at;

        if (w->dom == dom) {
            *at = w->next;
            store_mem_free(w, w->size);
        } else {
            at = &w->next;
        }
    }
    fmt_snprintf(home, sizeof(home), "/local/domain/%u", dom);
    store_tree_rm(t, 0, home);
    perms_forget(t, t->root, dom);
    for (struct store_quota **at = &t->quotas; *at; at = &(*at)->next) {
        if ((*at)->dom == dom) {
            struct store_quota *q = *at;

            *at = q->next;
            store_mem_free(q, sizeof(*q));
            break;
        }
    }
}
