# Host tests of the SVM core's pure parts: ASID generations (core/arch/x86/svm/svm_asid.c).
UNIT_TESTS += svm_asid
unit_svm_asid_SRCS := tests/unit/test_svm_asid.c core/arch/x86/svm/svm_asid.c
