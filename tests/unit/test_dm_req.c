/* The device model's check of request slots (dom0/dm_req.c): what the hypervisor
 * posts passes; every malformed field, count, size and buffer is refused. */
#include "unit.h"
#include "dm_req.h"

#define RAM_PAGES 4096ull               /* 16 MiB */

static struct hvm_ioreq pio(uint16_t port, unsigned size, unsigned dir)
{
    return (struct hvm_ioreq){ .addr = port, .count = 1, .size = (uint8_t)size,
                               .dir = (uint8_t)dir, .type = IOREQ_TYPE_PIO,
                               .state = IOREQ_STATE_READY };
}

static struct hvm_ioreq str(uint64_t gpa, uint32_t count, unsigned size, bool df)
{
    struct hvm_ioreq q = pio(0x1f0, size, IOREQ_READ);
    q.data = gpa;
    q.count = count;
    q.data_is_ptr = 1;
    q.df = df;
    return q;
}

static void test_good_requests(void)
{
    struct hvm_ioreq q = pio(0xcfc, 4, IOREQ_READ);
    CHECK(dm_request_ok(&q, RAM_PAGES));
    q = pio(0xffff, 1, IOREQ_WRITE);
    CHECK(dm_request_ok(&q, RAM_PAGES));
    q = (struct hvm_ioreq){ .addr = 0xe0000000, .count = 1, .size = 8, .dir = IOREQ_READ,
                            .type = IOREQ_TYPE_MMIO };
    CHECK(dm_request_ok(&q, RAM_PAGES));
    q = str(0x10000, 2048, 2, false);                   /* a page of words */
    CHECK(dm_request_ok(&q, RAM_PAGES));
    q = str(0x10ffe, 2048, 2, true);                    /* the same page, downwards */
    CHECK(dm_request_ok(&q, RAM_PAGES));
    q = str((RAM_PAGES << 12) - 4, 1, 4, false);        /* the last dword of RAM */
    CHECK(dm_request_ok(&q, RAM_PAGES));
}

static void test_bad_fields(void)
{
    struct hvm_ioreq q;
    q = pio(0x1f0, 2, 2);               CHECK(!dm_request_ok(&q, RAM_PAGES));   /* dir */
    q = pio(0x1f0, 2, 0); q.type = 2;   CHECK(!dm_request_ok(&q, RAM_PAGES));   /* type */
    q = pio(0x1f0, 3, 0);               CHECK(!dm_request_ok(&q, RAM_PAGES));   /* size */
    q = pio(0x1f0, 8, 0);               CHECK(!dm_request_ok(&q, RAM_PAGES));   /* 8: MMIO only */
    q = pio(0x1f0, 0, 0);               CHECK(!dm_request_ok(&q, RAM_PAGES));
    q = pio(0x1f0, 2, 0); q.addr = 0x10000; CHECK(!dm_request_ok(&q, RAM_PAGES));
    q = pio(0x1f0, 2, 0); q.count = 2;  CHECK(!dm_request_ok(&q, RAM_PAGES));   /* count w/o ptr */
    q = pio(0x1f0, 2, 0); q.count = 0;  CHECK(!dm_request_ok(&q, RAM_PAGES));
    q = pio(0x1f0, 2, 0); q.data_is_ptr = 7; CHECK(!dm_request_ok(&q, RAM_PAGES));
    q = str(0x1000, 1, 2, false); q.df = 9; CHECK(!dm_request_ok(&q, RAM_PAGES));
    q = str(0x1000, 1, 2, false); q.type = IOREQ_TYPE_MMIO; CHECK(!dm_request_ok(&q, RAM_PAGES));
}

static void test_bad_buffers(void)
{
    struct hvm_ioreq q;
    q = str(0x1000, 0, 2, false);           CHECK(!dm_request_ok(&q, RAM_PAGES));  /* no elements */
    q = str(0x1000, 4097, 1, false);        CHECK(!dm_request_ok(&q, RAM_PAGES));  /* > a page */
    q = str(0x1000, 0xffffffffu, 4, false); CHECK(!dm_request_ok(&q, RAM_PAGES));  /* huge */
    q = str(0x1ffe, 2, 2, false);           CHECK(!dm_request_ok(&q, RAM_PAGES));  /* crosses a page */
    q = str(0x2000, 2, 2, true);            CHECK(!dm_request_ok(&q, RAM_PAGES));  /* crosses down */
    q = str(RAM_PAGES << 12, 1, 2, false);  CHECK(!dm_request_ok(&q, RAM_PAGES));  /* past RAM */
    q = str(2, 4, 2, true);                 CHECK(!dm_request_ok(&q, RAM_PAGES));  /* below 0 */
    q = str(UINT64_MAX - 1, 1, 4, false);   CHECK(!dm_request_ok(&q, RAM_PAGES));  /* wraps */
    q = str(0x1000, 1, 2, false);           CHECK(!dm_request_ok(&q, 0));          /* no RAM */
}

static const struct unit_case cases[] = {
    { "good_requests", test_good_requests },
    { "bad_fields", test_bad_fields },
    { "bad_buffers", test_bad_buffers },
};
UNIT_MAIN(cases)
