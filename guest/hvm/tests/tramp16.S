/* vCPU 1 of tests/devices.c after INIT/SIPI: real mode, CS:IP = 0x1000:0 (copied to
 * 0x10000). It says it is alive, switches its LAPIC to x2APIC mode (the MMIO window
 * is beyond real mode's reach), enables it and halts; its IPI handler (IVT entry set
 * by vCPU 0) counts, stores the TSC and EOIs through the x2APIC EOI MSR. */
	.section .rodata
	.code16
	.globl tramp16_start, tramp16_end, tramp16_alive, tramp16_count, tramp16_tsc, tramp16_irq
tramp16_start:
	cli
	mov %cs, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0xff0, %sp
	movw $1, tramp16_alive - tramp16_start
	mov $0x1b, %ecx
	rdmsr
	or $0xc00, %eax             /* EN | EXTD: x2APIC */
	wrmsr
	mov $0x80f, %ecx            /* SVR: software-enabled, spurious 0xff */
	mov $0x1ff, %eax
	xor %edx, %edx
	wrmsr
	sti
1:	hlt
	jmp 1b
tramp16_irq:
	pushal
	rdtsc
	mov %eax, tramp16_tsc - tramp16_start
	mov %edx, tramp16_tsc - tramp16_start + 4
	incw tramp16_count - tramp16_start
	mov $0x80b, %ecx            /* EOI */
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	popal
	iret
	.balign 8
tramp16_tsc:	.quad 0
tramp16_alive:	.word 0
tramp16_count:	.word 0
tramp16_end:
	.code64
