# Host tests of the SVM core's pure parts: ASID generations (include/hvlab/x86/svm_asid.h).
UNIT_TESTS += svm_asid
unit_svm_asid_SRCS := tests/unit/test_svm_asid.c
# The injection decisions (include/hvlab/x86/svm_intr.h).
UNIT_TESTS += svm_intr
unit_svm_intr_SRCS := tests/unit/test_svm_intr.c
