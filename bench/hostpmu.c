/* Host hardware counters through perf_event_open(2).
 *
 * Design: one counter group per thread, cycles leading, instructions following, both
 * user-space only (exclude_kernel/exclude_hv: perf_event_paranoid 2, the common
 * default, allows that for one's own thread). Reset and enable around a measured
 * window, disable and read the group after it; the counts are checked for having run
 * the whole window (time_enabled == time_running), else they are reported as partial.
 * Locking: none; one thread owns a struct hostpmu.
 * Limitations: x86/Linux only; PERF_TYPE_HARDWARE generic events (no libpfm4 event
 * names), so what "cycles" counts is the kernel's choice for this CPU model. */
#define _GNU_SOURCE
#include "hostpmu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

static int open_counter(uint64_t config, int group)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_HARDWARE;
    a.config = config;
    a.disabled = group < 0;         /* the leader starts stopped; followers follow it */
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
                    PERF_FORMAT_TOTAL_TIME_RUNNING;
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, group, 0);
}

static void say_why(struct hostpmu *p, const char *what, int err)
{
    const char *hint = "";
    if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)
        hint = ": this host (or its hypervisor) exposes no hardware counters";
    else if (err == EACCES || err == EPERM)
        hint = ": not permitted here (see /proc/sys/kernel/perf_event_paranoid)";
    else if (err == ENOSYS)
        hint = ": the kernel has no perf events";
    snprintf(p->why, sizeof(p->why), "perf_event_open(%s): %s%s", what, strerror(err), hint);
}

bool hostpmu_open(struct hostpmu *p)
{
    memset(p, 0, sizeof(*p));
    p->fd_cycles = p->fd_instr = -1;
    p->fd_cycles = open_counter(PERF_COUNT_HW_CPU_CYCLES, -1);
    if (p->fd_cycles < 0) {
        say_why(p, "cycles", errno);
        return false;
    }
    p->fd_instr = open_counter(PERF_COUNT_HW_INSTRUCTIONS, p->fd_cycles);
    if (p->fd_instr < 0) {
        say_why(p, "instructions", errno);
        hostpmu_close(p);
        return false;
    }
    p->ok = true;
    return true;
}

void hostpmu_start(struct hostpmu *p)
{
    if (!p->ok)
        return;
    ioctl(p->fd_cycles, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
    ioctl(p->fd_cycles, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

bool hostpmu_stop(struct hostpmu *p, uint64_t *cycles, uint64_t *instructions)
{
    /* PERF_FORMAT_GROUP with both times: nr, time_enabled, time_running, values[nr] */
    uint64_t buf[5];
    *cycles = *instructions = 0;
    if (!p->ok)
        return false;
    ioctl(p->fd_cycles, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
    if (read(p->fd_cycles, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || buf[0] != 2)
        return false;
    *cycles = buf[3];
    *instructions = buf[4];
    return buf[1] == buf[2] && buf[1] > 0;
}

void hostpmu_close(struct hostpmu *p)
{
    if (p->fd_instr >= 0)
        close(p->fd_instr);
    if (p->fd_cycles >= 0)
        close(p->fd_cycles);
    p->fd_cycles = p->fd_instr = -1;
    p->ok = false;
}
