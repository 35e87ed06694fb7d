/* grant_table_op(cmd, uop, count): sharing frames between domains (Xen's grant
 * tables, version 1 semantics; the code is hvlab's own).
 *
 * A domain (the granter) owns a table of grant entries, in frames the hypervisor
 * allocates for it and the domain maps (PV: GNTTABOP_setup_table gives their machine
 * frames, mapped like any of its own; HVM: HVMOP_map_grant_table puts frame idx at a
 * gfn). It grants one of its frames to one other domain by writing an entry: domid and
 * frame first, then flags last (with a write barrier), so the hypervisor never sees a
 * half-written entry. The grantee maps or copies the frame by (granter, ref); while a
 * mapping exists the hypervisor keeps GTF_reading/GTF_writing set in the entry and a
 * reference on the frame, so the granter cannot take the grant back
 * (its end-access fails with -EBUSY) and the frame is not freed or reused, even if the
 * granter dies: it goes back to the free pool at the last unmap.
 *
 * uop points at `count` structures of the command's type, handled in order; each gets
 * its own status (GNTST_*). The call returns 0 when it could read and write the
 * array (statuses say what happened to each), -EFAULT when not, -EINVAL for an unknown
 * cmd or count above GNTTAB_BATCH_MAX. */
#ifndef HVLAB_PUBLIC_GRANT_TABLE_H
#define HVLAB_PUBLIC_GRANT_TABLE_H

#include "hvlab.h"


#define GNTTABOP_map_grant_ref    0
#define GNTTABOP_unmap_grant_ref  1
#define GNTTABOP_setup_table      2
#define GNTTABOP_copy             5
#define GNTTABOP_query_size       6

#define GNTTAB_BATCH_MAX          64    /* uops per call */
#define GNTTAB_MAX_FRAMES         4     /* table frames per domain: 2048 grants */

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

/* One grant, 8 bytes: GNTTAB_ENTRIES_PER_FRAME per table frame. Refs 0..7 are
 * reserved (Xen reserves them for the toolstack: the store and console pages). */
struct grant_entry {
    uint16_t flags;                     /* GTF_*; written last by the granter */
    hv_domid_t domid;                   /* the domain allowed to use it */
    uint32_t frame;                     /* granter's frame: MFN for PV, GFN for HVM */
};
#define GNTTAB_ENTRIES_PER_FRAME (4096 / sizeof(struct grant_entry))
#define GNTTAB_NR_RESERVED_ENTRIES 8

#define GTF_invalid        0x0          /* no grant */
#define GTF_permit_access  0x1          /* domid may map or copy frame */
#define GTF_type_mask      0x3
#define GTF_readonly       (1u << 2)    /* ... for reading only */
#define GTF_reading        (1u << 3)    /* set by the hypervisor: mapped or being copied */
#define GTF_writing        (1u << 4)    /* set by the hypervisor: mapped writable */

/* Per-op status. */
#define GNTST_okay               0
#define GNTST_general_error     (-1)
#define GNTST_bad_domain        (-2)    /* no such granter, or it is us */
#define GNTST_bad_gntref        (-4)    /* ref out of range, not granted to us, or
                                         * readonly and a write was asked for */
#define GNTST_bad_handle        (-5)    /* unmap of a handle we do not hold */
#define GNTST_bad_virt_addr     (-6)    /* host_addr unusable (PV: no L1, not ours;
                                         * HVM: not a RAM gfn of ours) */
#define GNTST_bad_dev_addr      (-7)
#define GNTST_no_space          (-8)    /* too many mappings held */
#define GNTST_permission_denied (-9)
#define GNTST_bad_page          (-10)   /* the granted frame is not the granter's (or,
                                         * for a writable use, one of its page tables);
                                         * a copy's own frame not the caller's */
#define GNTST_bad_copy_arg      (-11)   /* copy: offset + len past a page, bad flags */

/* GNTTABOP_setup_table: (re)size our table and learn its frames. dom: DOMID_SELF
 * (dom0 may name another domain, to find the frames of its table). */
struct gnttab_setup_table {
    hv_domid_t dom;                     /* IN */
    uint16_t pad;
    uint32_t nr_frames;                 /* IN: 1..GNTTAB_MAX_FRAMES */
    int16_t status;                     /* OUT */
    uint16_t pad2[3];
    uint64_t frame_list;                /* IN: guest address of uint64_t[nr_frames]; OUT
                                         * there: the machine frames of the table (an
                                         * HVM caller gets ~0: it maps the table with
                                         * HVMOP_map_grant_table) */
};

/* GNTTABOP_query_size */
struct gnttab_query_size {
    hv_domid_t dom;                     /* IN */
    uint16_t pad;
    uint32_t nr_frames;                 /* OUT: current */
    uint32_t max_nr_frames;             /* OUT */
    int16_t status;                     /* OUT */
    uint16_t pad2;
};

/* GNTTABOP_map_grant_ref */
#define GNTMAP_host_map    (1u << 1)    /* map at host_addr: PV a page-aligned VA of
                                         * ours whose L1 table exists (the entry must be
                                         * empty); HVM a gfn << 12 of our RAM, replaced
                                         * in our nested page table until the unmap */
#define GNTMAP_device_map  (1u << 0)    /* report dev_bus_addr (machine address) for
                                         * DMA; without host_map, only that: the frame is
                                         * held (and the grant marked in use) until unmap */
#define GNTMAP_readonly    (1u << 2)
struct gnttab_map_grant_ref {
    uint64_t host_addr;                 /* IN */
    uint32_t flags;                     /* IN: GNTMAP_* */
    grant_ref_t ref;                    /* IN */
    hv_domid_t dom;                     /* IN: the granter */
    int16_t status;                     /* OUT */
    grant_handle_t handle;              /* OUT: for the unmap */
    uint64_t dev_bus_addr;              /* OUT: machine address of the frame */
};

/* GNTTABOP_unmap_grant_ref: host_addr (0 for a device_map-only mapping) and handle
 * must be what the map gave. */
struct gnttab_unmap_grant_ref {
    uint64_t host_addr;                 /* IN */
    uint64_t dev_bus_addr;              /* IN: ignored */
    grant_handle_t handle;              /* IN */
    int16_t status;                     /* OUT */
    uint16_t pad;
};

/* GNTTABOP_copy: len bytes from source to dest, neither crossing its page. A side
 * given by grant (flag set) is (domid, ref) of a grant to the caller (a write side
 * needs a writable grant); otherwise it is one of the caller's own frames (PV: MFN,
 * HVM: GFN) and domid must be DOMID_SELF. */
#define GNTCOPY_source_gref (1u << 0)
#define GNTCOPY_dest_gref   (1u << 1)
struct gnttab_copy_ptr {
    union {
        grant_ref_t ref;
        uint64_t gmfn;
    } u;
    hv_domid_t domid;
    uint16_t offset;
    uint32_t pad;
};
struct gnttab_copy {
    struct gnttab_copy_ptr source, dest;
    uint16_t len;
    uint16_t flags;                     /* GNTCOPY_* */
    int16_t status;                     /* OUT */
    uint16_t pad;
};

#endif
