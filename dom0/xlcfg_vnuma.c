/* `vnuma = [...]`: a domain's virtual NUMA nodes in a cfg file (syntax in xlcfg.h,
 * docs/vnuma.md), and the layout the hypervisor gets from them.
 *
 * Design: each entry is split at commas into key=value items; an item without '='
 * continues the previous key's list (vcpus=0-1,3 and vdistances=10,20 read as in
 * xl's vnuma). Checks that involve other keys (the sizes add up to memory, every vCPU
 * in exactly one vnode, maxmem = memory) run after the whole file, at the key's line.
 * The layout's rules proper (distances, counts) are checked by the one function the
 * hypervisor uses too, core/lib/vnuma_layout.c: once here against a machine of any
 * node count (the file is read before dom0 asks the hypervisor), again at create
 * against the real machine, where a physical node that does not exist is caught.
 *
 * Locking: none (the parser's state is on the caller's stack).
 *
 * Limitations: xl's nested-list form ([ ["pnode=0", ...], ... ]) is not read: the
 * value lexer has flat lists only; each vnode is one string instead. Sizes are whole
 * MiB. */
#include <hvlab/errno.h>
#include <hvlab/vnuma.h>
#include "strutil.h"
#include "xlcfg_priv.h"

enum vkey { VK_NONE, VK_PNODE, VK_SIZE, VK_VCPUS, VK_VDIST };

static __printf(3, 4) int vnode_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int vnode_number(const char *what, const char *s, size_t len, uint64_t max,
                        uint64_t *out, char *err, size_t errlen)
{
    if (len == 0 || str_to_u64(s, len, false, out) || *out > max)
        return vnode_error(err, errlen, "%s \"%.*s\": expected a number 0..%llu", what,
                           (int)len, s, (unsigned long long)max);
    return 0;
}

/* One item of vcpus: "3" or "0-3". */
static int vnode_vcpus(struct xlcfg_vnode *v, const char *s, size_t len, char *err,
                       size_t errlen)
{
    uint64_t lo, hi;
    size_t dash;

    for (dash = 0; dash < len && s[dash] != '-'; dash++)
        ;
    if (vnode_number("vcpus", s, dash, XLCFG_MAX_VCPUS - 1, &lo, err, errlen))
        return -EINVAL;
    hi = lo;
    if (dash < len && vnode_number("vcpus", s + dash + 1, len - dash - 1,
                                   XLCFG_MAX_VCPUS - 1, &hi, err, errlen))
        return -EINVAL;
    if (hi < lo)
        return vnode_error(err, errlen, "vcpus \"%.*s\": start above end", (int)len, s);
    for (uint64_t i = lo; i <= hi; i++) {
        if (v->vcpus & (1ULL << i))
            return vnode_error(err, errlen, "vcpus: vCPU %llu twice", (unsigned long long)i);
        v->vcpus |= 1ULL << i;
    }
    return 0;
}

static int vnode_item(struct xlcfg_vnode *v, enum vkey k, const char *s, size_t len,
                      char *err, size_t errlen)
{
    uint64_t x;

    switch (k) {
    case VK_PNODE:
        if (vnode_number("pnode", s, len, XLCFG_MAX_VNODES - 1, &x, err, errlen))
            return -EINVAL;
        v->pnode = (int)x;
        return 0;
    case VK_SIZE:
        if (vnode_number("size", s, len, XLCFG_MAX_MEMORY_MIB, &x, err, errlen))
            return -EINVAL;
        if (x == 0)
            return vnode_error(err, errlen, "size 0: a vnode needs memory");
        v->size_mib = x;
        return 0;
    case VK_VCPUS:
        return vnode_vcpus(v, s, len, err, errlen);
    case VK_VDIST:
        if (v->nr_dist == XLCFG_MAX_VNODES)
            return vnode_error(err, errlen, "vdistances: more than %u", XLCFG_MAX_VNODES);
        if (vnode_number("vdistances", s, len, 255, &x, err, errlen))
            return -EINVAL;
        v->dist[v->nr_dist++] = (unsigned)x;
        return 0;
    case VK_NONE:
        break;
    }
    return vnode_error(err, errlen, "\"%.*s\": expected key=value", (int)len, s);
}

static enum vkey vnode_key(const char *k, size_t len)
{
    static const struct { const char *name; enum vkey k; } keys[] = {
        { "pnode", VK_PNODE }, { "size", VK_SIZE }, { "vcpus", VK_VCPUS },
        { "vdistances", VK_VDIST },
    };
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (strlen(keys[i].name) == len && memcmp(keys[i].name, k, len) == 0)
            return keys[i].k;
    return VK_NONE;
}

int xlcfg_vnode_parse(const char *spec, struct xlcfg_vnode *v, char *err, size_t errlen)
{
    enum vkey cur = VK_NONE;
    unsigned seen = 0;
    const char *p = spec;

    memset(v, 0, sizeof(*v));
    v->pnode = -1;
    while (*p) {
        const char *end = strchr(p, ','), *item, *eq;
        size_t len = end ? (size_t)(end - p) : strlen(p);

        item = str_trim(p, &len);
        p = end ? end + 1 : p + strlen(p);
        if (len == 0)
            return vnode_error(err, errlen, "empty item (a stray ',')");
        for (eq = item; eq < item + len && *eq != '='; eq++)
            ;
        if (eq < item + len) {
            size_t klen = (size_t)(eq - item), vlen = len - klen - 1;
            const char *key = str_trim(item, &klen), *val = str_trim(eq + 1, &vlen);

            if ((cur = vnode_key(key, klen)) == VK_NONE)
                return vnode_error(err, errlen, "unknown key '%.*s' (expected pnode, size, "
                                   "vcpus or vdistances)", (int)klen, key);
            if (seen & (1u << cur))
                return vnode_error(err, errlen, "%.*s given twice", (int)klen, key);
            seen |= 1u << cur;
            item = val;
            len = vlen;
        } else if (cur != VK_VCPUS && cur != VK_VDIST) {
            cur = VK_NONE;              /* only those two are lists */
        }
        if (vnode_item(v, cur, item, len, err, errlen))
            return -EINVAL;
    }
    if (!(seen & (1u << VK_SIZE)))
        return vnode_error(err, errlen, "size (MiB) missing");
    if (!(seen & (1u << VK_VCPUS)))
        return vnode_error(err, errlen, "vcpus missing");
    return 0;
}

int xlcfg_set_vnuma(struct parser *ps, const struct xlv *v)
{
    struct xlcfg_vnuma *vn = &ps->cfg->vnuma;
    char err[XLCFG_MSG_MAX];
    int bad = 0;

    if (!v->is_list)
        return key_error(ps, "expected a list of strings, e.g. [ 'pnode=0, size=16, "
                         "vcpus=0-1, vdistances=10,20', ... ]");
    if (v->nr == 0 || v->nr > XLCFG_MAX_VNODES)
        return key_error(ps, "%u vnodes, must be 1..%u", v->nr, XLCFG_MAX_VNODES);
    for (unsigned i = 0; i < v->nr; i++) {
        if (v->atom[i].kind != ATOM_STRING)
            bad = key_error(ps, "vnode %u: expected a quoted string, got %s", i,
                            v->atom[i].text);
        else if (xlcfg_vnode_parse(v->atom[i].text, &vn->v[i], err, sizeof(err)))
            bad = key_error(ps, "vnode %u: %s", i, err);
    }
    if (bad)
        return bad;
    vn->nr = v->nr;
    vn->line = ps->key_line;
    return 0;
}

/* cfg's layout with physical nodes pnode_of(i); the rules for a machine of nr_pnodes. */
static void vnuma_fill(const struct domain_config *cfg, struct vnuma_layout *l)
{
    const struct xlcfg_vnuma *vn = &cfg->vnuma;

    memset(l, 0, sizeof(*l));
    l->nr_vnodes = vn->nr;
    l->nr_vcpus = cfg->vcpus;
    for (unsigned i = 0; i < vn->nr; i++) {
        l->pages[i] = vn->v[i].size_mib << (20 - PAGE_SHIFT);
        for (unsigned c = 0; c < cfg->vcpus && c < VNUMA_MAX_VCPUS; c++)
            if (vn->v[i].vcpus & (1ULL << c))
                l->vcpu_to_vnode[c] = (uint8_t)i;
        for (unsigned j = 0; j < vn->nr; j++) {
            unsigned d = vn->v[i].nr_dist ? vn->v[i].dist[j]
                                          : (i == j ? VNUMA_DIST_LOCAL : 20);
            l->distance[i][j] = (uint8_t)d;
        }
    }
}

/* The key the checks after the file name in their messages. */
static const struct key vnuma_key = { "vnuma", 0, xlcfg_set_vnuma };

static void vnuma_check_keys(struct parser *ps, const struct domain_config *cfg)
{
    const struct xlcfg_vnuma *vn = &cfg->vnuma;
    uint64_t sum = 0, seen = 0, all = (1ULL << cfg->vcpus) - 1;    /* vcpus <= 32 */
    struct vnuma_layout l;
    char why[128];

    for (unsigned i = 0; i < vn->nr; i++) {
        sum += vn->v[i].size_mib;
        /* A vnode's node overrides the memory policy for its range; one outside the
         * `nodes` the file also gives is a contradiction, not a choice to make. */
        if (vn->v[i].pnode >= 0 && cfg->mm_nodes && !cfg->mm_nodes_all &&
            !(cfg->mm_nodes & (1u << vn->v[i].pnode))) {
            xlp_error_at(ps, vn->line, "vnode %u: physical node %d is not in nodes (line %u)",
                         i, vn->v[i].pnode, cfg->mm_nodes_line);
            return;
        }
        if (vn->v[i].nr_dist && vn->v[i].nr_dist != vn->nr) {
            xlp_error_at(ps, vn->line, "vnode %u: %u vdistances for %u vnodes", i,
                         vn->v[i].nr_dist, vn->nr);
            return;
        }
        if (seen & vn->v[i].vcpus) {
            xlp_error_at(ps, vn->line, "vnode %u: vCPU %u is in an earlier vnode too", i,
                         (unsigned)__builtin_ctzll(seen & vn->v[i].vcpus));
            return;
        }
        seen |= vn->v[i].vcpus;
    }
    if (sum != cfg->memory_mib)
        xlp_error_at(ps, vn->line, "the vnodes' sizes add up to %llu MiB, memory is %llu MiB",
                     (unsigned long long)sum, (unsigned long long)cfg->memory_mib);
    else if (cfg->maxmem_mib != cfg->memory_mib)
        xlp_error_at(ps, vn->line, "maxmem (%llu MiB) must equal memory (%llu MiB)",
                     (unsigned long long)cfg->maxmem_mib, (unsigned long long)cfg->memory_mib);
    else if (seen & ~all)
        xlp_error_at(ps, vn->line, "vCPU %u is in a vnode, the domain has %u (vcpus)",
                     (unsigned)__builtin_ctzll(seen & ~all), cfg->vcpus);
    else if (seen != all)
        xlp_error_at(ps, vn->line, "vCPU %u is in no vnode (vcpus = %u)",
                     (unsigned)__builtin_ctzll(all & ~seen), cfg->vcpus);
    else if (vnuma_fill(cfg, &l),
             vnuma_layout_check(&l, cfg->vcpus, vnuma_layout_start(&l, vn->nr),
                                VNUMA_MAX_VNODES, why, sizeof(why)))
        xlp_error_at(ps, vn->line, "%s", why);
}

void xlcfg_vnuma_check(struct parser *ps)
{
    if (!ps->cfg->vnuma.nr)
        return;
    ps->key = &vnuma_key;
    vnuma_check_keys(ps, ps->cfg);
    ps->key = NULL;
}

/* The n-th node (from 0) of set, which has at least n + 1. */
static unsigned nth_node(uint32_t set, unsigned n)
{
    while (n--)
        set &= set - 1;
    return (unsigned)__builtin_ctz(set);
}

int xlcfg_vnuma_layout(const struct domain_config *cfg, const struct cpu_topo *t, int home,
                       struct vnuma_layout *out, char *why, size_t whylen)
{
    unsigned nr_nodes = t->nr_nodes ? t->nr_nodes : 1;
    uint32_t set = cfg->mm_nodes & (uint32_t)((1ULL << nr_nodes) - 1), nr_set = 0;

    for (uint32_t s = set; s; s &= s - 1)
        nr_set++;
    vnuma_fill(cfg, out);
    for (unsigned i = 0; i < cfg->vnuma.nr; i++) {
        int p = cfg->vnuma.v[i].pnode;
        if (p < 0 && home >= 0 && (!nr_set || (set & (1u << home))))
            p = home;
        else if (p < 0 && nr_set)       /* `nodes`: the vnodes in turn on its nodes */
            p = (int)nth_node(set, i % nr_set);
        else if (p < 0)
            p = (int)(i % nr_nodes);
        out->pnode[i] = (uint8_t)p;
    }
    return vnuma_layout_check(out, cfg->vcpus, cfg->memory_mib << (20 - PAGE_SHIFT),
                              t->nr_nodes, why, whylen);
}
