# The cost-model plugin's instruction classification (tools/costmodel/insn_kind.c).
UNIT_TESTS += costmodel_insn
unit_costmodel_insn_SRCS := tests/unit/test_costmodel_insn.c tools/costmodel/insn_kind.c

# The cost-model plugin's TLB model (tools/costmodel/tlb.c).
UNIT_TESTS += costmodel_tlb
unit_costmodel_tlb_SRCS := tests/unit/test_costmodel_tlb.c tools/costmodel/tlb.c

# The cost-model plugin's arguments (tools/costmodel/args.c).
UNIT_TESTS += costmodel_args
unit_costmodel_args_SRCS := tests/unit/test_costmodel_args.c tools/costmodel/args.c tools/costmodel/tlb.c

# The cost model's translation rules (tools/costmodel/xlat.c).
UNIT_TESTS += costmodel_xlat
unit_costmodel_xlat_SRCS := tests/unit/test_costmodel_xlat.c tools/costmodel/xlat.c tools/costmodel/tlb.c
