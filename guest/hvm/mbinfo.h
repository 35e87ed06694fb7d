/* Reading a Multiboot v1 info into the runtime's start_info: pure logic, shared by
 * the HVM start-up (hvm.c) and a host test that checks it against what dom0's loader
 * writes (tests/unit/test_hvm_mbinfo.c, core/lib/hvmbuild_multiboot.c). */
#ifndef GUEST_HVM_MBINFO_H
#define GUEST_HVM_MBINFO_H

#include <hvlab/types.h>
#include <public/hvlab.h>

/* The bytes at guest-physical gpa .. gpa + len, or NULL if they are not memory the
 * reader may look at. In the guest: identity (boot.S maps 4 GiB). */
typedef const void *(*mbinfo_map_fn)(void *arg, uint64_t gpa, size_t len);

#define MBINFO_LOADER_DOMID "hvlab-xl domid="   /* boot loader name: dom0's xl_hvm.c */

/* Fills si (zeroed first) from the info at gpa info: the command line (cut to fit),
 * nr_pages = the end of the RAM region of the memory map holding image_end (without
 * a map: 1 MiB + mem_upper; at most 4 GiB), the domain id from a boot loader name
 * "hvlab-xl domid=N" (0 otherwise), nr_vcpus 1, and the magic. The caller fills the
 * addresses (page tables, shared info, first free pfn). 0, or -EINVAL with *why. */
int mbinfo_read(mbinfo_map_fn map, void *arg, uint32_t info, uint64_t image_end,
                struct start_info *si, const char **why);

#endif
