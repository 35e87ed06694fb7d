# ACPI table parsers (pure logic; the boot-time glue that maps tables is elsewhere).
HV_SRCS += core/acpi_parse.c
