# ACPI parsers against tables captured from QEMU (tests/data/acpi/, see capture.py
# there) and synthetic corrupt tables.
UNIT_TESTS += acpi
unit_acpi_SRCS := tests/unit/test_acpi.c core/acpi_parse.c core/lib/vsnprintf.c
