/* `store-read PATH`, `store-write PATH VALUE`, `store-ls [PATH]`, `store-rm PATH`,
 * `store-watch PATH [N [MS]]`: dom0's store from the shell and scenarios, as domain 0
 * (dom0/store.h). store-watch waits (services running) until a callback watch
 * (store_watch_fn, the way dom0's services watch) has fired N times (default 1: the
 * event at once), printing "store-watch: <path> fired (<n>)" each time; -ETIMEDOUT
 * after MS ms (default 10000).
 * Output: store-read prints the value; store-ls the subtree, one node a line,
 * indented two spaces a level: `name = "value"`; failures "store-<cmd>: <path>:
 * <ERRNO>" (the command returns -errno: `expect ENOENT store-read ...`). */
#include "dom0.h"
#include "store.h"
#include "strutil.h"
#include "xl.h"

static int fail(const char *cmd, const char *path, int rc)
{
    printf("%s: %s: %s\n", cmd, path, str_errno(-rc));
    return rc;
}

int xl_store_read(int argc, char **argv)
{
    static char value[STORE_PAYLOAD_MAX + 1];
    long n = store_read(argv[1], value, sizeof(value));

    (void)argc;
    if (n < 0)
        return fail(argv[0], argv[1], (int)n);
    puts(value);
    return 0;
}

int xl_store_write(int argc, char **argv)
{
    int rc = store_write(argv[1], argv[2]);

    (void)argc;
    return rc < 0 ? fail(argv[0], argv[1], rc) : 0;
}

int xl_store_rm(int argc, char **argv)
{
    int rc = store_rm(argv[1]);

    (void)argc;
    return rc < 0 ? fail(argv[0], argv[1], rc) : 0;
}

#define STORE_LS_DEPTH 16

/* Prints path's children and their subtrees; path's buffer is extended in place. */
static int ls_tree(char *path, size_t len, unsigned depth)
{
    char names[STORE_PAYLOAD_MAX], value[80];
    long n = store_list(path, names, sizeof(names));
    size_t plen = strlen(path);
    const char *name = names;

    if (n < 0)
        return (int)n;
    if (depth >= STORE_LS_DEPTH)
        return 0;
    for (long i = 0; i < n; i++, name += strlen(name) + 1) {
        long vlen;

        if (fmt_snprintf(path + plen, len - plen, "%s%s", plen > 1 ? "/" : "", name) >=
            (int)(len - plen))
            continue;
        vlen = store_read(path, value, sizeof(value));
        printf("%*s%s = \"%s%s\"\n", (int)depth * 2, "", name, vlen < 0 ? "" : value,
               vlen >= (long)sizeof(value) - 1 ? "..." : "");
        ls_tree(path, len, depth + 1);
        path[plen] = '\0';
    }
    return 0;
}

int xl_store_ls(int argc, char **argv)
{
    static char path[STORE_PATH_MAX + 1];
    const char *arg = argc > 1 ? argv[1] : "/";
    int rc;

    fmt_snprintf(path, sizeof(path), "%s", arg);
    if ((rc = ls_tree(path, sizeof(path), 0)) < 0)
        return fail(argv[0], arg, rc);
    return 0;
}

static void watch_fired(const char *path, const char *token, void *arg)
{
    unsigned *n = arg;

    (void)token;
    printf("store-watch: %s fired (%u)\n", path, ++*n);
}

int xl_store_watch(int argc, char **argv)
{
    uint64_t want = 1, ms = 10000, deadline;
    unsigned n = 0;
    int rc;

    if ((argc > 2 && str_to_dec(argv[2], &want)) || (argc > 3 && str_to_dec(argv[3], &ms))) {
        printf("%s: expected numbers: store-watch <path> [<n> [<ms>]]\n", argv[0]);
        return -EINVAL;
    }
    if ((rc = store_watch_fn(argv[1], "xl-store-watch", watch_fired, &n)) < 0)
        return fail(argv[0], argv[1], rc);
    deadline = guest_now_ns() + ms * 1000000ULL;
    while (n < want && guest_now_ns() < deadline)
        dom0_block_until(deadline);
    store_unwatch(argv[1], "xl-store-watch");
    if (n < want) {
        printf("%s: %s: %u of %llu events in %llu ms\n", argv[0], argv[1], n,
               (unsigned long long)want, (unsigned long long)ms);
        return -ETIMEDOUT;
    }
    return 0;
}
