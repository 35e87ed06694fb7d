# Host tests of the HVM builder (core/lib/hvmbuild.mk): ACPI tables parsed back with
# hvlab's own parser, the E820, image detection and every refusal, and the boot
# structures of the three protocols.
HVMBUILD_TEST_LIB := $(HVMBUILD_SRCS) core/lib/vsnprintf.c
UNIT_TESTS += hvmbuild_acpi hvmbuild_e820
unit_hvmbuild_acpi_SRCS := tests/unit/test_hvmbuild_acpi.c core/acpi_parse.c $(HVMBUILD_TEST_LIB)
unit_hvmbuild_acpi_CFLAGS := -DNR_CPUS=256
unit_hvmbuild_e820_SRCS := tests/unit/test_hvmbuild_e820.c $(HVMBUILD_TEST_LIB)
UNIT_TESTS += hvmbuild_image
unit_hvmbuild_image_SRCS := tests/unit/test_hvmbuild_image.c tests/unit/hvmbuild_fixture.c \
	$(HVMBUILD_TEST_LIB)
UNIT_TESTS += hvmbuild_boot
unit_hvmbuild_boot_SRCS := tests/unit/test_hvmbuild_boot.c tests/unit/hvmbuild_fixture.c \
	core/acpi_parse.c $(HVMBUILD_TEST_LIB)
UNIT_TESTS += hvmbuild_layout
unit_hvmbuild_layout_SRCS := tests/unit/test_hvmbuild_layout.c tests/unit/hvmbuild_fixture.c \
	$(HVMBUILD_TEST_LIB)
