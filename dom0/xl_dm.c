/* The device model's commands (dom0/dm.h):
 *   dm-attach <dom> [<target>]   give an HVM domain the device model (the PCI host
 *                                bridge; with a pdisk region, also the ATA disk hda)
 *                                when its cfg did not (a domain made by hvm-flat)
 *   dm-detach <dom>              take it away again (accesses then read all ones)
 *   dm-inject <dom> bad-state|bad-size|hold
 *                                the next answer to the domain is malformed (tests:
 *                                the hypervisor must crash that domain, nothing else),
 *                                or the next request is held 20 ms (its vCPU blocks)
 *   dm-list                      per domain: requests, port and MMIO accesses,
 *                                string runs and bytes, unclaimed, malformed, held
 * Output formats are stable (tests parse them). */
#include "dm.h"
#include "dom0.h"
#include "strutil.h"
#include "xl.h"

int xl_dm_attach(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    int rc;

    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    return dm_attach(argv[0], di.domain, argc > 2 ? argv[2] : NULL, false);
}

int xl_dm_detach(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    int rc;

    (void)argc;
    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    dm_detach(di.domain);
    return 0;
}

int xl_dm_inject(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    enum dm_fault f;
    int rc;

    (void)argc;
    if (strcmp(argv[2], "bad-state") == 0)
        f = DM_FAULT_STATE;
    else if (strcmp(argv[2], "bad-size") == 0)
        f = DM_FAULT_SIZE;
    else if (strcmp(argv[2], "hold") == 0)
        f = DM_FAULT_HOLD;
    else {
        printf("%s: unknown fault '%s' (bad-state, bad-size, hold)\n", argv[0], argv[2]);
        return -EINVAL;
    }
    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    if ((rc = dm_inject(di.domain, f)) < 0) {
        printf("%s: domain %u has no device model\n", argv[0], di.domain);
        return rc;
    }
    return 0;
}

int xl_dm_list(int argc, char **argv)
{
    struct dm_stats st;
    hv_domid_t dom;

    (void)argc;
    (void)argv;
    printf("dm: domain requests pio mmio strings string_bytes unclaimed malformed held\n");
    for (unsigned i = 0; i < DM_MAX; i++)
        if (dm_stats_of(i, &dom, &st))
            printf("dm: %u %llu %llu %llu %llu %llu %llu %llu %llu\n", dom,
                   (unsigned long long)st.requests, (unsigned long long)st.pio,
                   (unsigned long long)st.mmio, (unsigned long long)st.strings,
                   (unsigned long long)st.string_bytes, (unsigned long long)st.unclaimed,
                   (unsigned long long)st.bad_requests, (unsigned long long)st.held);
    return 0;
}
