// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel under the C++ ring consumers: the netif rx and tx ring accessors over
 * the macros of xen/interface/io/ring.h and netif.h, memory and a lock.
 * See xsn_platform.h.
 */
#include <linux/build_bug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <xen/interface/io/netif.h>
#include <xen/page.h>

#include "xsn_platform.h"
#include "xen_slab_netfront.h"

static_assert(XSN_PAGE_SIZE == PAGE_SIZE && XSN_PAGE_SIZE == XEN_PAGE_SIZE);
static_assert(XSN_RXF_MORE_DATA == XEN_NETRXF_more_data);
static_assert(XSN_RXF_EXTRA_INFO == XEN_NETRXF_extra_info);
static_assert(XSN_RXF_GSO_PREFIX == XEN_NETRXF_gso_prefix);
static_assert(XSN_EINVAL == EINVAL && XSN_ENOMEM == ENOMEM && XSN_ENOSPC == ENOSPC &&
	      XSN_EMSGSIZE == EMSGSIZE);
static_assert(XSN_TXF_CSUM_BLANK == XEN_NETTXF_csum_blank &&
	      XSN_TXF_DATA_VALIDATED == XEN_NETTXF_data_validated);
static_assert(XSN_RSP_DROPPED == XEN_NETIF_RSP_DROPPED && XSN_RSP_ERROR == XEN_NETIF_RSP_ERROR &&
	      XSN_RSP_OKAY == XEN_NETIF_RSP_OKAY && XSN_RSP_NULL == XEN_NETIF_RSP_NULL);
static_assert(XSN_EXTRA_TYPE_GSO == XEN_NETIF_EXTRA_TYPE_GSO &&
	      XSN_EXTRA_TYPE_MAX == XEN_NETIF_EXTRA_TYPE_MAX &&
	      XSN_EXTRA_FLAG_MORE == XEN_NETIF_EXTRA_FLAG_MORE);
static_assert(XSN_GSO_TCPV4 == XEN_NETIF_GSO_TYPE_TCPV4 &&
	      XSN_GSO_TCPV6 == XEN_NETIF_GSO_TYPE_TCPV6);
static_assert(XSN_TXF_MORE_DATA == XEN_NETTXF_more_data &&
	      XSN_TXF_EXTRA_INFO == XEN_NETTXF_extra_info);
static_assert(XSN_MAX_SLOTS == XEN_NETIF_NR_SLOTS_MIN);

struct xsn_ring {
	struct xen_netif_rx_front_ring front;
};

void xsn_sring_init(void *sring, unsigned int start)
{
	struct xen_netif_rx_sring *s = sring;

	SHARED_RING_INIT(s);
	s->req_prod = start;
	s->rsp_prod = start;
	s->req_event = start + 1;
	s->rsp_event = start + 1;
}

struct xsn_ring *xsn_ring_attach(void *sring, unsigned int start)
{
	struct xsn_ring *ring = kzalloc(sizeof(*ring), GFP_KERNEL);

	if (ring)
		FRONT_RING_ATTACH(&ring->front, (struct xen_netif_rx_sring *)sring, start,
				  XEN_PAGE_SIZE);
	return ring;
}

void xsn_ring_detach(struct xsn_ring *ring)
{
	kfree(ring);
}

unsigned int xsn_ring_size(const struct xsn_ring *ring)
{
	return RING_SIZE(&ring->front);
}

unsigned int xsn_ring_req_prod_pvt(const struct xsn_ring *ring)
{
	return ring->front.req_prod_pvt;
}

unsigned int xsn_ring_rsp_cons(const struct xsn_ring *ring)
{
	return ring->front.rsp_cons;
}

void xsn_ring_set_rsp_cons(struct xsn_ring *ring, unsigned int cons)
{
	ring->front.rsp_cons = cons;
}

void xsn_ring_post_request(struct xsn_ring *ring, unsigned short id, unsigned int gref)
{
	struct xen_netif_rx_request *req = RING_GET_REQUEST(&ring->front, ring->front.req_prod_pvt);

	req->id = id;
	req->gref = gref;
	ring->front.req_prod_pvt++;
}

int xsn_ring_push_requests(struct xsn_ring *ring)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring->front, notify);
	return notify;
}

unsigned int xsn_ring_read_rsp_prod(const struct xsn_ring *ring)
{
	return READ_ONCE(ring->front.sring->rsp_prod);
}

int xsn_ring_rsp_prod_overflow(const struct xsn_ring *ring, unsigned int prod)
{
	return RING_RESPONSE_PROD_OVERFLOW(&ring->front, prod);
}

void xsn_read_barrier(void)
{
	virt_rmb();
}

void xsn_ring_copy_response(const struct xsn_ring *ring, unsigned int idx, struct xsn_rsp *rsp)
{
	struct xen_netif_rx_response r;

	RING_COPY_RESPONSE(&ring->front, idx, &r);
	rsp->id = r.id;
	rsp->offset = r.offset;
	rsp->flags = r.flags;
	rsp->status = r.status;
}

int xsn_ring_final_check(struct xsn_ring *ring)
{
	int more;

	RING_FINAL_CHECK_FOR_RESPONSES(&ring->front, more);
	return more;
}

int xsn_ring_has_responses(const struct xsn_ring *ring)
{
	return RING_HAS_UNCONSUMED_RESPONSES(&ring->front);
}

void xsn_ring_copy_extra(const struct xsn_ring *ring, unsigned int idx, struct xsn_extra *extra)
{
	union {
		struct xen_netif_rx_response rsp;
		struct xen_netif_extra_info extra;
	} u;

	BUILD_BUG_ON(sizeof(u.extra) != sizeof(u.rsp));
	/* The backend wrote the extra-info slot over the response. */
	RING_COPY_RESPONSE(&ring->front, idx, &u.rsp);
	extra->type = u.extra.type;
	extra->flags = u.extra.flags;
	extra->gso_type = 0;
	extra->gso_size = 0;
	if (u.extra.type == XEN_NETIF_EXTRA_TYPE_GSO) {
		extra->gso_type = u.extra.u.gso.type;
		extra->gso_size = u.extra.u.gso.size;
	}
}

struct xsn_txring {
	struct xen_netif_tx_front_ring front;
};

void xsn_tx_sring_init(void *sring, unsigned int start)
{
	struct xen_netif_tx_sring *s = sring;

	SHARED_RING_INIT(s);
	s->req_prod = start;
	s->rsp_prod = start;
	s->req_event = start + 1;
	s->rsp_event = start + 1;
}

struct xsn_txring *xsn_txring_attach(void *sring, unsigned int start)
{
	struct xsn_txring *ring = kzalloc(sizeof(*ring), GFP_KERNEL);

	if (ring)
		FRONT_RING_ATTACH(&ring->front, (struct xen_netif_tx_sring *)sring, start,
				  XEN_PAGE_SIZE);
	return ring;
}

void xsn_txring_detach(struct xsn_txring *ring)
{
	kfree(ring);
}

unsigned int xsn_txring_size(const struct xsn_txring *ring)
{
	return RING_SIZE(&ring->front);
}

unsigned int xsn_txring_req_prod_pvt(const struct xsn_txring *ring)
{
	return ring->front.req_prod_pvt;
}

unsigned int xsn_txring_rsp_cons(const struct xsn_txring *ring)
{
	return ring->front.rsp_cons;
}

void xsn_txring_set_rsp_cons(struct xsn_txring *ring, unsigned int cons)
{
	ring->front.rsp_cons = cons;
}

void xsn_txring_post_request(struct xsn_txring *ring, unsigned short id, unsigned int gref,
			     unsigned short flags, unsigned short size)
{
	struct xen_netif_tx_request *req = RING_GET_REQUEST(&ring->front, ring->front.req_prod_pvt);

	req->gref = gref;
	req->offset = 0;
	req->flags = flags;
	req->id = id;
	req->size = size;
	ring->front.req_prod_pvt++;
}

void xsn_txring_post_gso(struct xsn_txring *ring, unsigned int gso_type, unsigned int gso_size)
{
	struct xen_netif_extra_info *extra =
		(struct xen_netif_extra_info *)RING_GET_REQUEST(&ring->front, ring->front.req_prod_pvt);

	extra->type = XEN_NETIF_EXTRA_TYPE_GSO;
	extra->flags = 0;
	extra->u.gso.size = gso_size;
	extra->u.gso.type = gso_type;
	extra->u.gso.pad = 0;
	extra->u.gso.features = 0;
	ring->front.req_prod_pvt++;
}

int xsn_txring_push_requests(struct xsn_txring *ring)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring->front, notify);
	return notify;
}

unsigned int xsn_txring_read_rsp_prod(const struct xsn_txring *ring)
{
	return READ_ONCE(ring->front.sring->rsp_prod);
}

int xsn_txring_rsp_prod_overflow(const struct xsn_txring *ring, unsigned int prod)
{
	return RING_RESPONSE_PROD_OVERFLOW(&ring->front, prod);
}

void xsn_txring_copy_response(const struct xsn_txring *ring, unsigned int idx,
			      struct xsn_txrsp *rsp)
{
	struct xen_netif_tx_response r;

	RING_COPY_RESPONSE(&ring->front, idx, &r);
	rsp->id = r.id;
	rsp->status = r.status;
}

int xsn_txring_final_check(struct xsn_txring *ring)
{
	int more;

	RING_FINAL_CHECK_FOR_RESPONSES(&ring->front, more);
	return more;
}

int xsn_txring_has_responses(const struct xsn_txring *ring)
{
	return RING_HAS_UNCONSUMED_RESPONSES(&ring->front);
}

void xsn_copy(void *dst, const void *src, unsigned long len)
{
	memcpy(dst, src, len);
}

void *xsn_zalloc(unsigned long size)
{
	return kvzalloc(size, GFP_KERNEL);
}

void xsn_free(void *ptr)
{
	kvfree(ptr);
}

void xsn_clear_page(void *page)
{
	clear_page(page);
}

struct xsn_lock {
	spinlock_t lock;
};

struct xsn_lock *xsn_lock_alloc(void)
{
	struct xsn_lock *lock = kmalloc(sizeof(*lock), GFP_KERNEL);

	if (lock)
		spin_lock_init(&lock->lock);
	return lock;
}

void xsn_lock_free(struct xsn_lock *lock)
{
	kfree(lock);
}

unsigned long xsn_lock_irqsave(struct xsn_lock *lock)
{
	unsigned long flags;

	spin_lock_irqsave(&lock->lock, flags);
	return flags;
}

void xsn_unlock_irqrestore(struct xsn_lock *lock, unsigned long flags)
{
	spin_unlock_irqrestore(&lock->lock, flags);
}
