/* Host tests for disk specifications (dom0/xlcfg_disk.c): the spec syntax of
 * `disk = [...]` and `xl block-attach`, device ids, and the cfg key's errors, each
 * naming file, line and problem. */
#include "unit.h"
#include "xlcfg.h"
#include "xlcfg_disk.h"

#define XLCFG_FIXTURE_FILE "d.cfg"
#include "xlcfg_fixture.h"

#define BASE "name = \"web\"\nkernel = \"blktest.elf\"\nmemory = 16\n"

static void test_spec_ok(void)
{
    static const struct {
        const char *spec, *target, *vdev;
        bool ro;
    } rows[] = {
        { "target=vd0:2048+4096, vdev=xvda, access=rw", "vd0:2048+4096", "xvda", false },
        { "target=vd1,vdev=xvdp", "vd1", "xvdp", false },
        { "vdev=xvdb, access=r, target=vd0:0+1", "vd0:0+1", "xvdb", true },
        { "  target = vd3:7+9 ,  vdev = hdd , access = ro ", "vd3:7+9", "hdd", true },
        { "target=vd0,vdev=hda,access=w", "vd0", "hda", false },
    };
    char why[128];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct xlcfg_disk d = { .line = 9 };
        int rc = xlcfg_disk_parse(rows[i].spec, &d, why, sizeof(why));

        if (rc)
            printf("    '%s': %s\n", rows[i].spec, why);
        CHECK_EQ(rc, 0);
        CHECK_STREQ(d.target, rows[i].target);
        CHECK_STREQ(d.vdev, rows[i].vdev);
        CHECK_EQ(d.readonly, rows[i].ro);
        CHECK_EQ(d.line, 9);
    }
}

static void test_spec_errors(void)
{
    static const struct { const char *spec, *why; } rows[] = {
        { "target=vd0, vdev=xvda, mode=rw", "unknown key 'mode' (target, vdev, access)" },
        { "target=vd0, vdev=sda", "vdev 'sda': expected xvd<a-p> (PV) or hd<a-d> (emulated ATA)" },
        { "target=vd0, vdev=xvdA", "vdev 'xvdA': expected xvd<a-p> (PV) or hd<a-d> (emulated ATA)" },
        { "target=vd0, vdev=hde", "vdev 'hde': expected xvd<a-p> (PV) or hd<a-d> (emulated ATA)" },
        { "target=vd0, vdev=xvdaa", "vdev 'xvdaa': expected xvd<a-p> (PV) or hd<a-d> (emulated ATA)" },
        { "target=vd0, vdev=xvda, access=rwx", "access 'rwx': expected r, ro, w or rw" },
        { "target=sd0, vdev=xvda", "target 'sd0': expected vd<N> or vd<N>:<start>+<sectors>" },
        { "target=vd, vdev=xvda", "target 'vd': expected a disk number after 'vd' (vd0..vd99)" },
        { "target=vdx, vdev=xvda", "target 'vdx': expected a disk number after 'vd' (vd0..vd99)" },
        { "target=vd0:12, vdev=xvda",
          "target 'vd0:12': expected vd<N>:<start>+<sectors> (decimal 512-byte sectors)" },
        { "target=vd0:+12, vdev=xvda",
          "target 'vd0:+12': expected vd<N>:<start>+<sectors> (decimal 512-byte sectors)" },
        { "target=vd0:1+-2, vdev=xvda",
          "target 'vd0:1+-2': expected vd<N>:<start>+<sectors> (decimal 512-byte sectors)" },
        { "target=vd0:0x10+2, vdev=xvda",
          "target 'vd0:0x10+2': expected vd<N>:<start>+<sectors> (decimal 512-byte sectors)" },
        { "target=vd0:5+0, vdev=xvda", "target 'vd0:5+0': a region of 0 sectors" },
        { "target=vd0:18446744073709551615+2, vdev=xvda",
          "target 'vd0:18446744073709551615+2': expected vd<N>:<start>+<sectors> "
          "(decimal 512-byte sectors)" },
        { "target=vd0:9999999999999999999+9999999999999999999, vdev=xvda",
          "target 'vd0:9999999999999999999+9999999999999999999': the region wraps around" },
        { "target=vd0:00000000000000000000000001+0000000000000000000001, vdev=xvda",
          "target: longer than 47 characters" },
        { "target=vd0", "'target=vd0': no vdev=" },
        { "vdev=xvda", "'vdev=xvda': no target=" },
        { "", "'': no target=" },
        { "target=vd0,, vdev=xvda", "empty item in 'target=vd0,, vdev=xvda'" },
        { "target=vd0, vdev=xvda,", "empty item in 'target=vd0, vdev=xvda,'" },
        { "target=vd0, vdev=xvda, vdev=xvdb", "key 'vdev' given twice" },
        { "target=vd0, xvda", "'xvda': expected key=value" },
    };
    char why[128];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct xlcfg_disk d;

        why[0] = 0;
        CHECK_EQ(xlcfg_disk_parse(rows[i].spec, &d, why, sizeof(why)), -22);
        CHECK_STREQ(why, rows[i].why);
    }
}

static void test_devid(void)
{
    CHECK_EQ(xlcfg_disk_devid("xvda"), 51712);
    CHECK_EQ(xlcfg_disk_devid("xvdb"), 51728);
    CHECK_EQ(xlcfg_disk_devid("xvdp"), 51712 + 15 * 16);
    CHECK_EQ(xlcfg_disk_devid("xvdq"), -22);
    CHECK_EQ(xlcfg_disk_devid("hda"), 768);
    CHECK_EQ(xlcfg_disk_devid("hdb"), 832);
    CHECK_EQ(xlcfg_disk_devid("xvd"), -22);
    CHECK_EQ(xlcfg_disk_devid("hd"), -22);
    CHECK(xlcfg_disk_is_pv("xvdc"));
    CHECK(!xlcfg_disk_is_pv("hdc"));
}

static void test_cfg_disks(void)
{
    CHECK_EQ(parse(BASE "disk = [ 'target=vd0:2048+4096, vdev=xvda, access=rw',\n"
                   "         'target=vd1, vdev=xvdb, access=r', ]\n"), 0);
    CHECK_EQ(cfg.nr_disks, 2);
    CHECK_STREQ(cfg.disks[0].target, "vd0:2048+4096");
    CHECK_STREQ(cfg.disks[1].vdev, "xvdb");
    CHECK(cfg.disks[1].readonly);
    CHECK_EQ(cfg.disks[0].line, 4);
    CHECK_EQ(cfg.disks[1].line, 5);
    CHECK_STREQ(cfg.file, "d.cfg");
    CHECK_EQ(parse(BASE), 0);
    CHECK_EQ(cfg.nr_disks, 0);
    CHECK_EQ(parse(BASE "type = \"hvm\"\ndisk = ['target=vd0, vdev=hda']\n"), 0);
    CHECK_EQ(cfg.nr_disks, 1);
}

static void test_cfg_errors(void)
{
    static const struct { const char *text, *msg; } rows[] = {
        { BASE "disk = [ 'target=vd0, vdev=xvda, acces=rw' ]\n",
          "d.cfg:4: key 'disk': unknown key 'acces' (target, vdev, access)" },
        { BASE "\ndisk = [ 'target=vd0, vdev=sdb' ]\n",
          "d.cfg:5: key 'disk': vdev 'sdb': expected xvd<a-p> (PV) or hd<a-d> (emulated ATA)" },
        { BASE "disk = [ 'target=vd0, vdev=xvda, access=x' ]\n",
          "d.cfg:4: key 'disk': access 'x': expected r, ro, w or rw" },
        { BASE "disk = [ 'target=vd0:1+, vdev=xvda' ]\n",
          "d.cfg:4: key 'disk': target 'vd0:1+': expected vd<N>:<start>+<sectors> "
          "(decimal 512-byte sectors)" },
        { BASE "disk = 'target=vd0, vdev=xvda'\n",
          "d.cfg:4: key 'disk': expected a list [ 'target=..., vdev=...', ... ]" },
        { BASE "disk = [ 3 ]\n", "d.cfg:4: key 'disk': expected a quoted string, got 3" },
        { BASE "disk = [ 'target=vd0, vdev=xvda', 'target=vd1, vdev=xvda' ]\n",
          "d.cfg:4: key 'disk': vdev 'xvda' given twice (first on line 4)" },
        { BASE "disk = [ 'target=vd0, vdev=xvda',\n\n  'target=vd1, vdev=xvdb, access=x' ]\n",
          "d.cfg:6: key 'disk': access 'x': expected r, ro, w or rw" },
        { BASE "disk = [ 'target=vd0, vdev=xvda',\n  'target=vd1, vdev=xvda' ]\n",
          "d.cfg:5: key 'disk': vdev 'xvda' given twice (first on line 4)" },
        { BASE "disk = [ 'target=vd0, vdev=xvda', 'target=vd0, vdev=xvdb',"
          " 'target=vd0, vdev=xvdc', 'target=vd0, vdev=xvdd', 'target=vd0, vdev=xvde' ]\n",
          "d.cfg:4: key 'disk': 5 disks, at most 4" },
        { BASE "disk = [ 'target=vd0, vdev=hda' ]\n",
          "d.cfg:4: key 'disk': vdev 'hda' is an emulated disk: a PV domain needs xvd<a-p>" },
        { BASE "disk = []\ndisk = []\n", "d.cfg:5: key 'disk': set twice (first on line 4)" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        CHECK_EQ(parse(rows[i].text), 1);
        CHECK_EQ(nr_msgs, 1);
        CHECK_STREQ(msgs[0], rows[i].msg);
    }
}

/* block-attach's words: joined, quotes dropped; PV vdevs only. */
static void test_words(void)
{
    static char *const one[] = { "'target=vd0:0+64,vdev=xvdb'" };
    static char *const three[] = { "target=vd0:0+64,", "vdev=xvdc,", "access=r" };
    static char *const quoted[] = { "'target=vd1,", "vdev=xvdd'" };
    static char *const hd[] = { "target=vd0,vdev=hda" };
    static char *const bad[] = { "target=vd0,", "vdev=xvdb,", "acess=r" };
    struct xlcfg_disk d;
    char why[128];

    CHECK_EQ(xlcfg_disk_parse_words(1, one, &d, why, sizeof(why)), 0);
    CHECK_STREQ(d.vdev, "xvdb");
    CHECK_EQ(xlcfg_disk_parse_words(3, three, &d, why, sizeof(why)), 0);
    CHECK_STREQ(d.target, "vd0:0+64");
    CHECK(d.readonly);
    CHECK_EQ(xlcfg_disk_parse_words(2, quoted, &d, why, sizeof(why)), 0);
    CHECK_STREQ(d.target, "vd1");
    CHECK_EQ(xlcfg_disk_parse_words(1, hd, &d, why, sizeof(why)), -22);
    CHECK_STREQ(why, "vdev 'hda': only PV disks (xvd<a-p>) attach to a running domain");
    CHECK_EQ(xlcfg_disk_parse_words(3, bad, &d, why, sizeof(why)), -22);
    CHECK_STREQ(why, "unknown key 'acess' (target, vdev, access)");
    CHECK_EQ(xlcfg_disk_parse_words(0, bad, &d, why, sizeof(why)), -22);
    CHECK_STREQ(why, "'': no target=");
}

static const struct unit_case cases[] = {
    { "words", test_words },
    { "spec_ok", test_spec_ok },
    { "spec_errors", test_spec_errors },
    { "devid", test_devid },
    { "cfg_disks", test_cfg_disks },
    { "cfg_errors", test_cfg_errors },
};
UNIT_MAIN(cases)
