# The cost-model plugin's instruction classification (tools/costmodel/insn_kind.c).
UNIT_TESTS += costmodel_insn
unit_costmodel_insn_SRCS := tests/unit/test_costmodel_insn.c tools/costmodel/insn_kind.c
