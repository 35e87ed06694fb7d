# The cost model's QEMU TCG plugin (docs/cost-model.md): a host shared object, built
# against the project's own declarations of QEMU's plugin interface (plugin_api.h).
# $(BUILD)/costmodel/plugins.status caches whether the installed QEMU loads it: "yes",
# or "no: <why>" (the boot test and the report skip the model and say so).
COSTMODEL_SO := $(BUILD)/costmodel/costmodel.so
COSTMODEL_SRCS := tools/costmodel/costmodel.c tools/costmodel/insn_kind.c tools/costmodel/tlb.c \
		tools/costmodel/args.c tools/costmodel/xlat.c

$(COSTMODEL_SO): $(COSTMODEL_SRCS) tools/costmodel/plugin_api.h tools/costmodel/insn_kind.h tools/costmodel/tlb.h \
		tools/costmodel/args.h tools/costmodel/xlat.h \
		include/public/costmodel.h
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g $(WARN) -fPIC -shared -fvisibility=hidden \
		$(COSTMODEL_SRCS) -lpthread -o $@

$(BUILD)/costmodel/plugins.status: $(COSTMODEL_SO) tools/costmodel/probe.py
	$(Q)$(PYTHON) tools/costmodel/probe.py $(COSTMODEL_SO) $@

.PHONY: costmodel
costmodel: $(BUILD)/costmodel/plugins.status
