/* bench/hostpmu.c on this host: either the counters open and count a known loop (at
 * least its instructions, and some cycles), or they do not and the reason names
 * perf_event_open and what it answered; never counts from a failed open. */
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include "../../bench/hostpmu.h"

#define LOOP 100000

static void test_counts_or_says_why(void)
{
    struct hostpmu p;
    uint64_t cycles = 1, instructions = 1;

    if (!hostpmu_open(&p)) {
        printf("    (no counters here: %s)\n", p.why);
        CHECK(strstr(p.why, "perf_event_open(") != NULL);
        CHECK(strlen(p.why) > strlen("perf_event_open(cycles): "));
        CHECK(!p.ok);
        hostpmu_start(&p);                          /* harmless without counters */
        CHECK(!hostpmu_stop(&p, &cycles, &instructions));
        CHECK_EQ(cycles, 0);
        CHECK_EQ(instructions, 0);
        return;
    }
    hostpmu_start(&p);
    for (volatile unsigned i = 0; i < LOOP; i++)
        ;
    bool whole = hostpmu_stop(&p, &cycles, &instructions);
    printf("    (counters: %llu cycles, %llu instructions for %u iterations%s)\n",
           (unsigned long long)cycles, (unsigned long long)instructions, LOOP,
           whole ? "" : ", multiplexed");
    CHECK(instructions >= LOOP);
    CHECK(cycles > 0);
    hostpmu_close(&p);
    CHECK(!p.ok);
}

static const struct unit_case cases[] = {
    { "host counters count a loop, or say why not", test_counts_or_says_why },
};

UNIT_MAIN(cases)
