/* `expect <ERRNO> <command>`: runs a command that must fail with that errno, so that
 * a scenario can check a refusal and go on (a failing command otherwise ends it).
 * Prints "expect: '<command>' failed with <ERRNO>, as expected"; when the command
 * succeeds or fails otherwise, "expect: '<command>' returned <what>, expected
 * <ERRNO>" and returns -EINVAL. */
#include "dom0.h"
#include "scenario.h"
#include "strutil.h"
#include "xl.h"

int xl_expect(int argc, char **argv)
{
    static char buf[XL_LINE_MAX];
    char err[160], text[XL_LINE_MAX];
    struct xl_args a;
    int want, rc;

    if (xl_parse_expect(argc > 1 ? argv[1] : "", buf, sizeof(buf), &want, &a, err,
                        sizeof(err))) {
        puts(err);
        return -EINVAL;
    }
    scenario_cmd_text(&a, text, sizeof(text));
    xl_reap();
    rc = a.cmd->run(a.argc, a.argv);
    if (rc == -want) {
        printf("expect: '%s' failed with %s, as expected\n", text, str_errno(want));
        return 0;
    }
    printf("expect: '%s' returned %s, expected %s\n", text, rc ? str_errno(rc) : "0",
           str_errno(want));
    return -EINVAL;
}
