/* The guest runtime's pure helpers (guest/lib.c) on the host: the start_info command
 * line parser, number parsing, errno names. */
#include "unit.h"

#include <guest.h>

const struct start_info *start_info;
static struct start_info si;

static void set_cmdline(const char *s)
{
    memset(&si, 0, sizeof(si));
    strncpy(si.cmdline, s, sizeof(si.cmdline) - 1);
    start_info = &si;
}

static void test_arg(void)
{
    char buf[16];

    set_cmdline("pingpong.elf role=ping peer=3  port=0x10 flag empty= role=pong");
    CHECK(guest_arg("role", buf, sizeof(buf)));
    CHECK_STREQ(buf, "pong");                       /* the last one wins */
    CHECK(guest_arg("flag", buf, sizeof(buf)));
    CHECK_STREQ(buf, "");
    CHECK(guest_arg("empty", buf, sizeof(buf)));
    CHECK_STREQ(buf, "");
    CHECK(!guest_arg("rol", buf, sizeof(buf)));     /* prefixes do not match */
    CHECK(!guest_arg("peer=3", buf, sizeof(buf)));
    CHECK(!guest_arg("missing", buf, sizeof(buf)));
    CHECK(guest_arg("pingpong.elf", NULL, 0));
    CHECK(guest_arg("peer", buf, 2));
    CHECK_STREQ(buf, "3");
    CHECK(guest_arg("role", buf, 3));               /* cut to the buffer */
    CHECK_STREQ(buf, "po");
}

static void test_arg_uint(void)
{
    set_cmdline("ms=250 port=0x10 bad=12x big=18446744073709551615 e=");
    CHECK_EQ(guest_arg_uint("ms", 1), 250);
    CHECK_EQ(guest_arg_uint("port", 1), 16);
    CHECK_EQ(guest_arg_uint("bad", 7), 7);
    CHECK_EQ(guest_arg_uint("e", 9), 9);
    CHECK_EQ(guest_arg_uint("none", 5), 5);
    CHECK(guest_arg_uint("big", 0) == UINT64_MAX);
    set_cmdline("");
    CHECK_EQ(guest_arg_uint("ms", 3), 3);
}

static void test_cmdline_unterminated(void)
{
    /* A full 256-byte command line with no NUL: the parser stays inside it. */
    memset(&si, 0, sizeof(si));
    memset(si.cmdline, 'a', sizeof(si.cmdline));
    memcpy(si.cmdline + sizeof(si.cmdline) - 4, " k=9", 4);
    start_info = &si;
    CHECK_EQ(guest_arg_uint("k", 1), 9);
}

static void test_errno_name(void)
{
    CHECK_STREQ(errno_name(-EFAULT), "EFAULT");
    CHECK_STREQ(errno_name(-ENOSYS), "ENOSYS");
    CHECK_STREQ(errno_name(0), "ok");
    CHECK_STREQ(errno_name(-999), "E?");
}

static const struct unit_case cases[] = {
    { "guest_arg", test_arg },
    { "guest_arg_uint", test_arg_uint },
    { "unterminated command line", test_cmdline_unterminated },
    { "errno_name", test_errno_name },
};

UNIT_MAIN(cases)
