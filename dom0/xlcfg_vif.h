/* `vif = [...]` entries (dom0/xlcfg_vif.c): one network interface of a domain in
 * xl's key=value form, 'mac=00:16:3e:00:00:01, bridge=br0'; both keys optional. Pure:
 * the cfg parser, `xl network-attach` and the host tests share it. */
#ifndef DOM0_XLCFG_VIF_H
#define DOM0_XLCFG_VIF_H

#include "xlcfg.h"

#define XLCFG_VIF_BRIDGE_DEFAULT "br0"
#define XLCFG_MAC_STR_MAX 18            /* "00:16:3e:00:00:01" and a NUL */

/* Parses one entry ("" gives the defaults: no MAC, bridge br0) into *vif (its line
 * is left to the caller): 0, or -EINVAL with the problem in err, e.g.
 * "mac \"00:16:3e:00:00\": expected six hex bytes separated by ':'". */
int xlcfg_vif_parse(const char *spec, struct xlcfg_vif *vif, char *err, size_t errlen);
/* A MAC "aa:bb:cc:dd:ee:ff" (a unicast, non-zero address): 0 or -EINVAL. */
int xlcfg_mac_parse(const char *s, size_t len, uint8_t mac[6]);
/* The MAC of vif index of domain dom when the cfg gives none: 00:16:3e (Xen's
 * prefix), then the domain id (two bytes) and the index. */
void xlcfg_vif_default_mac(uint8_t mac[6], uint16_t dom, unsigned index);
/* "00:16:3e:00:01:00" into buf (at least XLCFG_MAC_STR_MAX bytes). */
void xlcfg_mac_format(char *buf, const uint8_t mac[6]);

#endif
