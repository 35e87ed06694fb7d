# The SVM core: HVM vCPUs on AMD SVM with nested paging (include/hvlab/x86/svm.h).
HV_SRCS += core/arch/x86/svm/svm_cpu.c core/arch/x86/svm/svm_vmcb.c \
	core/arch/x86/svm/svm_domain.c core/arch/x86/svm/svm_entry.S \
	core/arch/x86/svm/svm_run.c core/arch/x86/svm/exit_table.c \
	core/arch/x86/svm/svm_exits.c core/arch/x86/svm/svm_cpuid.c \
	core/arch/x86/svm/svm_msr.c core/arch/x86/svm/svm_io.c \
	core/arch/x86/svm/svm_guest_access.c \
	core/arch/x86/svm/hvm_platform.c core/arch/x86/svm/svm_intr.c \
	core/arch/x86/svm/svm_emul.c core/arch/x86/svm/svm_sipi.c
# Memory policies: HVM RAM at build or at the first touch (mmpolicy).
HV_SRCS += core/arch/x86/svm/hvm_populate.c
# Device models (issue 11): forwarding to dom0 (include/hvlab/x86/hvm_ioreq.h).
HV_SRCS += core/arch/x86/svm/ioreq.c core/arch/x86/svm/ioreq_domctl.c
