# Host tests of the HVM device model (issue 11): the ATA disk model (dom0/ata.c)
# over a fake backend.
UNIT_TESTS += ata
unit_ata_SRCS := tests/unit/test_ata.c dom0/ata.c
unit_ata_CFLAGS := -Idom0
# The device model's check of request slots.
UNIT_TESTS += dm_req
unit_dm_req_SRCS := tests/unit/test_dm_req.c dom0/dm_req.c
unit_dm_req_CFLAGS := -Idom0
