/* Domain creation and destruction hooks of dom0's services; see domhooks.h. */
#include "dom0.h"
#include "domhooks.h"

extern const struct dom0_domain_hook __start_dom0_domain_hooks[], __stop_dom0_domain_hooks[];

int dom0_domain_built(const char *who, hv_domid_t dom, const struct domain_config *cfg)
{
    int rc;

    for (const struct dom0_domain_hook *h = __start_dom0_domain_hooks;
         h < __stop_dom0_domain_hooks; h++)
        if (h->built && (rc = h->built(who, dom, cfg)) < 0)
            return rc;
    return 0;
}

long dom0_domain_destroy(hv_domid_t dom)
{
    struct domctl op;
    long rc;

    for (const struct dom0_domain_hook *h = __start_dom0_domain_hooks;
         h < __stop_dom0_domain_hooks; h++)
        if (h->release)
            h->release(dom);
    memset(&op, 0, sizeof(op));
    if ((rc = xl_domctl(DOMCTL_destroydomain, dom, &op)) < 0)
        return rc;
    for (const struct dom0_domain_hook *h = __start_dom0_domain_hooks;
         h < __stop_dom0_domain_hooks; h++)
        if (h->gone)
            h->gone(dom);
    return 0;
}
