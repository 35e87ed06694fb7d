/* libFuzzer target: the boot command-line parser (core/lib/cmdline.c) on arbitrary
 * bytes, cut at the first NUL as the multiboot loader's string would be, with a table
 * holding one option of each type. The result must be the number of problems
 * reported; a string option must stay NUL-terminated within its array. */
#include <stdlib.h>
#include <string.h>

#include <hvlab/cmdline.h>
#include <hvlab/errno.h>

static bool opt_flag;
static unsigned int opt_uint;
static uint64_t opt_size;
static char opt_str[16];

static int custom(const char *val)
{
    return strcmp(val, "bad") == 0 ? -EINVAL : 0;
}

static const struct boot_param params[] = {
    { "flag", BP_BOOL, &opt_flag, sizeof(opt_flag), NULL, "a switch" },
    { "maxcpus", BP_UINT, &opt_uint, sizeof(opt_uint), NULL, "a number" },
    { "dom0_mem", BP_SIZE, &opt_size, sizeof(opt_size), NULL, "a size" },
    { "console", BP_STR, opt_str, sizeof(opt_str), NULL, "a string" },
    { "sched", BP_CUSTOM, NULL, 0, custom, "custom" },
};

static int nr_msgs;

static void report(const char *msg)
{
    (void)msg;
    nr_msgs++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    int rc;

    memcpy(line, data, size);
    line[size] = 0;
    nr_msgs = 0;
    rc = cmdline_parse(cmdline_skip_image(line), params,
                       params + sizeof(params) / sizeof(params[0]), report);
    if (rc != nr_msgs || memchr(opt_str, 0, sizeof(opt_str)) == NULL)
        abort();
    free(line);
    return 0;
}
