/* svmconf: a bare-metal kernel that checks EVENTINJ, EXITINTINFO, V_IRQ, interrupt
 * shadows and physical-interrupt intercepts of the SVM it runs on (QEMU's, in the
 * boot test), one line "CASE <name>: PASS|FAIL (<expected> vs <got>)" per case.
 * docs/svm-under-qemu.md lists the cases with the architectural rule of each. */
#ifndef SVMCONF_H
#define SVMCONF_H

#include <hvlab/x86/vmcb.h>

#define RFLAGS_RSVD     0x2ull
#define RFLAGS_IF       0x200ull

#define HOST_TIMER_VEC  0x40        /* LAPIC timer vector of the host */

/* One event the guest's IDT saw (stubs.S -> guest_isr_record). */
struct gevent {
    uint64_t vec, err, rip, rflags, cr2;
};
#define GLOG_MAX 8

/* A text buffer: a case prints what it expected and what it got in the same words,
 * and passes when the two texts are equal. */
struct sbuf {
    char s[160];
    unsigned n;
};

/* Guest snippets and their labels (stubs.S). */
extern const char g_nops[], g_sti[], g_sti_sti[], g_sti_shadow[], g_sti_open[];
extern const char g_spin[], g_spin_end[];
extern const char g_sti_exit[], g_sti_exit_call[], g_movss_exit[], g_movss_exit_call[];
extern const char g_nop_exit[], g_nop_exit_call[];
extern const char g_sti_hlt[], g_sti_hlt_hlt[], g_sti_hlt_after[], g_ud[];
extern const char guest_stubs[], host_stubs[];

/* boot.S */
uint64_t svm_vmrun(uint64_t vmcb_pa);

/* host.c: the C entry (from boot.S) */
void svmconf_main(void);

/* host.c: machine, output, SVM */
extern struct vmcb vmcb;
extern struct gevent glog[GLOG_MAX];
extern volatile unsigned glog_n;
extern volatile unsigned host_timer_hits, host_nmi_hits;
void con_puts(const char *s);
void host_exit(unsigned code) __attribute__((noreturn));
void guest_isr_record(const uint64_t *frame);
void host_isr(const uint64_t *frame);
void svm_setup(void);
void vm_reset(const char *rip, uint64_t rflags);
uint32_t vm_run(void);
void npt_set_hole(bool present);
void lapic_timer_arm(uint32_t count);
bool lapic_irr(unsigned vec);
void lapic_self_nmi(void);

#define GUEST_HOLE_GPA    0x800000ull       /* 2 MiB RAM the nested table leaves out */
#define GUEST_UNMAPPED_VA 0x50000000ull     /* above the guest's 1 GiB page table */

/* report.c: text and the case line */
void sb_init(struct sbuf *b);
void sb_str(struct sbuf *b, const char *s);
void sb_hex(struct sbuf *b, uint64_t v);
void sb_kv(struct sbuf *b, const char *key, uint64_t v);
void sb_exit(struct sbuf *b, uint32_t exitcode);
void sb_rip(struct sbuf *b, const char *key, uint64_t rip, const char *base);
void sb_event(struct sbuf *b, uint64_t vec, uint64_t err, uint64_t rip, const char *base);
void sb_glog(struct sbuf *b, const char *base);
bool report(const char *name, const struct sbuf *expected, const struct sbuf *got);
void report_summary(void);

/* Case tables. */
void cases_inject(void);
void cases_vintr(void);
void cases_intr(void);
void cases_workaround(void);

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void stgi(void) { __asm__ volatile("stgi" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }

#endif
