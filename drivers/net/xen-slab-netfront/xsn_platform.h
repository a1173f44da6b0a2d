/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between the C++ ring consumers (rings.cpp, no kernel header)
 * and the C shim under them (shim.c): the netif rx and tx ring accessors,
 * built on the macros of xen/interface/io/ring.h and netif.h, memory and a
 * lock.  Plain C types only.
 */
#ifndef XSN_PLATFORM_H
#define XSN_PLATFORM_H

#ifdef __cplusplus
extern "C" {
#endif

#define XSN_PAGE_SIZE 4096UL

#define XSN_EINVAL 22
#define XSN_ENOMEM 12
#define XSN_ENOSPC 28
#define XSN_EMSGSIZE 90

/* netif rx response flags (XEN_NETRXF_*) the consumer looks at. */
#define XSN_RXF_MORE_DATA (1U << 2)
#define XSN_RXF_EXTRA_INFO (1U << 3)
#define XSN_RXF_GSO_PREFIX (1U << 4)

/* The front end of a netif rx ring (struct xen_netif_rx_front_ring). */
struct xsn_ring;

/* A copy of one struct xen_netif_rx_response. */
struct xsn_rsp {
	unsigned short id;
	unsigned short offset;
	unsigned short flags;
	short status;
};

/* FRONT_RING_ATTACH at index @start; NULL when there is no memory. */
struct xsn_ring *xsn_ring_attach(void *sring, unsigned int start);
void xsn_ring_detach(struct xsn_ring *ring);
/* RING_SIZE. */
unsigned int xsn_ring_size(const struct xsn_ring *ring);
unsigned int xsn_ring_req_prod_pvt(const struct xsn_ring *ring);
unsigned int xsn_ring_rsp_cons(const struct xsn_ring *ring);
void xsn_ring_set_rsp_cons(struct xsn_ring *ring, unsigned int cons);
/* Writes the request at req_prod_pvt (RING_GET_REQUEST) and advances it. */
void xsn_ring_post_request(struct xsn_ring *ring, unsigned short id, unsigned int gref);
/* RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: non-zero when the backend wants an event. */
int xsn_ring_push_requests(struct xsn_ring *ring);
/* One READ_ONCE of the shared rsp_prod. */
unsigned int xsn_ring_read_rsp_prod(const struct xsn_ring *ring);
/* RING_RESPONSE_PROD_OVERFLOW. */
int xsn_ring_rsp_prod_overflow(const struct xsn_ring *ring, unsigned int prod);
/* virt_rmb(): responses are read after rsp_prod. */
void xsn_read_barrier(void);
/* RING_COPY_RESPONSE at @idx. */
void xsn_ring_copy_response(const struct xsn_ring *ring, unsigned int idx, struct xsn_rsp *rsp);
/* RING_FINAL_CHECK_FOR_RESPONSES: non-zero when responses are waiting. */
int xsn_ring_final_check(struct xsn_ring *ring);
/* RING_HAS_UNCONSUMED_RESPONSES. */
int xsn_ring_has_responses(const struct xsn_ring *ring);

/* struct xen_netif_extra_info: types and flags the consumer looks at. */
#define XSN_EXTRA_TYPE_GSO 1
#define XSN_EXTRA_TYPE_MAX 6
#define XSN_EXTRA_FLAG_MORE (1U << 0)

/* A copy of one extra-info slot (GSO fields; other types keep only type, flags). */
struct xsn_extra {
	unsigned char type;
	unsigned char flags;
	unsigned char gso_type;
	unsigned short gso_size;
};

/* The extra-info slot a backend wrote in place of the response at @idx. */
void xsn_ring_copy_extra(const struct xsn_ring *ring, unsigned int idx, struct xsn_extra *extra);

/* netif tx response status values (XEN_NETIF_RSP_*). */
#define XSN_RSP_NULL 1
#define XSN_RSP_DROPPED (-2)
#define XSN_RSP_ERROR (-1)
#define XSN_RSP_OKAY 0

/* The front end of a netif tx ring (struct xen_netif_tx_front_ring). */
struct xsn_txring;

/* A copy of one struct xen_netif_tx_response. */
struct xsn_txrsp {
	unsigned short id;
	short status;
};

/* The same operations as for the rx ring, on a tx ring. */
struct xsn_txring *xsn_txring_attach(void *sring, unsigned int start);
void xsn_txring_detach(struct xsn_txring *ring);
unsigned int xsn_txring_size(const struct xsn_txring *ring);
unsigned int xsn_txring_req_prod_pvt(const struct xsn_txring *ring);
unsigned int xsn_txring_rsp_cons(const struct xsn_txring *ring);
void xsn_txring_set_rsp_cons(struct xsn_txring *ring, unsigned int cons);
/* Writes one tx request (offset 0, the given flags and size) and advances. */
void xsn_txring_post_request(struct xsn_txring *ring, unsigned short id, unsigned int gref,
			     unsigned short flags, unsigned short size);
/* Writes a GSO extra-info slot (XEN_NETIF_EXTRA_TYPE_GSO) and advances. */
void xsn_txring_post_gso(struct xsn_txring *ring, unsigned int gso_type, unsigned int gso_size);
int xsn_txring_push_requests(struct xsn_txring *ring);
unsigned int xsn_txring_read_rsp_prod(const struct xsn_txring *ring);
int xsn_txring_rsp_prod_overflow(const struct xsn_txring *ring, unsigned int prod);
void xsn_txring_copy_response(const struct xsn_txring *ring, unsigned int idx,
			      struct xsn_txrsp *rsp);
int xsn_txring_final_check(struct xsn_txring *ring);
int xsn_txring_has_responses(const struct xsn_txring *ring);

/* memcpy. */
void xsn_copy(void *dst, const void *src, unsigned long len);

/* Zeroed memory (process context) and its release. */
void *xsn_zalloc(unsigned long size);
void xsn_free(void *ptr);
/* Zero one page (buffers are zeroed before their first grant). */
void xsn_clear_page(void *page);

/* A spinlock taken with interrupts off. */
struct xsn_lock;
struct xsn_lock *xsn_lock_alloc(void);
void xsn_lock_free(struct xsn_lock *lock);
unsigned long xsn_lock_irqsave(struct xsn_lock *lock);
void xsn_unlock_irqrestore(struct xsn_lock *lock, unsigned long flags);

#ifdef __cplusplus
}
#endif

#endif /* XSN_PLATFORM_H */
