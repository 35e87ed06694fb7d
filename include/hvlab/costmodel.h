/* The cost-model hint: core/costmodel_hint.c, ABI in include/public/costmodel.h. */
#ifndef HVLAB_COSTMODEL_H
#define HVLAB_COSTMODEL_H

#include <hvlab/types.h>

struct vcpu;

extern volatile uint8_t costmodel_hint[];

/* Called on the new vCPU's stack after every switch (context_switch_finish). */
void costmodel_hint_switch(const struct vcpu *v);

/* Called just before asking QEMU to power off or exit (shutdown.c): the run ends here. */
void costmodel_hint_stop(void);

#endif
