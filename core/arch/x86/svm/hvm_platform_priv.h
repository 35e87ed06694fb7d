/* The state behind include/hvlab/x86/hvm_platform.h, private to the glue
 * (hvm_platform.c, svm_sipi.c): the devices' own headers define names (MSR numbers)
 * the hypervisor's x86 headers define too, so they stay out of the public one. */
#ifndef HVLAB_SVM_HVM_PLATFORM_PRIV_H
#define HVLAB_SVM_HVM_PLATFORM_PRIV_H

#include <hvlab/hvm/io.h>
#include <hvlab/hvm/vdev.h>
#include <hvlab/hvm/vintc.h>
#include <hvlab/spinlock.h>
#include <hvlab/timerq.h>
#include <hvlab/types.h>
#include <hvlab/x86/hvm_platform.h>

/* The RTC's wall clock at domain start: this fixed epoch (2026-01-01 00:00 UTC) plus
 * the domain's start in seconds of NOW(). Never the host clock: runs repeat. */
#define HVM_RTC_EPOCH 1767225600ULL

/* A soft timer never fires sooner than this after its previous firing. A guest can
 * program the PIT, the RTC or its LAPIC to interrupt every microsecond; each firing
 * costs the pCPU a host interrupt even when the guest does not run, so one domain
 * could flood a pCPU the others share. The devices keep their grid and coalesce
 * what is delivered late, so the floor bounds the cost (at most 20 000 firings a
 * second per timer) without making the guest's clocks drift. 50 us is below every
 * period Linux or the test guests use (1 ms ticks, 122 us RTC at 8 kHz). */
#define HVM_TIMER_FLOOR_NS 50000LL      /* not for a LAPIC one-shot: see dev_rearm */

enum hvm_timer_kind { HVM_T_PIT, HVM_T_RTC, HVM_T_PM, HVM_T_LAPIC };

struct hvm_dev_timer {
    struct timer timer;
    struct hvm_platform *plat;
    int64_t last_fire;                  /* NOW() of the last firing, for the floor */
    uint8_t kind;                       /* enum hvm_timer_kind */
    uint16_t vcpu;                      /* HVM_T_LAPIC: whose */
};

/* What a vCPU of an HVM domain waits for (INIT/SIPI). */
struct hvm_vcpu_start {
    bool init;                          /* INIT received: waits for SIPI */
    int sipi;                           /* a SIPI's vector, -1 none */
    /* Something may be pending for this vCPU: set (under the lock) by every kick and
     * by the vCPU's own device accesses (an EOI, a TPR or PIC mask change can make a
     * held request deliverable), cleared when a look finds nothing. Entries read it
     * without the lock and skip the controllers when clear: most exits change no
     * interrupt state, and the look costs hundreds of instructions. */
    bool check;
};

struct hvm_platform {
    spinlock_t lock;                    /* every call into the devices below */
    struct domain *d;
    struct hvm_io_bus bus;
    struct vpit pit;
    struct vrtc rtc;
    struct vpmtimer pm;
    struct vuart uart;
    struct vpic pic;
    struct vioapic ioapic;
    struct virq_route route;
    struct hvm_dev_timer pit_t, rtc_t, pm_t;
    unsigned nr_vcpus;
    struct vlapic *lapic;               /* nr_vcpus */
    struct hvm_dev_timer *lapic_t;      /* nr_vcpus */
    struct hvm_vcpu_start *start;       /* nr_vcpus */
    unsigned power;                     /* SHUTDOWN_* + 1 asked by the PM block, 0 none */
    unsigned timer_cpu;                 /* the bus devices' timers' pCPU (a LAPIC's
                                         * timer follows its vCPU: hvm_platform_follow) */
    bool timers_ready;                  /* the timers are initialised */
    bool dying;                         /* destroyed: timer handlers do nothing */
    struct timer free_timer;            /* frees it when destroyed from its own handler */
    bool start_work;                    /* a SIPI was recorded: start the vCPU */
};

#endif
