/* Front/back state handshake helpers (public/io/bus.h) over the store calls. */
#include <guest.h>
#include <store.h>

int bus_set_state(const char *dir, enum bus_state s)
{
    char path[STORE_PATH_MAX];

    if (fmt_snprintf(path, sizeof(path), "%s/state", dir) >= (int)sizeof(path))
        return -E2BIG;
    return store_printf(path, "%u", (unsigned)s);
}

enum bus_state bus_read_state(const char *dir)
{
    char path[STORE_PATH_MAX];
    uint64_t v;

    if (fmt_snprintf(path, sizeof(path), "%s/state", dir) >= (int)sizeof(path) ||
        store_read_uint(path, &v) < 0 || v > BUS_CLOSED)
        return BUS_UNKNOWN;
    return (enum bus_state)v;
}

/* A watch on dir/state with a token of its own; any event (ours or not) makes us
 * read the state again, so an event taken from the queue is never one we needed. */
int bus_wait_state(const char *dir, unsigned mask, uint64_t deadline_ns)
{
    char path[STORE_PATH_MAX], token[STORE_PATH_MAX + 8], ev[STORE_PATH_MAX], evtok[64];
    enum bus_state s;
    int rc;

    if (fmt_snprintf(path, sizeof(path), "%s/state", dir) >= (int)sizeof(path))
        return -E2BIG;
    fmt_snprintf(token, sizeof(token), "bus:%.55s", dir);
    if ((rc = store_watch(path, token)) < 0 && rc != -EEXIST)
        return rc;
    for (;;) {
        s = bus_read_state(dir);
        if (mask & (1u << s)) {
            rc = (int)s;
            break;
        }
        if ((rc = store_wait_event(ev, sizeof(ev), evtok, sizeof(evtok), deadline_ns)) < 0)
            break;
    }
    store_unwatch(path, token);
    return rc;
}
