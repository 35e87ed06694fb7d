/* The arguments of `trace` (xl_trace.c): its subcommands, and class masks as the
 * trace commands read and print them: a hex number ("0x1ff", "1ff") or class names
 * separated by commas ("sched,hcall", "all"); the names are the TRC_CLS_* suffixes
 * in lower case. Pure: the command table's argument check uses it, so a scenario
 * with a bad mask fails before its first command. */
#ifndef DOM0_TRACE_ARGS_H
#define DOM0_TRACE_ARGS_H

#include <hvlab/lib.h>
#include <public/trace.h>

enum trace_sub { TRACE_SUB_START, TRACE_SUB_STOP, TRACE_SUB_MASK, TRACE_SUB_STATUS };

struct trace_args {
    enum trace_sub sub;
    bool has_mask;                      /* start: a mask was given; mask: always */
    uint32_t mask;
    unsigned period_ms;                 /* start: -p, else TRACE_PERIOD_DEFAULT_MS */
};

#define TRACE_PERIOD_DEFAULT_MS 10
#define TRACE_PERIOD_MAX_MS     1000

/* argv as the command table passes it ("trace", "start", ...): 0 with *a filled
 * in, or -EINVAL with the reason in err. */
int trace_args_parse(int argc, char *const *argv, struct trace_args *a, char *err,
                     size_t errlen);

/* 0 with *mask set, or -EINVAL with the reason in err ("trace: unknown class 'x' ..."). */
int trace_mask_parse(const char *s, uint32_t *mask, char *err, size_t errlen);

/* "meta,sched,hcall" ("none" for 0); unknown bits as "+0x200". */
void trace_mask_format(uint32_t mask, char *buf, size_t size);

/* The class's name, or NULL past TRC_NR_CLASSES. */
const char *trace_class_name(unsigned cls);

#endif
