/* Boot command line options. Each module declares its own options next to the
 * variables they set, and the macros place a descriptor into the ".boot_params"
 * linker section; no central table lists them (STYLE 1):
 *
 *   static unsigned int maxcpus = NR_CPUS;
 *   boot_param_uint("maxcpus", maxcpus, "bring up at most this many pCPUs");
 *
 * Syntax: options separated by runs of blanks; "key=value" or a bare "key"; double
 * quotes anywhere in an option are removed and protect blanks ("console=\"com1 vga\"").
 *   bool    "name" = true; "name=" 0/1 no/yes off/on false/true; "no-name" = false
 *   uint    unsigned int, decimal or 0x hex
 *   size    uint64_t bytes, decimal or 0x hex, optional suffix K M G (or k m g)
 *   str     char var[N]: value copied with its NUL; longer than N-1 is an error
 *   custom  fn(value) returns 0 or -EINVAL; a bare "name" passes ""
 * A bad value leaves the variable unchanged; the last occurrence of an option wins. */
#ifndef HVLAB_CMDLINE_H
#define HVLAB_CMDLINE_H

#include "types.h"

enum boot_param_type { BP_BOOL, BP_UINT, BP_SIZE, BP_STR, BP_CUSTOM };

struct boot_param {
    const char *name;
    enum boot_param_type type;
    void *var;                      /* NULL for BP_CUSTOM */
    size_t len;                     /* BP_STR: sizeof the char array */
    int (*custom)(const char *val); /* BP_CUSTOM only */
    const char *help;
};

/* Bounds of the ".boot_params" section, from the hypervisor linker script. */
extern const struct boot_param __boot_params_start[], __boot_params_end[];

#define BOOT_PARAM__CAT2(a, b) a##b
#define BOOT_PARAM__CAT(a, b) BOOT_PARAM__CAT2(a, b)
#define BOOT_PARAM__DEFINE(name_, type_, var_, len_, fn_, help_)               \
    static const struct boot_param BOOT_PARAM__CAT(boot_param__, __COUNTER__)  \
    __attribute__((used, section(".boot_params"), aligned(8))) =              \
        { (name_), (type_), (var_), (len_), (fn_), (help_) }

/* The type checks catch a boot_param_uint() on an int or a size on an unsigned
 * long: the parser writes exactly the width named here. */
#define boot_param_bool(name, var, help)                                       \
    _Static_assert(__builtin_types_compatible_p(__typeof__(var), bool),        \
                   "boot_param_bool needs a bool");                            \
    BOOT_PARAM__DEFINE(name, BP_BOOL, &(var), sizeof(var), NULL, help)

#define boot_param_uint(name, var, help)                                       \
    _Static_assert(__builtin_types_compatible_p(__typeof__(var), unsigned int),\
                   "boot_param_uint needs an unsigned int");                   \
    BOOT_PARAM__DEFINE(name, BP_UINT, &(var), sizeof(var), NULL, help)

#define boot_param_size(name, var, help)                                       \
    _Static_assert(__builtin_types_compatible_p(__typeof__(var), uint64_t),    \
                   "boot_param_size needs a uint64_t");                        \
    BOOT_PARAM__DEFINE(name, BP_SIZE, &(var), sizeof(var), NULL, help)

/* An array, not a pointer: sizeof(var) is the capacity. */
#define boot_param_str(name, var, help)                                        \
    _Static_assert(!__builtin_types_compatible_p(__typeof__(var),              \
                                                 __typeof__(&(var)[0])) &&     \
                   sizeof((var)[0]) == 1, "boot_param_str needs a char array");\
    BOOT_PARAM__DEFINE(name, BP_STR, (var), sizeof(var), NULL, help)

#define boot_param_custom(name, fn, help)                                      \
    BOOT_PARAM__DEFINE(name, BP_CUSTOM, NULL, 0, (fn), help)

/* Applies every option in cmdline to the table [first, end) (end is one past the
 * last entry, like __boot_params_end). Problems are passed to report (may be NULL)
 * one message at a time, and parsing goes on. Returns the number of problems. */
int cmdline_parse(const char *cmdline, const struct boot_param *first,
                  const struct boot_param *end, void (*report)(const char *msg));

/* QEMU and GRUB put the image path first: skips a leading token that has no '='
 * and contains '/' or ends in ".elf". Returns cmdline itself otherwise; "" for NULL. */
const char *cmdline_skip_image(const char *cmdline);

/* One line per option of [first, end): syntax, help text and current value. */
void cmdline_print_help(const struct boot_param *first, const struct boot_param *end,
                        void (*out)(const char *line));

#endif
