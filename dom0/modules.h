/* The boot modules dom0 receives (guest images, cfg files, the scenario), found by
 * name. The hypervisor lists every multiboot module after dom0's own image in
 * start_info, mapped read-only, with its command line, from which it has already
 * dropped the loader's file path ("build/guest/cpuloop.elf cpuloop.elf" arrives as
 * "cpuloop.elf"). A module's name is the first word of that command line; should a
 * path still be there (a first word with '/'), it is what follows the path, or the
 * path's last component when nothing does -- the hypervisor's own rule.
 * Pure: the host tests check it. */
#ifndef DOM0_MODULES_H
#define DOM0_MODULES_H

#include <hvlab/lib.h>
#include <public/hvlab.h>

#define MODULE_NAME_MAX 64

/* Writes the module name of cmdline (at most 112 bytes, maybe not NUL-terminated)
 * into buf; "" for an empty command line. */
void module_name(const char *cmdline, size_t cmdline_len, char *buf, size_t size);

/* The module of si named name, or NULL. */
const struct start_module *module_find(const struct start_info *si, const char *name);

#endif
