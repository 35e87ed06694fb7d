/* xl block-attach / block-detach / block-list: PV disks of a running domain
 * (blkback.c does the work; docs/block.md).
 *
 *   block-attach <dom> <spec...>   spec as in a cfg's disk = [...] entry; its words
 *                                  are joined with blanks, so both
 *                                  'target=vd0:0+64,vdev=xvdb' and
 *                                  target=vd0:0+64, vdev=xvdb, access=r work
 *   block-detach <dom> <vdev>      the frontend closes, then the backend goes
 *   block-list <dom>               one line per disk: its state and counters */
#include <store.h>
#include "blkback.h"
#include "dom0.h"
#include "strutil.h"
#include "xl.h"
#include "xlcfg_disk.h"

int xl_block_attach(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct xlcfg_disk d = { 0 };
    char err[192], who[48];
    int rc;

    if (xlcfg_disk_parse_words(argc - 2, argv + 2, &d, err, sizeof(err))) {
        printf("block-attach: %s\n", err);
        return -EINVAL;
    }
    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    fmt_snprintf(who, sizeof(who), "block-attach %u", di.domain);
    if ((rc = blkback_attach(who, di.domain, &d)) < 0)
        return rc;
    printf("block-attach: domain %u %s: %s %s\n", di.domain, d.vdev, d.target,
           d.readonly ? "r" : "rw");
    return 0;
}

int xl_block_detach(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    char who[48];
    int rc;

    (void)argc;
    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    fmt_snprintf(who, sizeof(who), "block-detach %u", di.domain);
    if ((rc = blkback_detach(who, di.domain, argv[2])) < 0 && rc != -ETIMEDOUT)
        return rc;
    printf("block-detach: domain %u %s: detached\n", di.domain, argv[2]);
    return 0;
}

int xl_block_list(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    const struct blkback_dev *d;
    int rc;

    (void)argc;
    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    printf("%-5s %6s %-9s %2s %2s %-16s %-4s %8s %6s %9s %9s %7s\n", "Vdev", "Devid",
           "Conn", "BE", "FE", "Target", "Mode", "Ok", "Err", "Rd-sect", "Wr-sect",
           "Dropped");
    for (unsigned i = 0; (d = blkback_dev_nth(di.domain, i)); i++)
        printf("%-5s %6u %-9s %2d %2d %-16s %-4s %8llu %6llu %9llu %9llu %7llu\n",
               d->vdev, d->devid, blkback_conn_name(d->conn),
               (int)bus_read_state(d->be_dir), (int)blkback_frontend_state(d), d->target,
               d->region.readonly ? "r" : "rw", (unsigned long long)d->reqs_ok,
               (unsigned long long)d->reqs_err, (unsigned long long)d->sectors_rd,
               (unsigned long long)d->sectors_wr, (unsigned long long)d->dropped);
    return 0;
}
