/* Symbol lookup for stack traces, over the table the build links into the image. */
#ifndef HVLAB_SYMBOLS_H
#define HVLAB_SYMBOLS_H

#include <hvlab/types.h>

/* Name of the function containing addr and the offset into it; NULL if unknown. */
const char *symbols_lookup(uint64_t addr, uint64_t *offset);
/* Print "  [<addr>] name+0xoff" for each frame of the rbp chain starting at rbp. */
void symbols_print_trace(uint64_t rip, uint64_t rbp);

#endif
