/* The guest runtime's grant tables (guest/gnttab.c; public/grant_table.h is the
 * ABI). Granting side, any domain; mapping side, backends (dom0). The same calls on
 * PV and HVM (PVHVM): the platform decides how the table frames are mapped and
 * what "frame" an entry holds (PV: MFN, HVM: GFN). */
#ifndef GUEST_GNTTAB_H
#define GUEST_GNTTAB_H

#include <guest.h>
#include <public/grant_table.h>

/* Maps our table (nr_frames frames, set up on first use by gnttab_grant). 0 or -errno. */
int gnttab_init(unsigned nr_frames);
/* Grants dom access to our page at va (page-aligned): a ref >= 0, or -ENOSPC
 * (table full), -EINVAL (va not one of our pages). */
int gnttab_grant(hv_domid_t dom, const void *va, bool readonly);
/* Takes a grant back: 0, or -EBUSY while the grantee still maps it (the entry is
 * left as it was; try again later). The ref is then free for reuse. */
int gnttab_end(grant_ref_t ref);
/* Grants in use (for leak checks in tests). */
unsigned gnttab_in_use(void);

/* Mapping side. Maps (dom, ref) at our page-aligned va (NULL: device_map only, the
 * frame held for DMA). On success *handle and *maddr (the frame's machine
 * address) are set. 0 or a GNTST_* status. */
int gnttab_map(hv_domid_t dom, grant_ref_t ref, bool readonly, void *va,
               grant_handle_t *handle, uint64_t *maddr);
int gnttab_unmap(void *va, grant_handle_t handle);
/* n copy operations in as few hypercalls as GNTTAB_BATCH_MAX allows; each op's
 * status is set. 0 if every op succeeded, else the first failing status. */
int gnttab_copy(struct gnttab_copy *ops, unsigned n);
/* Our own frame number for a copy's local side (PV: MFN, HVM: GFN). */
uint64_t gnttab_local_frame(const void *va);

#endif
