/* The platform devices of an HVM domain, as pure state machines (core/hvm/): the 8254
 * PIT (vpit.c), the MC146818 RTC/CMOS (vrtc.c), the ACPI PM timer with the PM1
 * registers and the reset port (vpmtimer.c) and a 16550A UART (vuart.c).
 *
 * Rules they all follow, so the same code runs in the hypervisor and in host tests:
 * - no clock reads: every call that depends on time takes `now`, ns of NOW();
 *   callers pass non-decreasing values (a smaller one is taken as the last seen);
 * - no locks: the domain's glue serialises calls on one device;
 * - a device with a timer has X_next_event (absolute ns of the next moment its
 *   interrupt line may change, HVM_NO_EVENT when none) and X_advance (do what is due
 *   at now); the glue arms one soft timer per device from X_next_event after every
 *   call. Device I/O handlers advance the device to `now` first themselves, so a late
 *   timer never reorders what the guest sees;
 * - interrupts leave through an hvm_irq_sink (vintc's virq_route.c implements it);
 * - each X_register attaches the device's ranges to the domain's hvm_io_bus. */
#ifndef HVLAB_HVM_VDEV_H
#define HVLAB_HVM_VDEV_H

#include <hvlab/hvm/io.h>
#include <hvlab/types.h>

/* An ISA interrupt line out of a device. set_level reports the line's new level:
 * a level source (RTC IRQF, UART interrupt, SCI) holds it while asserted; an edge
 * source (PIT channel 0) pulses it, 1 then 0. */
struct hvm_irq_sink {
    void (*set_level)(void *ctx, unsigned isa_irq, bool level);  /* edge: 1 then 0 */
    void *ctx;
};

#define HVM_NO_EVENT UINT64_MAX
#define HVM_NS_PER_SEC 1000000000ULL

/* Ticks of an hz clock (started at ns 0) completed by ns: floor(ns * hz / 1e9),
 * exact, without a 128-bit division (the hypervisor has no libgcc). */
static inline uint64_t hvm_ns_to_ticks(uint64_t ns, uint32_t hz)
{
    return (ns / HVM_NS_PER_SEC) * hz + (ns % HVM_NS_PER_SEC) * hz / HVM_NS_PER_SEC;
}

/* The first ns at which hvm_ns_to_ticks(ns, hz) reaches ticks; HVM_NO_EVENT beyond
 * the 64-bit ns range. The two functions are exact inverses, so events computed
 * with them never drift. */
static inline uint64_t hvm_ticks_to_ns(uint64_t ticks, uint32_t hz)
{
    uint64_t whole = ticks / hz;

    if (whole >= UINT64_MAX / HVM_NS_PER_SEC)
        return HVM_NO_EVENT;
    return whole * HVM_NS_PER_SEC + ((ticks % hz) * HVM_NS_PER_SEC + hz - 1) / hz;
}

/* ---- vpit.c: Intel 8254 at ports 0x40-0x43, and port 0x61 (gate and output of
 * channel 2, as used for TSC and PM-timer calibration). Channel 0 drives ISA IRQ 0. */
#define VPIT_HZ         1193182u
#define VPIT_PORT_BASE  0x40
#define VPIT_PORT_61    0x61
#define VPIT_IRQ        0

struct vpit_channel {
    uint64_t start;         /* PIT tick at which the running count started (shifted
                               by gate pauses in modes 0 and 4) */
    uint64_t paused_at;     /* modes 0/4 with gate low: ticks elapsed when paused */
    uint64_t pending_at;    /* modes 2/3: tick at which pending_n replaces n */
    uint32_t n;             /* count in use, 1..65536 (1..10000 in BCD) */
    uint32_t pending_n;
    uint16_t cr;            /* count register as last written (raw: BCD or binary) */
    uint16_t held;          /* count shown while not running (raw) */
    uint16_t latch;         /* latched count (raw) */
    uint8_t mode;           /* 0..5 */
    uint8_t access;         /* 1 LSB only, 2 MSB only, 3 LSB then MSB */
    uint8_t status;         /* latched status byte */
    uint8_t wr_lsb;         /* LSB written, waiting for the MSB */
    bool bcd;
    bool gate;
    bool loaded;            /* a count was written since the control word */
    bool running;           /* counting (modes 1/5: triggered) */
    bool paused;
    bool held_out;          /* output while not running and not paused */
    bool pending;
    bool null_count;        /* count register not yet moved into the counter */
    bool wr_msb_next;       /* access 3: next write is the MSB */
    bool rd_msb_next;       /* access 3: next read is the MSB */
    bool count_latched;
    bool status_latched;
};

struct vpit {
    struct vpit_channel ch[3];
    struct hvm_irq_sink irq;
    uint64_t checked;       /* PIT tick up to which channel 0 edges were delivered */
    uint8_t port61;         /* bits 0-3 as written: gate 2, speaker, parity/check */
};

/* Power-on state: no channel counting until the guest programs it (there is no
 * firmware to start channel 0 at 18.2 Hz); gates of channels 0, 1 high, 2 low. */
void vpit_init(struct vpit *pit, const struct hvm_irq_sink *irq, uint64_t now);
int vpit_register(struct vpit *pit, struct hvm_io_bus *bus);
uint64_t vpit_next_event(const struct vpit *pit);
/* Deliver channel 0's rising edges due by now as one IRQ 0 pulse (missed periods
 * are coalesced, the period grid is kept: no drift). */
void vpit_advance(struct vpit *pit, uint64_t now);
/* Channel output and count (raw, as the guest would read it) at now, for tests and
 * trace; like a port access they advance the PIT to now first. */
bool vpit_output(struct vpit *pit, unsigned channel, uint64_t now);
uint16_t vpit_count(struct vpit *pit, unsigned channel, uint64_t now);

/* ---- vrtc.c: Motorola MC146818 RTC and 128 bytes of CMOS at ports 0x70/0x71,
 * IRQ 8. Time = a wall clock given at init (the domain's start time, never the
 * host's) plus the time the domain has run; index 0x32 is the century. */
#define VRTC_PORT_BASE      0x70
#define VRTC_IRQ            8
#define VRTC_CENTURY_INDEX  0x32    /* the FADT's CENTURY field */
#define VRTC_CMOS_SIZE      128
#define VRTC_UPDATE_NS      1984000u    /* an update cycle lasts 1984 us ... */
#define VRTC_UIP_LEAD_NS    244000u     /* ... and UIP rises 244 us before it */

/* The time as fields, while the clock stands still. */
struct vrtc_date {
    int32_t year;
    uint8_t month, mday, hour, min, sec;
};

struct vrtc {
    struct hvm_irq_sink irq;
    uint64_t div_ns;        /* the divider chain's origin: update k starts at
                               div_ns + k s (k >= 1) */
    uint64_t flags_ns;      /* PF/UF/AF are accounted up to here */
    int64_t sec_offset;     /* while updating: time = sec_offset + updates(now) */
    struct vrtc_date held;  /* while not updating (SET, divider reset): the time,
                               field by field as written, so that a date set one
                               field at a time is normalised only when it runs */
    uint8_t cmos[VRTC_CMOS_SIZE];   /* registers A-D (0x0a-0x0d), alarms, RAM */
    uint8_t index;          /* port 0x70, bits 0-6 */
    uint8_t wday_delta;     /* guest-written day of week minus the computed one */
    bool nmi_masked;        /* port 0x70 bit 7 */
    bool line;
};

/* wall_sec: seconds since 1970-01-01 00:00 UTC at now. Register A 0x26 (32.768 kHz,
 * 1024 Hz periodic rate), B 0x02 (24-hour, BCD, no interrupts), D 0x80. */
void vrtc_init(struct vrtc *rtc, uint64_t wall_sec, const struct hvm_irq_sink *irq,
               uint64_t now);
/* The builder's CMOS bytes for ram_bytes of guest RAM: base memory (0x15), memory
 * above 1 MiB in KiB (0x17, 0x30), above 16 MiB in 64 KiB units (0x34), above
 * 4 GiB in 64 KiB units (0x5b), and the checksum over 0x10-0x2d (0x2e). */
void vrtc_set_memory(struct vrtc *rtc, uint64_t ram_bytes);
int vrtc_register(struct vrtc *rtc, struct hvm_io_bus *bus);
uint64_t vrtc_next_event(const struct vrtc *rtc);
void vrtc_advance(struct vrtc *rtc, uint64_t now);
/* Seconds since 1970 the clock shows at now (for tests, trace and the glue). */
int64_t vrtc_time(const struct vrtc *rtc, uint64_t now);
/* Port 0x70 bit 7 as the guest last wrote it (the glue may hold NMIs back). */
bool vrtc_nmi_masked(const struct vrtc *rtc);

/* vrtc_calendar.c: the proleptic Gregorian calendar, in seconds since 1970-01-01
 * 00:00 UTC. Months 1-12; a day past the month's end counts on into the next. */
struct vrtc_civil { int64_t year; unsigned month, mday, wday, hour, min, sec; };
int64_t vrtc_cal_days(int64_t year, unsigned month, unsigned mday);   /* 1970-01-01: 0 */
unsigned vrtc_cal_wday(int64_t days, unsigned delta);   /* 1 = Sunday, shifted by delta */
unsigned vrtc_cal_sod(int64_t t);                       /* second of the day */
void vrtc_cal_split(int64_t t, unsigned wday_delta, struct vrtc_civil *c);
int64_t vrtc_cal_join(const struct vrtc_civil *c);     /* ignores wday */

/* ---- vpmtimer.c: the ACPI PM timer, PM1a event and control registers (the FADT
 * points at them: PM1_EVT_LEN 4, PM1_CNT_LEN 2, PM_TMR_LEN 4, no GPE block, SMI_CMD
 * 0 so the OS finds the machine already in ACPI mode) and the reset port, whose
 * value the FADT's RESET_REG gives (system I/O 0xcf9, value 0x06). SCI on IRQ 9.
 * The timer is 32 bits wide: the FADT sets TMR_VAL_EXT (flags bit 8). */
#define VPM_TMR_HZ          3579545u
#define VPM_PORT_BASE       0xb000
#define VPM_PM1A_EVT        0xb000  /* PM1_STS (16 bits), PM1_EN at +2 */
#define VPM_PM1A_CNT        0xb004
#define VPM_PM_TMR          0xb008
#define VPM_PORT_LEN        12
#define VPM_RESET_PORT      0xcf9
#define VPM_RESET_VALUE     0x06
#define VPM_TMR_BITS        32
#define VPM_SCI_IRQ         9
#define VPM_S5_SLP_TYP      5       /* the DSDT's \_S5 package gives this value */

enum vpm_reason {
    VPM_POWEROFF,           /* SLP_EN with SLP_TYP = the S5 value */
    VPM_SLEEP,              /* SLP_EN with another SLP_TYP: a sleep state the DSDT
                               does not offer; the glue decides (poweroff or crash) */
};

struct vpm_power_ops {
    void (*shutdown)(void *ctx, enum vpm_reason reason);
    void (*reset)(void *ctx);       /* reset port written with bit 2 (RST_CPU) set */
    void *ctx;
};

struct vpmtimer {
    struct hvm_irq_sink irq;
    struct vpm_power_ops power;
    uint64_t start_tick;    /* timer tick at init: the counter reads 0 there */
    uint64_t checked_tick;  /* TMR_STS is accounted up to here */
    uint16_t sts;           /* PM1_STS */
    uint16_t en;            /* PM1_EN */
    uint16_t cnt;           /* PM1_CNT (SCI_EN always set) */
    uint8_t s5_slp_typ;
    uint8_t reset_reg;
    bool line;
};

void vpmtimer_init(struct vpmtimer *pm, const struct hvm_irq_sink *irq,
                   const struct vpm_power_ops *power, uint8_t s5_slp_typ, uint64_t now);
int vpmtimer_register(struct vpmtimer *pm, struct hvm_io_bus *bus);
uint64_t vpmtimer_next_event(const struct vpmtimer *pm);
void vpmtimer_advance(struct vpmtimer *pm, uint64_t now);
/* Press the power button: PWRBTN_STS, an SCI if the guest enabled it (an orderly
 * shutdown request for ACPI guests, e.g. from `xl shutdown`). */
void vpmtimer_power_button(struct vpmtimer *pm, uint64_t now);
uint32_t vpmtimer_read_counter(const struct vpmtimer *pm, uint64_t now);

/* ---- vuart.c: National 16550A, COM1 at 0x3f8 on IRQ 4. Output goes out a byte at a
 * time through putc, instantly (no baud-rate timing: THR and the transmitter are
 * always empty again by the next access); input arrives through vuart_input into
 * a 16-byte receive FIFO. The interrupt line reaches the PIC only while MCR OUT2 is
 * set and loopback is off, as on a PC. */
#define VUART_COM1_BASE 0x3f8
#define VUART_COM1_IRQ  4
#define VUART_FIFO_SIZE 16

struct vuart {
    struct hvm_irq_sink irq;
    void (*putc)(void *ctx, uint8_t byte);
    void *putc_ctx;
    uint16_t base;
    uint8_t isa_irq;
    uint8_t rx[VUART_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    uint8_t rbr_last;       /* what RBR reads when empty */
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;            /* FIFO enable (bit 0) and trigger (bits 6-7) in use */
    uint8_t msr;            /* modem status, delta bits 0-3 included */
    bool overrun;           /* LSR OE, cleared by reading LSR */
    bool thre_pending;      /* THRE interrupt latched: cleared by an IIR read that
                               reports it, set when THR empties or THRI is enabled */
    bool line;
};

/* Power-on state: divisor 12 (9600 baud), LCR, IER, MCR 0, FIFOs off, modem
 * inputs CTS, DSR, DCD asserted (a terminal is connected). */
void vuart_init(struct vuart *uart, uint16_t base, uint8_t isa_irq,
                const struct hvm_irq_sink *irq, void (*putc)(void *ctx, uint8_t byte),
                void *putc_ctx);
int vuart_register(struct vuart *uart, struct hvm_io_bus *bus);
/* Bytes from dom0 into the receive FIFO; returns how many went in without an
 * overrun. Beyond vuart_rx_room() bytes are lost and LSR OE is set, as on the chip
 * (the glue offers no more than the room); in loopback mode the serial input is
 * disconnected and nothing is stored. */
size_t vuart_input(struct vuart *uart, const uint8_t *bytes, size_t len);
size_t vuart_rx_room(const struct vuart *uart);

#endif
