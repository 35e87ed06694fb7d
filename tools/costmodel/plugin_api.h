/* The few declarations of QEMU's TCG plugin interface (API version 1, QEMU 5.2 to
 * 8.1; Debian 12 ships 7.2) that the cost model uses, written from QEMU's "TCG
 * Plugins" documentation: Debian does not install QEMU's own header. The loader looks
 * up qemu_plugin_version and qemu_plugin_install in the shared object and refuses a
 * version outside the range it supports. */
#ifndef COSTMODEL_PLUGIN_API_H
#define COSTMODEL_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLUGIN_API_VERSION 1
#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t plugin_id_t;
typedef uint32_t plugin_meminfo_t;

struct qemu_plugin_tb;                  /* opaque: a translation block */
struct qemu_plugin_insn;                /* opaque: one instruction of it */
struct qemu_plugin_hwaddr;              /* opaque: where a memory access went */

typedef struct {
    const char *target_name;
    struct { int min, cur; } version;
    bool system_emulation;
    union {
        struct { int smp_vcpus, max_vcpus; } system;
    };
} plugin_info_t;

enum plugin_cb_flags { PLUGIN_CB_NO_REGS, PLUGIN_CB_R_REGS, PLUGIN_CB_RW_REGS };
enum plugin_mem_rw { PLUGIN_MEM_R = 1, PLUGIN_MEM_W = 2, PLUGIN_MEM_RW = 3 };

typedef void (*plugin_tb_trans_cb)(plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*plugin_vcpu_udata_cb)(unsigned vcpu_index, void *udata);
typedef void (*plugin_mem_cb)(unsigned vcpu_index, plugin_meminfo_t info, uint64_t vaddr,
                              void *udata);
typedef void (*plugin_udata_cb)(plugin_id_t id, void *udata);

/* The names are QEMU's: they are the ABI. */
void qemu_plugin_register_vcpu_tb_trans_cb(plugin_id_t id, plugin_tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, plugin_vcpu_udata_cb cb,
                                          enum plugin_cb_flags flags, void *udata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            plugin_vcpu_udata_cb cb,
                                            enum plugin_cb_flags flags, void *udata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, plugin_mem_cb cb,
                                      enum plugin_cb_flags flags, enum plugin_mem_rw rw,
                                      void *udata);
void qemu_plugin_register_atexit_cb(plugin_id_t id, plugin_udata_cb cb, void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
/* System emulation, inside a memory callback only: the access's physical address. */
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(plugin_meminfo_t info, uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);

#endif
