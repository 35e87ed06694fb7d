/* The cost-model hint (docs/cost-model.md, "The hint"): how the hypervisor tells the
 * QEMU cost-model plugin (tools/costmodel/) who runs on a pCPU without disturbing
 * determinism. At every context switch, plugin or not, the new vCPU's pCPU reads one
 * byte of the hypervisor's array costmodel_hint (symbol in build/hvlab64.elf) at
 *     COSTMODEL_HINT_SLOT(domain id, vCPU id)
 * The plugin sees the load's virtual address in its memory callback and decodes it;
 * the byte's value means nothing. The idle vCPU reads slot (COSTMODEL_HINT_IDLE, pCPU).
 * Just before it asks QEMU to power off or exit, the hypervisor reads slot
 * COSTMODEL_HINT_STOP: the plugin counts nothing after it (how long QEMU takes to act
 * on the request depends on the host, so what runs meanwhile is not part of the run).
 *
 * For the TLB model (docs/cost-model.md "TLB model"), read the same way:
 *   COSTMODEL_HINT_FLUSH          the next VMRUN on this pCPU has TLB_CONTROL = flush all
 *   COSTMODEL_HINT_NPT_DOMAIN(d)  HVM domain d's nested table is being built afresh:
 *                                 forget its 2 MiB mappings, and the NPT_2M hints that
 *                                 follow on this pCPU are about d
 *   COSTMODEL_HINT_NPT_2M(b)      guest-physical [b * 2 MiB, (b + 1) * 2 MiB) is one
 *                                 2 MiB nested entry (b < COSTMODEL_HINT_NPT_BLOCKS) */
#ifndef HVLAB_PUBLIC_COSTMODEL_H
#define HVLAB_PUBLIC_COSTMODEL_H

#define COSTMODEL_HINT_VCPUS   256          /* vCPU ids 0..255 (HVMBUILD_MAX_VCPUS) */
#define COSTMODEL_HINT_DOMAINS 1026         /* domain ids 0..1023 (DOMID_MAX), idle, stop */
#define COSTMODEL_HINT_IDLE    1024
#define COSTMODEL_HINT_SLOT(dom, vcpu) ((dom) * COSTMODEL_HINT_VCPUS + (vcpu))
#define COSTMODEL_HINT_STOP    COSTMODEL_HINT_SLOT(1025, 0)
#define COSTMODEL_HINT_FLUSH   COSTMODEL_HINT_SLOT(1025, 1)
/* Slots naming a vCPU (or idle pCPU): below this. */
#define COSTMODEL_HINT_WHO_SIZE (COSTMODEL_HINT_DOMAINS * COSTMODEL_HINT_VCPUS)
#define COSTMODEL_HINT_NPT_DOMAINS 1024
#define COSTMODEL_HINT_NPT_BLOCKS  2048     /* 4 GiB of guest-physical space */
#define COSTMODEL_HINT_NPT_DOMAIN(d) (COSTMODEL_HINT_WHO_SIZE + (d))
#define COSTMODEL_HINT_NPT_2M(b) (COSTMODEL_HINT_WHO_SIZE + COSTMODEL_HINT_NPT_DOMAINS + (b))
#define COSTMODEL_HINT_SIZE    (COSTMODEL_HINT_NPT_2M(COSTMODEL_HINT_NPT_BLOCKS))

#endif
