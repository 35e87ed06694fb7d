/* A store request turned into a tree operation and its reply; see store_msg.h. */
#include "store_msg.h"

const char *store_msg_errname(int err)
{
    for (unsigned i = 0; i < STORE_NR_ERRORS; i++)
        if (store_errors[i].err == -err)
            return store_errors[i].name;
    return "EINVAL";
}

int store_msg_errno(const char *name, size_t len)
{
    for (unsigned i = 0; i < STORE_NR_ERRORS; i++)
        if (strnlen(store_errors[i].name, 8) == len && !memcmp(store_errors[i].name, name, len))
            return -store_errors[i].err;
    return -EIO;
}

/* The next NUL-terminated string of payload[*at .. len): NULL if there is none. */
static const char *next_str(const char *payload, uint32_t len, uint32_t *at)
{
    const char *s = payload + *at;
    size_t n;

    if (*at >= len)
        return NULL;
    n = strnlen(s, len - *at);
    if (n == len - *at)
        return NULL;                    /* no NUL before the end */
    *at += (uint32_t)n + 1;
    return s;
}

static uint32_t ok(char *reply)
{
    memcpy(reply, "OK", 3);
    return 3;
}

/* The operation; >= 0: the reply's length, < 0: -errno. */
static long dispatch(struct store_tree *t, hv_domid_t dom, const struct store_msg_hdr *h,
                     const char *payload, char *reply)
{
    uint32_t at = 0;
    const char *path = next_str(payload, h->len, &at), *tok;
    struct store_perm perms[STORE_PERMS_MAX];
    unsigned n = 0;
    long rc;

    if (!path || h->tx_id != 0)
        return -EINVAL;
    switch (h->type) {
    case STORE_READ:
        return store_tree_read(t, dom, path, reply, STORE_PAYLOAD_MAX);
    case STORE_WRITE:
        rc = store_tree_write(t, dom, path, payload + at, h->len - at);
        return rc < 0 ? rc : ok(reply);
    case STORE_MKDIR:
        return (rc = store_tree_mkdir(t, dom, path)) < 0 ? rc : ok(reply);
    case STORE_RM:
        return (rc = store_tree_rm(t, dom, path)) < 0 ? rc : ok(reply);
    case STORE_DIRECTORY:
        return store_tree_directory(t, dom, path, reply, STORE_PAYLOAD_MAX);
    case STORE_GET_PERMS: {
        size_t done = 0;

        if ((rc = store_tree_get_perms(t, dom, path, perms, &n)) < 0)
            return rc;
        for (unsigned i = 0; i < n; i++)
            done += (size_t)store_perm_format(&perms[i], reply + done, 8) + 1;
        return (long)done;
    }
    case STORE_SET_PERMS:
        while (at < h->len) {
            const char *s = next_str(payload, h->len, &at);

            if (!s)
                return -EINVAL;
            if (n == STORE_PERMS_MAX)
                return -E2BIG;
            if (store_perm_parse(s, &perms[n++]) < 0)
                return -EINVAL;
        }
        return (rc = store_tree_set_perms(t, dom, path, perms, n)) < 0 ? rc : ok(reply);
    case STORE_WATCH:
    case STORE_UNWATCH:
        if (!(tok = next_str(payload, h->len, &at)) || at != h->len)
            return -EINVAL;
        rc = h->type == STORE_WATCH ? store_tree_watch(t, dom, path, tok)
                                    : store_tree_unwatch(t, dom, path, tok);
        return rc < 0 ? rc : ok(reply);
    default:
        return -EINVAL;
    }
}

uint32_t store_msg_handle(struct store_tree *t, hv_domid_t dom,
                          const struct store_msg_hdr *hdr, const char *payload,
                          char *reply, uint32_t *type)
{
    long rc = dispatch(t, dom, hdr, payload, reply);
    const char *name;

    if (rc >= 0) {
        *type = hdr->type;
        return (uint32_t)rc;
    }
    name = store_msg_errname((int)rc);
    *type = STORE_ERROR;
    memcpy(reply, name, strlen(name) + 1);
    return (uint32_t)strlen(name) + 1;
}
