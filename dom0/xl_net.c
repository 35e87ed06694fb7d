/* xl's network commands: network-attach, network-list (netback.c serves the vifs).
 *
 *   network-attach <dom> [mac=<MAC>] [bridge=<name>]
 *       -> "network-attach: domain 3 vif 1 mac=00:16:3e:00:03:01 bridge=br0"
 *   network-list <dom>
 *       -> one line per vif:
 *          "vif 3.0 mac=00:16:3e:00:03:00 bridge=br0 state=connected tx_frames=..
 *           tx_bytes=.. tx_errors=.. rx_frames=.. rx_bytes=.. rx_errors=.. rx_dropped=.."
 *          (counters from the domain's side: tx = what it sent), then
 *          "network-list: domain 3: N vifs" */
#include "dom0.h"
#include "netback.h"
#include "strutil.h"
#include "xl.h"
#include "xlcfg_vif.h"

int xl_network_attach(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct xlcfg_vif vif;
    char spec[XL_LINE_MAX] = "", err[XLCFG_MSG_MAX], mac[XLCFG_MAC_STR_MAX];
    size_t used = 0;
    int rc, devid;

    for (int i = 2; i < argc; i++)
        used += (size_t)fmt_snprintf(spec + used, sizeof(spec) - used, "%s%s",
                                     i > 2 ? "," : "", argv[i]);
    if (xlcfg_vif_parse(spec, &vif, err, sizeof(err))) {
        printf("network-attach: %s\n", err);
        return -EINVAL;
    }
    if ((rc = xl_lookup("network-attach", argv[1], &di)) < 0)
        return rc;
    if (di.domain == 0) {
        printf("network-attach: dom0 has no frontend (its vifs would have no driver)\n");
        return -EINVAL;
    }
    if ((devid = netback_free_devid(di.domain)) < 0) {
        printf("network-attach: domain %u has no free vif number\n", di.domain);
        return devid;
    }
    if ((rc = netback_vif_add("network-attach", di.domain, (unsigned)devid, &vif)) < 0)
        return rc;
    if (!vif.mac_given)
        xlcfg_vif_default_mac(vif.mac, di.domain, (unsigned)devid);
    xlcfg_mac_format(mac, vif.mac);
    printf("network-attach: domain %u vif %d mac=%s bridge=%s\n", di.domain, devid, mac,
           vif.bridge);
    return 0;
}

static void list_one(const struct netback_vif *v, void *arg)
{
    const struct netback_stats *s = &v->st;
    char mac[XLCFG_MAC_STR_MAX];

    (void)arg;
    xlcfg_mac_format(mac, v->mac);
    printf("vif %u.%u mac=%s bridge=%s state=%s tx_frames=%llu tx_bytes=%llu "
           "tx_errors=%llu rx_frames=%llu rx_bytes=%llu rx_errors=%llu rx_dropped=%llu\n",
           v->dom, v->devid, mac, v->bridge, netback_state_name(v),
           (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
           (unsigned long long)s->tx_errors, (unsigned long long)s->rx_frames,
           (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_errors,
           (unsigned long long)s->rx_dropped);
}

int xl_network_list(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    unsigned n;
    int rc;

    (void)argc;
    if ((rc = xl_lookup("network-list", argv[1], &di)) < 0)
        return rc;
    n = netback_for_each(di.domain, list_one, NULL);
    printf("network-list: domain %u: %u vif%s\n", di.domain, n, n == 1 ? "" : "s");
    return 0;
}
