/* Symbolic stack traces. The build links a table of text symbols (core/gen_symtab.py)
 * into the image; the trace follows the frame-pointer chain, which every hypervisor
 * file keeps (-fno-omit-frame-pointer). */
#include <hvlab/addr.h>
#include <hvlab/printk.h>
#include <hvlab/symbols.h>

struct symtab_entry { uint64_t addr, name_off; };
extern const struct symtab_entry hv_symtab[];
extern const char hv_symnames[];
extern const char __text_start[], __text_end[];

const char *symbols_lookup(uint64_t addr, uint64_t *offset)
{
    size_t n = 0;
    while (hv_symtab[n].addr)
        n++;
    if (n == 0 || addr < hv_symtab[0].addr || addr >= (uint64_t)__text_end)
        return NULL;
    size_t lo = 0, hi = n;              /* last entry with .addr <= addr */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (hv_symtab[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - hv_symtab[lo].addr;
    return hv_symnames + hv_symtab[lo].name_off;
}

static void print_frame(uint64_t addr)
{
    uint64_t off;
    const char *name = symbols_lookup(addr, &off);
    if (name)
        pr_err("  [<%016lx>] %s+%#lx\n", addr, name, off);
    else
        pr_err("  [<%016lx>] ?\n", addr);
}

static bool frame_ok(uint64_t rbp)
{
    /* Hypervisor stacks live in the image or the direct map. */
    return rbp && !(rbp & 7) && rbp >= DIRECTMAP_BASE;
}

void symbols_print_trace(uint64_t rip, uint64_t rbp)
{
    pr_err("Call trace:\n");
    print_frame(rip);
    for (unsigned depth = 0; depth < 32 && frame_ok(rbp); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        if (!frame[1])
            break;
        print_frame(frame[1] - 1);      /* -1: the call, not the return address */
        if (frame[0] <= rbp)            /* stacks grow down: a loop or garbage */
            break;
        rbp = frame[0];
    }
}
