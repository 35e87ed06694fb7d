/* The store's tree (public/io/store.h): nodes, values, permissions, watches and
 * per-domain quotas. Pure logic: no I/O, no event channels, no allocation but
 * store_mem_alloc/store_mem_free (dom0/store_mem.c in dom0, malloc in the host
 * tests), so it is tested on the host (tests/unit/test_store.c).
 *
 * Every operation is made on behalf of a domain `dom` and checks its permissions:
 * dom0 (domid 0) may do everything; another domain what the node's permission list
 * gives it. Paths are absolute or relative to /local/domain/<dom>.
 *
 * Design: a node holds its name, value, permission list and its children in a list
 * sorted by name (so listings are in a stable order, whatever the order of the
 * writes). Watches are a list; a change at path P fires every watch on P or on an
 * ancestor of P (and, for rm, on a descendant of P) whose domain may read the node,
 * through the `fire` callback given at init. A watch also fires once when it is set.
 * Per-domain quotas count the nodes a domain owns (perms[0]), the bytes they take
 * (struct, name, value) and its watches; dom0 has none, and its writes are never
 * refused, even in a domain's dir.
 * Locking: none; dom0 is one event loop and calls the tree from it only.
 * Limitations: no transactions (tx_id must be 0); no special "@" watch paths. */
#ifndef DOM0_STORE_TREE_H
#define DOM0_STORE_TREE_H

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <public/hvlab.h>
#include <public/io/store.h>

#define STORE_PERMS_MAX     16          /* entries in a node's permission list */
#define STORE_QUOTA_NODES   1000        /* nodes a domain other than dom0 may own */
#define STORE_QUOTA_WATCHES 128         /* watches a domain other than dom0 may set */
#define STORE_QUOTA_BYTES   (128 << 10) /* dom0 memory the nodes a domain owns may take */
#define STORE_TOKEN_MAX     128         /* bytes in a watch token, its NUL included */

enum store_perm_mode {
    STORE_PERM_NONE = 0,
    STORE_PERM_READ = 1,
    STORE_PERM_WRITE = 2,
    STORE_PERM_BOTH = 3,
};

struct store_perm {
    hv_domid_t dom;
    uint8_t mode;                       /* enum store_perm_mode */
};

/* A watch fired: tell dom that path changed; token is the one it set. */
typedef void (*store_fire_fn)(void *ctx, hv_domid_t dom, const char *path,
                              const char *token);

struct store_node;
struct store_watch;
struct store_quota;

struct store_tree {
    struct store_node *root;
    struct store_watch *watches;        /* newest first */
    struct store_quota *quotas;         /* one per domain that owns or watches */
    store_fire_fn fire;
    void *fire_ctx;
    uint64_t nodes;                     /* every node, root included */
};

/* ---- store_mem.c (dom0) or the test: the tree's only allocator ---- */
void *store_mem_alloc(size_t size);     /* NULL when out of memory */
void store_mem_free(void *p, size_t size);  /* size: as allocated */

/* ---- store_tree.c ---- */

/* An empty tree: "/", "/local", "/local/domain", owned by dom0, "n0". 0 or -ENOSPC. */
int store_tree_init(struct store_tree *t, store_fire_fn fire, void *ctx);
/* Frees every node and watch. */
void store_tree_destroy(struct store_tree *t);

/* path (absolute or relative to dom's home) into out[STORE_PATH_MAX], absolute,
 * checked: characters [A-Za-z0-9_@.:-] and '/', no empty component, no trailing '/'
 * (but "/"). 0, -EINVAL (malformed) or -E2BIG (too long). */
int store_path_resolve(hv_domid_t dom, const char *path, char *out);
/* "b3" -> {3, BOTH}: 0 or -EINVAL. */
int store_perm_parse(const char *s, struct store_perm *p);
/* {3, BOTH} -> "b3" into buf (>= 8 bytes): its length. */
int store_perm_format(const struct store_perm *p, char *buf, size_t len);

/* The value (not NUL-terminated) into buf: its length, -E2BIG when it is longer
 * than len, -ENOENT, -EACCES, -EINVAL. */
long store_tree_read(struct store_tree *t, hv_domid_t dom, const char *path,
                     char *buf, size_t len);
/* Creates path and its missing parents (each inheriting its parent's permissions;
 * one made by a domain other than dom0 is owned by it). vlen <= STORE_PAYLOAD_MAX.
 * 0 or -EACCES, -ENOSPC (quota), -E2BIG, -EINVAL. */
int store_tree_write(struct store_tree *t, hv_domid_t dom, const char *path,
                     const char *val, size_t vlen);
/* As write, but an existing node keeps its value: 0 or -errno. */
int store_tree_mkdir(struct store_tree *t, hv_domid_t dom, const char *path);
/* The node and its subtree (not "/"): 0, -ENOENT, -EACCES, -EINVAL. */
int store_tree_rm(struct store_tree *t, hv_domid_t dom, const char *path);
/* Child names, each NUL-terminated: bytes written, -E2BIG when len is too small. */
long store_tree_directory(struct store_tree *t, hv_domid_t dom, const char *path,
                          char *buf, size_t len);
/* The permission list: *n entries into perms[STORE_PERMS_MAX]. 0 or -errno. */
int store_tree_get_perms(struct store_tree *t, hv_domid_t dom, const char *path,
                         struct store_perm *perms, unsigned *n);
/* Sets the list (1..STORE_PERMS_MAX entries): the owner or dom0 only, and only
 * dom0 may give a node to another owner. 0 or -errno. */
int store_tree_set_perms(struct store_tree *t, hv_domid_t dom, const char *path,
                         const struct store_perm *perms, unsigned n);

/* A watch of dom on path with token (< STORE_TOKEN_MAX bytes): fires once now, then
 * at every change. -EEXIST for the same path and token twice, -ENOSPC (quota). */
int store_tree_watch(struct store_tree *t, hv_domid_t dom, const char *path,
                     const char *token);
int store_tree_unwatch(struct store_tree *t, hv_domid_t dom, const char *path,
                       const char *token);

/* dom is gone: its watches are dropped, /local/domain/<dom> removed, and nodes it
 * still owns elsewhere given to dom0, its entries in other lists removed (a later
 * domain with the same id inherits nothing). */
void store_tree_domain_gone(struct store_tree *t, hv_domid_t dom);

/* Quota use of dom, for tests and `xl store-ls`. */
unsigned store_tree_nodes_of(const struct store_tree *t, hv_domid_t dom);
unsigned store_tree_watches_of(const struct store_tree *t, hv_domid_t dom);
size_t store_tree_bytes_of(const struct store_tree *t, hv_domid_t dom);

#endif
