/* Host tests of the injection decisions (include/hvlab/x86/svm_intr.h): EXITINTINFO
 * kept as the next event, QEMU's "exception with vector >= 32" made an interrupt; an
 * interrupt waiting behind an event in EVENTINJ (an EXITINTINFO being re-injected)
 * gets the window probe rather than waiting for some later exit; IF and the shadow
 * decide between injecting, probing and stepping. */
#include <hvlab/x86/svm_intr.h>

#include "unit.h"

static void test_normalise(void)
{
    CHECK_EQ(svm_event_normalise(0), 0);
    CHECK_EQ(svm_event_normalise(0x41 | EVENTINJ_TYPE_EXC), 0);            /* not valid */
    /* QEMU's report of a faulted V_IRQ 0x41 (svm-under-qemu.md, exitintinfo_npf_virq) */
    CHECK_EQ(svm_event_normalise(0x80000341ull), 0x80000041ull);
    CHECK_EQ(svm_event_normalise(0x80000b41ull | 5ull << 32), 0x80000041ull);   /* EV lost */
    /* #GP with its error code, an INTR, an NMI: kept as they are */
    uint64_t gp = 13 | EVENTINJ_TYPE_EXC | EVENTINJ_EV | EVENTINJ_VALID | 0x1234ull << 32;
    CHECK_EQ(svm_event_normalise(gp), gp);
    CHECK_EQ(svm_event_normalise(0x80000030ull), 0x80000030ull);
    CHECK_EQ(svm_event_normalise(2 | EVENTINJ_TYPE_NMI | EVENTINJ_VALID),
             2 | EVENTINJ_TYPE_NMI | EVENTINJ_VALID);
}

static void test_choose(void)
{
    CHECK_EQ(svm_intr_choose(false, false, true, false), SVM_INTR_NONE);
    CHECK_EQ(svm_intr_choose(false, true, true, false), SVM_INTR_NONE);
    CHECK_EQ(svm_intr_choose(true, false, true, false), SVM_INTR_INJECT);
    CHECK_EQ(svm_intr_choose(true, false, false, false), SVM_INTR_PROBE);
    CHECK_EQ(svm_intr_choose(true, false, true, true), SVM_INTR_STEP);
    CHECK_EQ(svm_intr_choose(true, false, false, true), SVM_INTR_STEP);
    /* EVENTINJ taken (EXITINTINFO or an exception): the interrupt gets the probe, with
     * the window open or not, shadow or not */
    CHECK_EQ(svm_intr_choose(true, true, true, false), SVM_INTR_PROBE);
    CHECK_EQ(svm_intr_choose(true, true, false, false), SVM_INTR_PROBE);
    CHECK_EQ(svm_intr_choose(true, true, true, true), SVM_INTR_PROBE);
}

static const struct unit_case cases[] = {
    { "EXITINTINFO kept, QEMU's TYPE 3 >= 32 made an interrupt", test_normalise },
    { "inject, probe or step", test_choose },
};
UNIT_MAIN(cases)
