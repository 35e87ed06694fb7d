# Host test of the guest runtime's grant library (guest/gnttab.c): refs, entries,
# end-access, growth, with the platform and the runtime's locks as test doubles.
UNIT_TESTS += gnttab_lib
unit_gnttab_lib_SRCS := tests/unit/test_gnttab_lib.c guest/gnttab.c
unit_gnttab_lib_CFLAGS := -Iguest/include
