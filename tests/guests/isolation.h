/* The isolation tests' reporting (isolation_report.c), shared by the domU guest's case
 * files (isolation.c: faults, page tables, hypercall arguments; isolation_values.c:
 * guest values the hypervisor loads or computes with) and the dom0 guest
 * (isolation_dom0.c: values dom0 passes), and the hvframes guest (hvframes.c: frames
 * the hypervisor writes into). Each case prints one line, see isolation.c. */
#ifndef ISOLATION_H
#define ISOLATION_H

#include <guest.h>

/* One case's verdict, with what happened. */
__printf(3, 4) void result(const char *name, bool ok, const char *fmt, ...);
/* ok when rc is one of the allowed errnos (positive numbers); none listed: any error. */
void expect(const char *name, long rc, const int *allowed, unsigned n);
#define EXPECT(name, rc, ...) \
    expect(name, rc, (const int[]){ __VA_ARGS__ }, sizeof((int[]){ __VA_ARGS__ }) / sizeof(int))
#define EXPECT_ERR(name, rc) expect(name, rc, NULL, 0)
/* Prints "isolation: N passed, N failed"; returns the failure count. */
unsigned report_summary(void);
/* The L1 entry that maps va in the running page tables, ~0 if none. */
uint64_t l1e_of(uint64_t va);

/* isolation_values.c */
void value_cases(void);

#endif
