/* Boot modules by name; the naming rule is in modules.h. */
#include "modules.h"
#include "strutil.h"

/* The n-th blank-separated word of s[0..len): start and length; false if none. */
static bool nth_word(const char *s, size_t len, unsigned n, const char **w, size_t *wlen)
{
    size_t i = 0;

    for (;;) {
        while (i < len && s[i] && str_is_blank(s[i]))
            i++;
        if (i >= len || !s[i])
            return false;
        *w = &s[i];
        while (i < len && s[i] && !str_is_blank(s[i]))
            i++;
        *wlen = (size_t)(&s[i] - *w);
        if (n-- == 0)
            return true;
    }
}

static bool has_char(const char *s, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == c)
            return true;
    return false;
}

void module_name(const char *cmdline, size_t cmdline_len, char *buf, size_t size)
{
    const char *w, *next;
    size_t wlen, nlen;

    if (!nth_word(cmdline, cmdline_len, 0, &w, &wlen)) {
        str_copy(buf, size, "", 0);
        return;
    }
    if (has_char(w, wlen, '/')) {
        if (nth_word(cmdline, cmdline_len, 1, &next, &nlen)) {
            w = next;
            wlen = nlen;
        } else {
            for (size_t i = wlen; i > 0; i--) {
                if (w[i - 1] == '/') {
                    w += i;
                    wlen -= i;
                    break;
                }
            }
        }
    }
    str_copy(buf, size, w, wlen);
}

const struct start_module *module_find(const struct start_info *si, const char *name)
{
    char buf[MODULE_NAME_MAX];
    unsigned nr = MIN(si->nr_modules, (uint32_t)START_INFO_MAX_MODULES);

    for (unsigned i = 0; i < nr; i++) {
        const struct start_module *m = &si->modules[i];
        module_name(m->cmdline, sizeof(m->cmdline), buf, sizeof(buf));
        if (strcmp(buf, name) == 0)
            return m;
    }
    return NULL;
}
