/* What dom0's services do when a domain is created or destroyed (the store's
 * /local/domain/<id> subtree, block and network backends, the HVM device model),
 * registered from each service's own file, so that create and destroy need not know
 * them:
 *     DOM0_DOMAIN_HOOK(blkback, blkback_domain_built, blkback_domain_gone);
 *
 * built(dom, cfg): after the domain's memory and vCPU 0 are set up, before the
 * scheduler parameters and the unpause. Returns 0, or -errno after printing
 * "<who>: <problem>" (a cfg key names its file and line): the creation then fails
 * and the domain is destroyed (every hook's gone runs, so a hook must cope with a
 * domain it never saw). cfg may be NULL for domains made without a cfg file
 * (hvm-flat).
 * gone(dom): after DOMCTL_destroydomain succeeded (the domain is dying: no vCPU of
 * it runs again); release what the service holds for it (unmap its grants, close
 * channels, remove its store keys). Never fails.
 * release(dom) (optional, DOM0_DOMAIN_HOOK_RELEASE): just before
 * DOMCTL_destroydomain, for mappings dom0 holds of the domain's own frames (the
 * store's ring page): dropped there, they return to the free pool with the domain
 * (its destroy log counts them); dropped in gone, they would come back after it. */
#ifndef DOM0_DOMHOOKS_H
#define DOM0_DOMHOOKS_H

#include "xlcfg.h"

struct dom0_domain_hook {
    const char *name;
    int (*built)(const char *who, hv_domid_t dom, const struct domain_config *cfg);
    void (*gone)(hv_domid_t dom);
    void (*release)(hv_domid_t dom);
};

#define DOM0_DOMAIN_HOOK(n, builtfn, gonefn)                                     \
    static const struct dom0_domain_hook dom0_domain_hook_##n                    \
        __attribute__((used, section("dom0_domain_hooks"), aligned(8))) =        \
            { #n, builtfn, gonefn, NULL }
#define DOM0_DOMAIN_HOOK_RELEASE(n, builtfn, releasefn, gonefn)                  \
    static const struct dom0_domain_hook dom0_domain_hook_##n                    \
        __attribute__((used, section("dom0_domain_hooks"), aligned(8))) =        \
            { #n, builtfn, gonefn, releasefn }

/* Every hook's built, in link order; on a failure, stops there: -errno. */
int dom0_domain_built(const char *who, hv_domid_t dom, const struct domain_config *cfg);
/* Every hook's release, DOMCTL_destroydomain, then every hook's gone when it
 * succeeded: 0 or -errno. */
long dom0_domain_destroy(hv_domid_t dom);

#endif
