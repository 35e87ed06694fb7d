/* svmconf output: a case describes what it expected and what it got with the same
 * sb_* calls, so the two texts compare equal exactly when the behaviour matches, and
 * the line shows both. */
#include "svmconf.h"

static unsigned cases_run, cases_failed;

void sb_init(struct sbuf *b)
{
    b->n = 0;
    b->s[0] = '\0';
}

void sb_str(struct sbuf *b, const char *s)
{
    while (*s && b->n + 1 < sizeof(b->s))
        b->s[b->n++] = *s++;
    b->s[b->n] = '\0';
}

void sb_hex(struct sbuf *b, uint64_t v)
{
    char t[19];
    int i = sizeof(t) - 1;

    t[i] = '\0';
    do {
        t[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    t[--i] = 'x';
    t[--i] = '0';
    sb_str(b, t + i);
}

/* " key=0x..", the separator included so calls chain. */
void sb_kv(struct sbuf *b, const char *key, uint64_t v)
{
    if (b->n)
        sb_str(b, " ");
    sb_str(b, key);
    sb_str(b, "=");
    sb_hex(b, v);
}

void sb_exit(struct sbuf *b, uint32_t exitcode)
{
    static const struct { uint32_t code; const char *name; } names[] = {
        { VMEXIT_INTR, "INTR" }, { VMEXIT_VINTR, "VINTR" }, { VMEXIT_VMMCALL, "VMMCALL" },
        { VMEXIT_NPF, "NPF" }, { VMEXIT_SHUTDOWN, "SHUTDOWN" }, { VMEXIT_HLT, "HLT" },
        { VMEXIT_NMI, "NMI" },
        { VMEXIT_EXC_BASE + 1, "EXC_DB" },
        { VMEXIT_EXC_BASE + 14, "EXC_PF" }, { VMEXIT_INVALID, "INVALID" },
    };

    if (b->n)
        sb_str(b, " ");
    sb_str(b, "exit=");
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == exitcode) {
            sb_str(b, names[i].name);
            return;
        }
    sb_hex(b, exitcode);
}

/* "+off" from the snippet start base (a raw address when far from it). */
static void sb_off(struct sbuf *b, uint64_t rip, const char *base)
{
    uint64_t off = rip - (uint64_t)(uintptr_t)base;
    char t[4] = { '+', 0, 0, 0 };

    if (off >= 100) {
        sb_hex(b, rip);
        return;
    }
    if (off >= 10)
        t[1] = (char)('0' + off / 10), t[2] = (char)('0' + off % 10);
    else
        t[1] = (char)('0' + off);
    sb_str(b, t);
}

/* " key=+off" */
void sb_rip(struct sbuf *b, const char *key, uint64_t rip, const char *base)
{
    if (b->n)
        sb_str(b, " ");
    sb_str(b, key);
    sb_str(b, "=");
    sb_off(b, rip, base);
}

static bool has_errcode(uint64_t vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

/* " v=0x30@+0" (+ " err=0x.." for vectors that push one, " cr2=" for #PF). */
void sb_event(struct sbuf *b, uint64_t vec, uint64_t err, uint64_t rip, const char *base)
{
    sb_kv(b, "v", vec);
    sb_str(b, "@");
    sb_off(b, rip, base);
    if (has_errcode(vec))
        sb_kv(b, "err", err);
}

/* Everything the guest's IDT recorded, in order ("events=none" when nothing). */
void sb_glog(struct sbuf *b, const char *base)
{
    if (!glog_n) {
        sb_str(b, b->n ? " events=none" : "events=none");
        return;
    }
    sb_kv(b, "events", glog_n);
    for (unsigned i = 0; i < glog_n && i < GLOG_MAX; i++) {
        sb_event(b, glog[i].vec, glog[i].err, glog[i].rip, base);
        if (glog[i].vec == 14)
            sb_kv(b, "cr2", glog[i].cr2);
    }
}

bool report(const char *name, const struct sbuf *expected, const struct sbuf *got)
{
    bool ok = expected->n == got->n;

    for (unsigned i = 0; ok && i < got->n; i++)
        ok = expected->s[i] == got->s[i];
    cases_run++;
    cases_failed += !ok;
    con_puts("CASE ");
    con_puts(name);
    con_puts(ok ? ": PASS (" : ": FAIL (");
    con_puts(expected->s);
    con_puts(" vs ");
    con_puts(got->s);
    con_puts(")\n");
    return ok;
}

static void sb_dec(struct sbuf *b, unsigned v)
{
    char t[11];
    int i = sizeof(t) - 1;

    t[i] = '\0';
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_str(b, t + i);
}

/* "svmconf: done, N cases, M failed": the boot test checks N against its table. */
void report_summary(void)
{
    struct sbuf b;

    sb_init(&b);
    sb_str(&b, "svmconf: done, ");
    sb_dec(&b, cases_run);
    sb_str(&b, " cases, ");
    sb_dec(&b, cases_failed);
    sb_str(&b, " failed\n");
    con_puts(b.s);
}
