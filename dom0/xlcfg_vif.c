/* `vif = [...]`: network interfaces in a cfg file, and the same entry syntax for
 * `xl network-attach`; see xlcfg_vif.h.
 *
 * Design: an entry is split at commas into key=value pairs (blanks around either
 * are ignored, as xl does); each key may appear once. Checks that involve several
 * entries (the same MAC twice) run after all entries are read, so every problem in
 * the list is reported with the key's line.
 *
 * Limitations: of xl's vif keys only mac and bridge are supported; the others
 * (script, ip, model, type, ...) are refused by name rather than ignored. */
#include <hvlab/errno.h>
#include "strutil.h"
#include "xlcfg_priv.h"
#include "xlcfg_vif.h"

int xlcfg_mac_parse(const char *s, size_t len, uint8_t mac[6])
{
    return mac_parse(s, len, mac) ? -EINVAL : 0;
}

void xlcfg_mac_format(char *buf, const uint8_t mac[6])
{
    fmt_snprintf(buf, XLCFG_MAC_STR_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                 mac[2], mac[3], mac[4], mac[5]);
}

void xlcfg_vif_default_mac(uint8_t mac[6], uint16_t dom, unsigned index)
{
    mac[0] = 0x00;
    mac[1] = 0x16;
    mac[2] = 0x3e;
    mac[3] = (uint8_t)(dom >> 8);
    mac[4] = (uint8_t)dom;
    mac[5] = (uint8_t)index;
}

static __printf(3, 4) int vif_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int vif_set_mac(struct xlcfg_vif *vif, const char *val, size_t len, char *err,
                       size_t errlen)
{
    if (xlcfg_mac_parse(val, len, vif->mac))
        return vif_error(err, errlen, "mac \"%.*s\": expected six hex bytes separated "
                         "by ':' (00:16:3e:00:00:01)", (int)len, val);
    if (vif->mac[0] & 1)
        return vif_error(err, errlen, "mac \"%.*s\": a group (multicast) address, not "
                         "an interface's", (int)len, val);
    if (!(vif->mac[0] | vif->mac[1] | vif->mac[2] | vif->mac[3] | vif->mac[4] |
          vif->mac[5]))
        return vif_error(err, errlen, "mac \"%.*s\": the zero address", (int)len, val);
    vif->mac_given = true;
    return 0;
}

static int vif_set_bridge(struct xlcfg_vif *vif, const char *val, size_t len, char *err,
                          size_t errlen)
{
    if (len == 0 || len >= sizeof(vif->bridge))
        return vif_error(err, errlen, "bridge \"%.*s\": a name of 1 to %zu characters",
                         (int)len, val, sizeof(vif->bridge) - 1);
    for (size_t i = 0; i < len; i++)
        if (!xlp_is_key_char(val[i], false) && val[i] != '-' && val[i] != '.')
            return vif_error(err, errlen, "bridge \"%.*s\": only letters, digits, '-', "
                             "'_' and '.'", (int)len, val);
    str_copy(vif->bridge, sizeof(vif->bridge), val, len);
    return 0;
}

int xlcfg_vif_parse(const char *spec, struct xlcfg_vif *vif, char *err, size_t errlen)
{
    static const char *const unsupported[] = {
        "script", "ip", "model", "type", "vifname", "rate", "backend", "gatewaydev",
    };
    bool seen_mac = false, seen_bridge = false;
    const char *p = spec;

    memset(vif, 0, sizeof(*vif));
    str_copy(vif->bridge, sizeof(vif->bridge), XLCFG_VIF_BRIDGE_DEFAULT,
             strlen(XLCFG_VIF_BRIDGE_DEFAULT));
    while (str_is_blank(*p))
        p++;
    while (*p) {
        const char *end = strchr(p, ','), *eq, *key, *val;
        size_t len = end ? (size_t)(end - p) : strlen(p), klen, vlen;
        int rc;

        key = str_trim(p, &len);
        p = end ? end + 1 : p + strlen(p);
        if (len == 0 || (end && !*p))
            return vif_error(err, errlen, "empty item (a stray ',')");
        for (eq = key; eq < key + len && *eq != '='; eq++)
            ;
        if (eq == key + len)
            return vif_error(err, errlen, "\"%.*s\": expected key=value", (int)len, key);
        klen = (size_t)(eq - key);
        key = str_trim(key, &klen);
        vlen = len - (size_t)(eq + 1 - key);
        val = str_trim(eq + 1, &vlen);
        if (klen == 3 && memcmp(key, "mac", 3) == 0) {
            if (seen_mac)
                return vif_error(err, errlen, "mac given twice");
            seen_mac = true;
            rc = vif_set_mac(vif, val, vlen, err, errlen);
        } else if (klen == 6 && memcmp(key, "bridge", 6) == 0) {
            if (seen_bridge)
                return vif_error(err, errlen, "bridge given twice");
            seen_bridge = true;
            rc = vif_set_bridge(vif, val, vlen, err, errlen);
        } else {
            for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
                if (strlen(unsupported[i]) == klen && memcmp(key, unsupported[i], klen) == 0)
                    return vif_error(err, errlen, "'%s' is not supported (only mac and "
                                     "bridge)", unsupported[i]);
            return vif_error(err, errlen, "unknown key '%.*s' (expected mac or bridge)",
                             (int)klen, key);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* The `vif` key of a cfg file: a list of entries, each a string. */
int xlcfg_set_vif(struct parser *ps, const struct xlv *v)
{
    struct domain_config *cfg = ps->cfg;
    char err[XLCFG_MSG_MAX];
    int bad = 0;

    if (!v->is_list)
        return key_error(ps, "expected a list of strings, e.g. [ 'mac=00:16:3e:00:00:01, "
                         "bridge=br0' ]");
    if (v->nr > XLCFG_MAX_VIFS)
        return key_error(ps, "%u entries, at most %u", v->nr, XLCFG_MAX_VIFS);
    cfg->nr_vifs = 0;
    for (unsigned i = 0; i < v->nr; i++) {
        struct xlcfg_vif *vif = &cfg->vifs[i];

        if (v->atom[i].kind != ATOM_STRING) {
            bad = key_error(ps, "entry %u: expected a quoted string, got %s", i,
                            v->atom[i].text);
            continue;
        }
        if (xlcfg_vif_parse(v->atom[i].text, vif, err, sizeof(err))) {
            bad = key_error(ps, "entry %u: %s", i, err);
            continue;
        }
        vif->line = ps->key_line;
        for (unsigned j = 0; j < i; j++)
            if (vif->mac_given && cfg->vifs[j].mac_given &&
                memcmp(cfg->vifs[j].mac, vif->mac, 6) == 0)
                bad = key_error(ps, "entry %u: the MAC of entry %u again", i, j);
    }
    if (bad)
        return bad;
    cfg->nr_vifs = v->nr;
    return 0;
}
