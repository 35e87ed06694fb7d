/* The HVM runtime's driver for the emulated ATA disk (guest/hvm/ata.c): the primary
 * channel's master, PIO, polled. */
#ifndef GUEST_ATA_BLK_H
#define GUEST_ATA_BLK_H

#include <blkdev.h>

/* Looks for the disk (IDENTIFY) and registers it as blkdev "hda" (once; also run by
 * blkdev_probe_all): 1, -ENODEV (no disk there: a floating bus, or not an LBA ATA
 * device), -EIO (it did not answer). */
int ata_probe(void);

#endif
