/* The cfg file's disk key (xlcfg.c's table): each entry of disk = [...] parsed by
 * xlcfg_disk_parse, the checks across entries (how many, a vdev given twice) and
 * against other keys (an emulated disk on a PV domain), each reported with the
 * file and line of the key.
 *
 * Locking: none (pure). */
#include <hvlab/errno.h>
#include "xlcfg_disk.h"
#include "xlcfg_priv.h"

int xlcfg_set_disk(struct parser *ps, const struct xlv *v)
{
    struct domain_config *cfg = ps->cfg;
    char why[XLCFG_MSG_MAX - 64];
    int bad = 0;

    if (!v->is_list)
        return key_error(ps, "expected a list [ 'target=..., vdev=...', ... ]");
    if (v->nr > XLCFG_MAX_DISKS)
        return key_error(ps, "%u disks, at most %u", v->nr, XLCFG_MAX_DISKS);
    for (unsigned i = 0; i < v->nr; i++) {
        const struct atom *a = &v->atom[i];
        struct xlcfg_disk *d = &cfg->disks[cfg->nr_disks];

        if (a->kind != ATOM_STRING) {
            bad |= xlp_error_at(ps, a->line, "expected a quoted string, got %s", a->text);
            continue;
        }
        d->line = a->line;
        if (xlcfg_disk_parse(a->text, d, why, sizeof(why))) {
            bad |= xlp_error_at(ps, a->line, "%s", why);
            continue;
        }
        for (unsigned j = 0; j < cfg->nr_disks; j++)
            if (!strcmp(cfg->disks[j].vdev, d->vdev))
                bad |= xlp_error_at(ps, a->line, "vdev '%s' given twice (first on line %u)",
                                    d->vdev, cfg->disks[j].line);
        cfg->nr_disks++;
    }
    return bad;
}

void xlcfg_disk_check(struct parser *ps)
{
    const struct domain_config *cfg = ps->cfg;

    for (unsigned i = 0; i < cfg->nr_disks; i++)
        if (cfg->type == XLCFG_TYPE_PV && !xlcfg_disk_is_pv(cfg->disks[i].vdev))
            xlp_error_at(ps, cfg->disks[i].line, "key 'disk': vdev '%s' is an emulated "
                         "disk: a PV domain needs xvd<a-p>", cfg->disks[i].vdev);
}
