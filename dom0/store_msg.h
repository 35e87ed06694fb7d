/* One store request, as it arrives on a ring (public/io/store.h), turned into a
 * tree operation and its reply. Pure: shared by the ring service (store_ring.c) and
 * the host tests. */
#ifndef DOM0_STORE_MSG_H
#define DOM0_STORE_MSG_H

#include "store_tree.h"

/* The request hdr + payload (hdr->len bytes) from dom: the reply's payload into
 * reply[STORE_PAYLOAD_MAX], its type in *type (the request's, or STORE_ERROR with
 * an errno name). Returns the reply's length. A payload that does not parse gets
 * STORE_ERROR "EINVAL"; the caller has checked hdr->len <= STORE_PAYLOAD_MAX. */
uint32_t store_msg_handle(struct store_tree *t, hv_domid_t dom,
                          const struct store_msg_hdr *hdr, const char *payload,
                          char *reply, uint32_t *type);

/* The name the protocol uses for -err ("EACCES"); "EINVAL" for one it lacks. */
const char *store_msg_errname(int err);
/* The inverse: a reply's STORE_ERROR payload -> -errno (-EIO if unknown). */
int store_msg_errno(const char *name, size_t len);

#endif
