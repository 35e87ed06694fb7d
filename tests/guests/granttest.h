/* The grant-table test guest (tests/boot/test_grant.py): one image, three roles by
 * command line. role=granter grants pages to the mapper at refs the test fixes (the
 * guest library hands out refs from GNTTAB_NR_RESERVED_ENTRIES up, in order);
 * role=mapper maps, writes, copies and tries every bad input; role=reuser, created
 * after the granter is destroyed, grants the mapper one page so that the mapper
 * knows a new domain has been built meanwhile (and can check that the dead
 * granter's frames it still maps were not given to it). role=lender and role=holder:
 * the mapper dies instead (the holder exits with its mappings held).
 *
 * The granter and the mapper talk through the first granted page (the mailbox):
 * each side moves its own counter forward and waits for the other's. Each case
 * prints "grant: <case> ok|FAILED (...)"; then "grant: N passed, N failed". */
#ifndef GRANTTEST_H
#define GRANTTEST_H

#include <gnttab.h>
#include <guest.h>

/* The refs of the granter's grants (in the order it makes them). */
enum {
    REF_MAILBOX = GNTTAB_NR_RESERVED_ENTRIES,  /* rw, mapped by the mapper to the end */
    REF_W,                              /* rw: write, end-access while mapped */
    REF_R,                              /* read-only */
    REF_OTHER,                          /* granted to dom0, not to the mapper */
    REF_TABLE,                          /* the granter's L4, "rw": a page table */
    REF_FREED,                          /* a frame the granter gave back */
    REF_W2,                             /* rw, still mapped when the granter dies */
    REF_NEVER,                          /* never granted */
};

#define MAILBOX_MAGIC 0x6772616e74746573ULL  /* "grantes" */
struct mailbox {
    uint64_t magic;                     /* written last by the granter */
    uint64_t w_mfn;                     /* W's machine frame, as the granter knows it */
    uint32_t step;                      /* the granter's progress */
    uint32_t ack;                       /* the mapper's progress */
    char copied[64];                    /* written by the mapper's grant copy */
};

#define R_TEXT  "read-only page of the granter"
#define W_TEXT  "hello from the mapper"
#define W2_TEXT "the granter's last page"
#define W2_MARK "and the mapper's mark"
#define COPY_TEXT "copied by the mapper"

/* granttest.c */
__printf(3, 4) void result(const char *name, bool ok, const char *fmt, ...);
void expect_st(const char *name, int st, int want);    /* a GNTST_* outcome */
unsigned report_summary(void);
/* Waits until *p >= v (the other side's counter): false after about 10 s. */
bool wait_for(volatile uint32_t *p, uint32_t v);
int granter(hv_domid_t mapper);
int reuser(hv_domid_t mapper);

/* granttest_map.c */
int mapper(hv_domid_t granter, hv_domid_t reuser);

#endif
