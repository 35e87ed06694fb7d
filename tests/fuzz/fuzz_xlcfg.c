/* libFuzzer target: dom0's cfg-file parser (dom0/xlcfg.c) on arbitrary bytes. The
 * parser takes a length, not a C string, so the input is passed as it is, in a block
 * of exactly its size (ASan flags any read past the end). The result must be the
 * number of problems reported, and a clean parse must leave NUL-terminated strings
 * and a vCPU count in range. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg.h"

static void report(void *arg, const char *msg)
{
    size_t *n = arg;

    if (strlen(msg) >= XLCFG_MSG_MAX)
        abort();                        /* longer than the contract allows */
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    struct domain_config cfg;
    size_t msgs = 0;
    int rc;

    memcpy(text, data, size);
    rc = xlcfg_parse(&cfg, "fuzz.cfg", text, size, report, &msgs);
    if (rc < 0 || (size_t)rc != msgs)
        abort();
    if (rc == 0 && (memchr(cfg.name, 0, sizeof(cfg.name)) == NULL ||
                    memchr(cfg.kernel, 0, sizeof(cfg.kernel)) == NULL ||
                    memchr(cfg.extra, 0, sizeof(cfg.extra)) == NULL ||
                    cfg.vcpus == 0 || cfg.vcpus > XLCFG_MAX_VCPUS))
        abort();
    free(text);
    return 0;
}
