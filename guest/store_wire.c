/* The store page's byte rings; see store_wire.h. */
#include <public/io/ring.h>
#include <store_wire.h>

int store_rx_feed(struct store_rx *rx, const char *ring, volatile uint32_t *cons,
                  const volatile uint32_t *prod)
{
    uint32_t c = *cons, p = *prod;      /* copies: the other end may change them */
    const uint32_t hdr_len = sizeof(rx->hdr);

    if (p - c > STORE_RING_SIZE)
        return -EIO;
    ring_rmb();                         /* bytes after the index that covers them */
    while (c != p) {
        uint32_t want, n, at = c % STORE_RING_SIZE;
        char *dst;

        if (rx->got < hdr_len) {
            want = hdr_len - rx->got;
            dst = (char *)&rx->hdr + rx->got;
        } else {
            want = hdr_len + rx->hdr.len - rx->got;
            dst = rx->payload + (rx->got - hdr_len);
        }
        n = MIN(MIN(want, p - c), STORE_RING_SIZE - at);
        memcpy(dst, ring + at, n);
        c += n;
        rx->got += n;
        if (rx->got == hdr_len && rx->hdr.len > STORE_PAYLOAD_MAX) {
            *cons = c;
            return -EIO;
        }
        if (rx->got >= hdr_len && rx->got == hdr_len + rx->hdr.len)
            break;
    }
    *cons = c;
    if (rx->got >= hdr_len && rx->got == hdr_len + rx->hdr.len) {
        rx->payload[rx->hdr.len] = '\0';
        rx->got = 0;
        return 1;
    }
    return 0;
}

int store_tx_push(struct store_tx *tx, char *ring, const volatile uint32_t *cons,
                  volatile uint32_t *prod)
{
    uint32_t c = *cons, p = *prod;
    const uint32_t hdr_len = sizeof(tx->hdr), total = hdr_len + tx->hdr.len;

    if (p - c > STORE_RING_SIZE)
        return -EIO;
    while (tx->sent < total && p - c < STORE_RING_SIZE) {
        uint32_t at = p % STORE_RING_SIZE, n;
        const char *src;

        if (tx->sent < hdr_len) {
            src = (const char *)&tx->hdr + tx->sent;
            n = hdr_len - tx->sent;
        } else {
            src = tx->payload + (tx->sent - hdr_len);
            n = total - tx->sent;
        }
        n = MIN(MIN(n, STORE_RING_SIZE - (p - c)), STORE_RING_SIZE - at);
        memcpy(ring + at, src, n);
        p += n;
        tx->sent += n;
    }
    ring_wmb();                         /* the bytes before the index that covers them */
    *prod = p;
    return tx->sent == total;
}
