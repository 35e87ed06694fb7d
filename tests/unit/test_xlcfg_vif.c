/* `vif = [...]` in cfg files and network-attach's entries (dom0/xlcfg_vif.c): the
 * forms xl accepts, defaults, default MACs, and every error with its file:line. */
#include "unit.h"
#include <hvlab/errno.h>
#include "xlcfg.h"
#include "xlcfg_vif.h"

#define XLCFG_FIXTURE_FILE "net.cfg"
#include "xlcfg_fixture.h"

#define BASE "name = \"web\"\nkernel = \"netbench.elf\"\nmemory = 16\n"

static void test_two_vifs(void)
{
    CHECK_EQ(parse(BASE "vif = [ 'mac=00:16:3e:00:00:01, bridge=br0',\n"
                   "        'bridge=br1' ]\n"), 0);
    CHECK_EQ(cfg.nr_vifs, 2);
    CHECK(cfg.vifs[0].mac_given);
    CHECK_EQ(cfg.vifs[0].mac[5], 1);
    CHECK_EQ(cfg.vifs[0].mac[2], 0x3e);
    CHECK_STREQ(cfg.vifs[0].bridge, "br0");
    CHECK_EQ(cfg.vifs[0].line, 4);
    CHECK(!cfg.vifs[1].mac_given);
    CHECK_STREQ(cfg.vifs[1].bridge, "br1");
}

static void test_defaults(void)
{
    CHECK_EQ(parse(BASE), 0);
    CHECK_EQ(cfg.nr_vifs, 0);
    CHECK_EQ(parse(BASE "vif = [ '' ]\n"), 0);
    CHECK_EQ(cfg.nr_vifs, 1);
    CHECK(!cfg.vifs[0].mac_given);
    CHECK_STREQ(cfg.vifs[0].bridge, "br0");
    CHECK_EQ(parse(BASE "vif = [ \" MAC=\" ]\n"), 1);   /* keys are lower case */
    CHECK_EQ(parse(BASE "vif = []\n"), 0);
    CHECK_EQ(cfg.nr_vifs, 0);
    /* Upper-case hex and blanks around keys and values. */
    CHECK_EQ(parse(BASE "vif = [ '  mac = 00:16:3E:0A:BB:0c ,bridge= xenbr0 ' ]\n"), 0);
    CHECK_EQ(cfg.vifs[0].mac[3], 0x0a);
    CHECK_EQ(cfg.vifs[0].mac[4], 0xbb);
    CHECK_EQ(cfg.vifs[0].mac[5], 0x0c);
    CHECK_STREQ(cfg.vifs[0].bridge, "xenbr0");
}

static void test_errors(void)
{
    static const struct { const char *text, *msg; } rows[] = {
        { BASE "vif = 'mac=00:16:3e:00:00:01'\n",
          "net.cfg:4: key 'vif': expected a list of strings, e.g. [ "
          "'mac=00:16:3e:00:00:01, bridge=br0' ]" },
        { BASE "vif = [ 'mac=00:16:3e:00:00' ]\n",
          "net.cfg:4: key 'vif': entry 0: mac \"00:16:3e:00:00\": expected six hex bytes "
          "separated by ':' (00:16:3e:00:00:01)" },
        { BASE "vif = [ 'mac=00:16:3e:00:00:0g' ]\n",
          "net.cfg:4: key 'vif': entry 0: mac \"00:16:3e:00:00:0g\": expected six hex "
          "bytes separated by ':' (00:16:3e:00:00:01)" },
        { BASE "vif = [ 'mac=01:00:5e:00:00:01' ]\n",
          "net.cfg:4: key 'vif': entry 0: mac \"01:00:5e:00:00:01\": a group (multicast) "
          "address, not an interface's" },
        { BASE "vif = [ 'mac=00:00:00:00:00:00' ]\n",
          "net.cfg:4: key 'vif': entry 0: mac \"00:00:00:00:00:00\": the zero address" },
        { BASE "vif = [ 'bridge=' ]\n",
          "net.cfg:4: key 'vif': entry 0: bridge \"\": a name of 1 to 15 characters" },
        { BASE "vif = [ 'bridge=br 0' ]\n",
          "net.cfg:4: key 'vif': entry 0: bridge \"br 0\": only letters, digits, '-', '_' "
          "and '.'" },
        { BASE "vif = [ 'bridge=a-very-long-bridge' ]\n",
          "net.cfg:4: key 'vif': entry 0: bridge \"a-very-long-bridge\": a name of 1 to 15 "
          "characters" },
        { BASE "vif = [ 'script=vif-bridge' ]\n",
          "net.cfg:4: key 'vif': entry 0: 'script' is not supported (only mac and bridge)" },
        { BASE "vif = [ 'colour=blue' ]\n",
          "net.cfg:4: key 'vif': entry 0: unknown key 'colour' (expected mac or bridge)" },
        { BASE "vif = [ 'br0' ]\n",
          "net.cfg:4: key 'vif': entry 0: \"br0\": expected key=value" },
        { BASE "vif = [ 'bridge=br0,,mac=00:16:3e:00:00:01' ]\n",
          "net.cfg:4: key 'vif': entry 0: empty item (a stray ',')" },
        { BASE "vif = [ 'bridge=br0, bridge=br1' ]\n",
          "net.cfg:4: key 'vif': entry 0: bridge given twice" },
        { BASE "vif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3e:00:00:01' ]\n",
          "net.cfg:4: key 'vif': entry 1: the MAC of entry 0 again" },
        { BASE "vif = [ '', '', '', '', '' ]\n",
          "net.cfg:4: key 'vif': 5 entries, at most 4" },
        { BASE "vif = [ 3 ]\n",
          "net.cfg:4: key 'vif': entry 0: expected a quoted string, got 3" },
        { BASE "vif = [ '' ]\nvif = [ '' ]\n",
          "net.cfg:5: key 'vif': set twice (first on line 4)" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        CHECK_EQ(parse(rows[i].text), 1);
        CHECK_EQ(nr_msgs, 1);
        CHECK_STREQ(msgs[0], rows[i].msg);
    }
}

/* network-attach's form: the same parser, without a file. */
static void test_entry_api(void)
{
    struct xlcfg_vif v;
    char err[128];
    uint8_t mac[6];
    char s[XLCFG_MAC_STR_MAX];

    CHECK_EQ(xlcfg_vif_parse("mac=00:16:3e:12:34:56", &v, err, sizeof(err)), 0);
    xlcfg_mac_format(s, v.mac);
    CHECK_STREQ(s, "00:16:3e:12:34:56");
    CHECK_EQ(xlcfg_vif_parse("mac=00:16:3e:12:34:56,", &v, err, sizeof(err)), -EINVAL);
    CHECK_STREQ(err, "empty item (a stray ',')");
    xlcfg_vif_default_mac(mac, 0x123, 2);
    xlcfg_mac_format(s, mac);
    CHECK_STREQ(s, "00:16:3e:01:23:02");
    CHECK_EQ(xlcfg_mac_parse("00:16:3e:12:34:56x", 18, mac), -EINVAL);
    CHECK_EQ(xlcfg_mac_parse("00-16-3e-12-34-56", 17, mac), -EINVAL);
}

static const struct unit_case cases[] = {
    { "two vifs", test_two_vifs },
    { "defaults and accepted forms", test_defaults },
    { "errors name file, line and entry", test_errors },
    { "entry parser for network-attach", test_entry_api },
};

UNIT_MAIN(cases)
