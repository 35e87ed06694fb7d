# The HVM domain builder: ACPI tables, E820, Multiboot v1, PVH and Linux boot
# structures, image detection. Pure logic for dom0's toolstack (linked into the guest
# runtime by guest/guest.mk), tested on the host (tests/unit/hvmbuild.mk). Not part
# of the hypervisor itself.
HVMBUILD_SRCS := core/lib/hvmbuild_acpi.c core/lib/hvmbuild_e820.c core/lib/hvmbuild_elf.c \
	core/lib/hvmbuild_image.c core/lib/hvmbuild_layout.c core/lib/hvmbuild_linux.c \
	core/lib/hvmbuild_multiboot.c core/lib/hvmbuild_pvh.c core/lib/hvmbuild_acpi_vnuma.c
