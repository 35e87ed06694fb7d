/* An ATA disk as the legacy IDE interface presents it (ATA/ATAPI-8 ATA8-ACS, PIO
 * only): the device model's emulated hard disk for HVM guests (dom0/dm_ata.c wires
 * it to the primary channel, ports 0x1F0-0x1F7 and 0x3F6, IRQ 14). Pure: no I/O of
 * its own, no clock, no allocation; sectors come and go through a backend (the real
 * one is a pdisk region; host tests use a fake), so tests/unit/test_ata.c runs the
 * very same file on the host.
 *
 * Commands: IDENTIFY DEVICE, READ SECTORS (EXT), WRITE SECTORS (EXT) with 28- and
 * 48-bit LBA, FLUSH CACHE (EXT), SET FEATURES and INITIALIZE DEVICE PARAMETERS
 * (accepted, nothing to set), EXECUTE DEVICE DIAGNOSTIC; anything else is aborted
 * (ERR, ABRT). Software reset through the device control register, nIEN, the HOB
 * bit. One device (master); a selected slave reads as absent. CHS addressing is
 * refused (ABRT): IDENTIFY says LBA. Limitations: no DMA, no READ/WRITE MULTIPLE,
 * no ATAPI. */
#ifndef DOM0_ATA_H
#define DOM0_ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATA_SECTOR       512u
#define ATA_BUF_SECTORS  128u           /* the model's buffer: 64 KiB, 16 pages */
#define ATA_BUF_BYTES    (ATA_BUF_SECTORS * ATA_SECTOR)

/* Registers by offset: 0-7 the command block (0x1F0 + i), ATA_REG_CTL the control
 * block's alternate status / device control (0x3F6). */
enum ata_reg {
    ATA_REG_DATA, ATA_REG_ERROR, ATA_REG_NSECT, ATA_REG_LBAL, ATA_REG_LBAM, ATA_REG_LBAH,
    ATA_REG_DEVICE, ATA_REG_STATUS, ATA_REG_CTL,
};
#define ATA_REG_FEATURE ATA_REG_ERROR   /* on write */
#define ATA_REG_COMMAND ATA_REG_STATUS  /* on write */

/* Status */
#define ATA_ST_ERR  0x01
#define ATA_ST_DRQ  0x08
#define ATA_ST_DSC  0x10
#define ATA_ST_DF   0x20
#define ATA_ST_DRDY 0x40
#define ATA_ST_BSY  0x80
/* Error */
#define ATA_ER_ABRT 0x04
#define ATA_ER_IDNF 0x10
#define ATA_ER_UNC  0x40
/* Device register */
#define ATA_DEV_LBA 0x40
#define ATA_DEV_DEV 0x10                /* 1: the slave */
/* Device control */
#define ATA_CTL_NIEN 0x02
#define ATA_CTL_SRST 0x04
#define ATA_CTL_HOB  0x80

/* Commands */
#define ATA_CMD_READ         0x20
#define ATA_CMD_READ_NR      0x21
#define ATA_CMD_READ_EXT     0x24
#define ATA_CMD_WRITE        0x30
#define ATA_CMD_WRITE_NR     0x31
#define ATA_CMD_WRITE_EXT    0x34
#define ATA_CMD_DIAGNOSTIC   0x90
#define ATA_CMD_INIT_PARAMS  0x91
#define ATA_CMD_FLUSH        0xE7
#define ATA_CMD_FLUSH_EXT    0xEA
#define ATA_CMD_IDENTIFY     0xEC
#define ATA_CMD_SET_FEATURES 0xEF

struct ata_backend_ops {
    /* Start moving n (1..ATA_BUF_SECTORS) sectors at lba between the disk and buf
     * (the model's buffer): 0, after which the backend calls ata_complete exactly
     * once (possibly from within this call), or -errno (nothing started). */
    int (*submit)(void *ctx, bool write, uint64_t lba, uint32_t n, uint8_t *buf);
    /* INTRQ, as the interrupt controller sees it (nIEN applied), changed. */
    void (*set_irq)(void *ctx, bool level);
};

enum ata_phase {
    ATA_P_IDLE,                         /* no command: DRDY */
    ATA_P_IN,                           /* data for the host in buf (DRQ) */
    ATA_P_OUT,                          /* the host fills buf (DRQ) */
    ATA_P_BUSY,                         /* backend working (BSY) */
};

struct ata_stats {
    uint64_t commands, aborted, sectors_read, sectors_written, backend_errors, resets;
};

struct ata_disk {
    /* Configuration, fixed by ata_init. */
    uint64_t sectors;
    bool readonly;
    const struct ata_backend_ops *ops;
    void *ctx;
    uint8_t *buf;                       /* ATA_BUF_BYTES, the caller's */
    char serial[21];

    /* Registers. [0] the last value written, [1] the one before (read with HOB). */
    uint8_t nsect[2], lbal[2], lbam[2], lbah[2];
    uint8_t feature, error, status, device, devctl, command;

    /* The command in progress. */
    enum ata_phase phase;
    bool write;                         /* a write command */
    uint64_t lba;                       /* next sector to or from the disk */
    uint32_t left;                      /* sectors not yet given to / taken from the host */
    uint32_t in_buf;                    /* sectors of this chunk in buf */
    uint32_t pos;                       /* bytes of buf transferred by the host */
    uint32_t block_end;                 /* bytes of buf in the current DRQ data block */
    bool intrq;                         /* the device's interrupt request */
    bool irq_level;                     /* last given to set_irq */
    bool in_flight;                     /* a backend request outstanding */
    bool stale;                         /* ... whose result a reset made moot */
    struct ata_stats stats;
};

/* Power-on state (as after a reset). buf: ATA_BUF_BYTES of the caller's. */
void ata_init(struct ata_disk *a, uint64_t sectors, bool readonly, uint8_t *buf,
              const struct ata_backend_ops *ops, void *ctx, const char *serial);
/* A register access of size bytes (data register: 2 or 4; others: 1). */
uint32_t ata_read(struct ata_disk *a, enum ata_reg reg, unsigned size);
void ata_write(struct ata_disk *a, enum ata_reg reg, unsigned size, uint32_t val);
/* String transfer through the data register: at most len bytes, in the DRQ block;
 * returns the bytes moved (a read past the data gets nothing: the caller fills the
 * rest with 0xff, as a floating bus reads). */
size_t ata_data_in(struct ata_disk *a, uint8_t *dst, size_t len);
size_t ata_data_out(struct ata_disk *a, const uint8_t *src, size_t len);
/* The backend's request finished: 0 or -errno. */
void ata_complete(struct ata_disk *a, int status);
/* The 512-byte IDENTIFY DEVICE data for this disk (also what the command returns). */
void ata_identify_data(const struct ata_disk *a, uint8_t out[ATA_SECTOR]);

#endif
