/* The cost-model hint (docs/cost-model.md, "The hint"): how the hypervisor tells the
 * QEMU cost-model plugin (tools/costmodel/) who runs on a pCPU without disturbing
 * determinism. At every context switch, plugin or not, the new vCPU's pCPU reads one
 * byte of the hypervisor's array costmodel_hint (symbol in build/hvlab64.elf) at
 *     COSTMODEL_HINT_SLOT(domain id, vCPU id)
 * The plugin sees the load's virtual address in its memory callback and decodes it;
 * the byte's value means nothing. The idle vCPU reads slot (COSTMODEL_HINT_IDLE, pCPU).
 * Just before it asks QEMU to power off or exit, the hypervisor reads slot
 * COSTMODEL_HINT_STOP: the plugin counts nothing after it (how long QEMU takes to act
 * on the request depends on the host, so what runs meanwhile is not part of the run). */
#ifndef HVLAB_PUBLIC_COSTMODEL_H
#define HVLAB_PUBLIC_COSTMODEL_H

#define COSTMODEL_HINT_VCPUS   256          /* vCPU ids 0..255 (HVMBUILD_MAX_VCPUS) */
#define COSTMODEL_HINT_DOMAINS 1026         /* domain ids 0..1023 (DOMID_MAX), idle, stop */
#define COSTMODEL_HINT_IDLE    1024
#define COSTMODEL_HINT_STOP    COSTMODEL_HINT_SLOT(1025, 0)
#define COSTMODEL_HINT_SIZE    (COSTMODEL_HINT_DOMAINS * COSTMODEL_HINT_VCPUS)
#define COSTMODEL_HINT_SLOT(dom, vcpu) ((dom) * COSTMODEL_HINT_VCPUS + (vcpu))

#endif
