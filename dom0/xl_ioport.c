/* xl ioport-read and ioport-permit: dom0's own port access as the hypervisor filters
 * it, and DOMCTL_ioport_permission for a domU (public/physdev.h).
 *   ioport-read <port> [b|w|l] [<count>]   reads a port from dom0 (ring 3): prints the
 *                                          value, or "refused (#GP)" when the hypervisor
 *                                          bounced the access (dom0's #GP handler counts it);
 *                                          with count, reads it count times and prints the
 *                                          time per read (instructions under icount)
 *   ioport-permit <dom> <first> <count> <allow|revoke> */
#include "dom0.h"
#include "strutil.h"
#include "xl.h"
#include <public/domctl.h>

#define GP_VECTOR 13

static volatile unsigned probe_len;     /* the instruction being probed: its length */
static volatile bool probe_refused;
static uint64_t refused_total;

/* A #GP on our own probe: skip it and say so; any other #GP is still fatal. */
static bool ioport_gp(struct guest_trap_frame *f)
{
    if (!probe_len)
        return false;
    probe_refused = true;
    refused_total++;
    f->bf.rip += probe_len;
    return true;
}

static int parse_port(const char *cmd, const char *s, uint64_t max, uint64_t *out)
{
    if (str_to_u64(s, strlen(s), true, out) || *out > max) {
        printf("%s: '%s' is not a port (0..%#lx)\n", cmd, s, (unsigned long)max);
        return -EINVAL;
    }
    return 0;
}

int xl_ioport_read(int argc, char **argv)
{
    uint64_t port, count = 1;
    char size = argc > 2 ? argv[2][0] : 'b';
    uint32_t v = 0;

    if (parse_port(argv[0], argv[1], 0xffff, &port) < 0)
        return -EINVAL;
    if (argc > 3 && (str_to_dec(argv[3], &count) || count == 0 || count > 1000000)) {
        printf("%s: count '%s': 1..1000000\n", argv[0], argv[3]);
        return -EINVAL;
    }
    if ((size != 'b' && size != 'w' && size != 'l') || (argc > 2 && argv[2][1])) {
        printf("%s: size '%s': b, w or l\n", argv[0], argv[2]);
        return -EINVAL;
    }
    trap_set_handler(GP_VECTOR, ioport_gp);
    probe_refused = false;
    probe_len = 1;                      /* a refused timed read is skipped too */
    uint64_t t0 = guest_now_ns();
    for (uint64_t i = 1; i < count; i++)    /* the timed repeats, then the one shown */
        asm volatile(".byte 0xed" : "+a"(v) : "d"((uint16_t)port) : "memory");
    uint64_t t1 = guest_now_ns();
    /* Each probe is one instruction of known length (EC, 66 ED, ED). */
    if (size == 'b') {
        probe_len = 1;
        uint8_t b = 0xff;
        asm volatile(".byte 0xec" : "+a"(b) : "d"((uint16_t)port) : "memory");
        v = b;
    } else if (size == 'w') {
        probe_len = 2;
        uint16_t w = 0xffff;
        asm volatile(".byte 0x66, 0xed" : "+a"(w) : "d"((uint16_t)port) : "memory");
        v = w;
    } else {
        probe_len = 1;
        asm volatile(".byte 0xed" : "+a"(v) : "d"((uint16_t)port) : "memory");
    }
    probe_len = 0;
    trap_set_handler(GP_VECTOR, NULL);
    if (probe_refused)
        printf("ioport-read: %#lx (%c): refused (#GP), %lu refused so far\n",
               (unsigned long)port, size, (unsigned long)refused_total);
    else
        printf("ioport-read: %#lx (%c): %#x\n", (unsigned long)port, size, v);
    if (count > 1)
        printf("ioport-read: %lu reads (l) of %#lx: %lu ns each\n", (unsigned long)count - 1,
               (unsigned long)port, (unsigned long)((t1 - t0) / (count - 1)));
    return 0;
}

int xl_ioport_permit(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct domctl op = { 0 };
    uint64_t first, count;
    long rc;

    (void)argc;
    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return (int)rc;
    if (parse_port(argv[0], argv[2], 0xffff, &first) < 0 ||
        parse_port(argv[0], argv[3], 0x10000, &count) < 0)
        return -EINVAL;
    bool allow = strcmp(argv[4], "allow") == 0;
    if (!allow && strcmp(argv[4], "revoke") != 0) {
        printf("%s: '%s': allow or revoke\n", argv[0], argv[4]);
        return -EINVAL;
    }
    op.u.ioport_permission = (struct domctl_ioport_permission){
        .first_port = (uint32_t)first, .nr_ports = (uint32_t)count, .allow = allow };
    if ((rc = xl_domctl(DOMCTL_ioport_permission, di.domain, &op)) < 0) {
        printf("ioport-permit: d%u ports %#lx+%lu: %s\n", di.domain, (unsigned long)first,
               (unsigned long)count, str_errno((int)rc));
        return (int)rc;
    }
    printf("ioport-permit: d%u ports %#lx+%lu %s\n", di.domain, (unsigned long)first,
           (unsigned long)count, allow ? "allowed" : "revoked");
    return 0;
}
