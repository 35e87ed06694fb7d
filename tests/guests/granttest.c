/* The grant-table test guest: reporting, the granter and the reuser (granttest.h;
 * the mapper is granttest_map.c). */
#include "granttest.h"

#include <public/memory.h>

static unsigned passed, failed;

void result(const char *name, bool ok, const char *fmt, ...)
{
    char detail[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    printf("grant: %s %s (%s)\n", name, ok ? "ok" : "FAILED", detail);
    if (ok)
        passed++;
    else
        failed++;
}

void expect_st(const char *name, int st, int want)
{
    result(name, st == want, "status %d, expected %d", st, want);
}

unsigned report_summary(void)
{
    printf("grant: %u passed, %u failed\n", passed, failed);
    return failed;
}

bool wait_for(volatile uint32_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 10000; i++) {
        if (__atomic_load_n(p, __ATOMIC_ACQUIRE) >= v)
            return true;
        sleep_ns(1000000);
    }
    return false;
}

static void *page_with(const char *text)
{
    char *p = alloc_page();

    if (!p)
        guest_crash("granter: out of pages");
    snprintf(p, PAGE_SIZE, "%s", text);
    return p;
}

static void grant_at(const char *what, hv_domid_t dom, const void *va, bool ro, int want)
{
    int ref = gnttab_grant(dom, va, ro);

    result(what, ref == want, "ref %d, expected %d", ref, want);
}

/* Gives the frame behind va back to the hypervisor: unmapped, then released. */
static long release_page(void *va)
{
    uint64_t mfn = virt_to_mfn(va);
    struct xen_memory_reservation r = {
        .extent_start = (uintptr_t)&mfn, .nr_extents = 1, .domid = DOMID_SELF,
    };
    long rc = unmap_page((uintptr_t)va);

    return rc < 0 ? rc : hv_memory_op(XENMEM_decrease_reservation, &r);
}

int granter(hv_domid_t peer)
{
    struct mailbox *mb = alloc_page();
    char *w = page_with(""), *r = page_with(R_TEXT), *other = page_with("");
    char *freed = page_with(""), *w2 = page_with(W2_TEXT);

    result("granter table", gnttab_init(1) == 0, "gnttab_init(1)");
    grant_at("grant mailbox", peer, mb, false, REF_MAILBOX);
    grant_at("grant W", peer, w, false, REF_W);
    grant_at("grant R read-only", peer, r, true, REF_R);
    grant_at("grant to another domain", 0, other, false, REF_OTHER);
    grant_at("grant a page table", peer, (void *)(uintptr_t)start_info->pt_base, false,
             REF_TABLE);
    grant_at("grant a frame then give it back", peer, freed, false, REF_FREED);
    result("frame given back", release_page(freed) == 1, "decrease_reservation");
    grant_at("grant W2", peer, w2, false, REF_W2);
    result("grants in use", gnttab_in_use() == 7, "%u", gnttab_in_use());
    mb->w_mfn = virt_to_mfn(w);
    __atomic_store_n(&mb->magic, MAILBOX_MAGIC, __ATOMIC_RELEASE);

    /* 1: the mapper has W mapped and wrote into it. */
    result("mapper reached step 1", wait_for(&mb->ack, 1), "ack %u", mb->ack);
    result("granter sees the mapper's write", strcmp(w, W_TEXT) == 0, "\"%.40s\"", w);
    result("end-access refused while mapped", gnttab_end(REF_W) == -EBUSY, "EBUSY");
    __atomic_store_n(&mb->step, 1, __ATOMIC_RELEASE);

    /* 2: the mapper unmapped W; 3: its bad inputs and copies are done. */
    result("mapper reached step 2", wait_for(&mb->ack, 2), "ack %u", mb->ack);
    result("end-access after the unmap", gnttab_end(REF_W) == 0, "0");
    result("end-access twice", gnttab_end(REF_W) == -EINVAL, "EINVAL");
    __atomic_store_n(&mb->step, 2, __ATOMIC_RELEASE);
    result("mapper reached step 3", wait_for(&mb->ack, 3), "ack %u", mb->ack);
    result("granter sees the mapper's copy", strcmp(mb->copied, COPY_TEXT) == 0,
           "\"%.40s\"", mb->copied);
    result("end-access of a read-only grant no longer mapped", gnttab_end(REF_R) == 0, "0");

    /* 4: W2 is mapped. The granter dies with it (and the mailbox) mapped. */
    result("mapper reached step 4", wait_for(&mb->ack, 4), "ack %u", mb->ack);
    result("end-access of W2 refused", gnttab_end(REF_W2) == -EBUSY, "EBUSY");
    printf("granter: exiting with W2 and the mailbox mapped\n");
    return (int)report_summary();
}

/* Grants the mapper one page and waits until the mapper has written into it. */
int reuser(hv_domid_t peer)
{
    char *p = page_with("");
    int ref = gnttab_grant(peer, p, false);

    result("reuser grant", ref == REF_MAILBOX, "ref %d", ref);
    for (unsigned i = 0; i < 10000 && strcmp(p, "seen") != 0; i++)
        sleep_ns(1000000);
    result("reuser sees the mapper", strcmp(p, "seen") == 0, "\"%.8s\"", p);
    for (unsigned i = 0; i < 10000 && gnttab_end(ref) == -EBUSY; i++)
        sleep_ns(1000000);
    result("reuser ends its grant", gnttab_in_use() == 0, "%u in use", gnttab_in_use());
    return (int)report_summary();
}

/* The mapper-dies case: the lender grants the holder a page; the holder maps it
 * (host and device mappings), writes, waits for the lender to see end-access refused,
 * and exits holding both. Its destruction releases them: the lender's end-access then
 * succeeds. */
#define HOLDER_MARK "mapped by the holder"
#define LENDER_ACK  "the lender saw EBUSY"

static int lender(hv_domid_t peer)
{
    char *p = page_with("");
    int ref = gnttab_grant(peer, p, false), rc = -EBUSY;

    result("lender grant", ref == REF_MAILBOX, "ref %d", ref);
    for (unsigned i = 0; i < 10000 && strcmp(p, HOLDER_MARK) != 0; i++)
        sleep_ns(1000000);
    result("lender sees the holder's write", strcmp(p, HOLDER_MARK) == 0, "\"%.30s\"", p);
    result("end-access refused while the holder maps it", gnttab_end((grant_ref_t)ref) == -EBUSY,
           "EBUSY");
    snprintf(p + 512, 64, "%s", LENDER_ACK);
    for (unsigned i = 0; i < 10000 && (rc = gnttab_end((grant_ref_t)ref)) == -EBUSY; i++)
        sleep_ns(1000000);
    result("end-access once the holder is destroyed", rc == 0, "%d", rc);
    return (int)report_summary();
}

static int holder(hv_domid_t peer)
{
    char *va = (char *)(uintptr_t)0x40000000ULL;
    grant_handle_t h, hd;
    int st = GNTST_bad_domain;

    for (unsigned i = 0; i < 10000 && st != GNTST_okay; i++)
        if ((st = gnttab_map(peer, REF_MAILBOX, false, va, &h, NULL)) != GNTST_okay)
            sleep_ns(1000000);
    expect_st("holder maps the page", st, GNTST_okay);
    if (st != GNTST_okay)
        return (int)report_summary();
    expect_st("holder device-maps it too", gnttab_map(peer, REF_MAILBOX, true, NULL, &hd, NULL),
              GNTST_okay);
    snprintf(va, 64, "%s", HOLDER_MARK);
    for (unsigned i = 0; i < 10000 && strcmp(va + 512, LENDER_ACK) != 0; i++)
        sleep_ns(1000000);
    result("holder sees the lender's ack", strcmp(va + 512, LENDER_ACK) == 0, "\"%.30s\"",
           va + 512);
    printf("holder: exiting with 2 mappings held\n");
    return (int)report_summary();
}

int main(const struct start_info *si)
{
    char role[16] = "";

    (void)si;
    guest_arg("role", role, sizeof(role));
    if (!strcmp(role, "granter"))
        return granter((hv_domid_t)guest_arg_uint("mapper", 2));
    if (!strcmp(role, "reuser"))
        return reuser((hv_domid_t)guest_arg_uint("mapper", 2));
    if (!strcmp(role, "lender"))
        return lender((hv_domid_t)guest_arg_uint("holder", 2));
    if (!strcmp(role, "holder"))
        return holder((hv_domid_t)guest_arg_uint("lender", 1));
    if (!strcmp(role, "mapper"))
        return mapper((hv_domid_t)guest_arg_uint("granter", 1),
                      (hv_domid_t)guest_arg_uint("reuser", 3));
    printf("granttest: role=granter|mapper|reuser|lender|holder, got \"%s\"\n", role);
    return 1;
}
