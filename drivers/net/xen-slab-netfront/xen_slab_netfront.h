/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_slab_netfront: the rx and tx rings of a netfront-style frontend on
 * xen_slab_cache.  Rx buffers are page-sized objects of one cache, the
 * per-request bookkeeping comes from a second one; tx has its own two
 * caches (page-sized buffers that packets are copied into, bookkeeping).
 * The ring code is C++ and reaches Xen (or a test backend) only through
 * struct xsn_transport_ops and a few C ring accessors, so the same code runs
 * against real Xen and against a backend in KUnit.
 *
 * The header is valid C and C++; C++ users need no kernel header.
 */
#ifndef XEN_SLAB_NETFRONT_H
#define XEN_SLAB_NETFRONT_H

#include <xen_slab_cache.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum xsn_grant_mode - how rx buffers are granted to the backend
 * @XSN_GRANT_PER_REQUEST: grant at refill, end the grant when the response
 *	arrives (two grant operations per packet), as xen-netfront does.
 * @XSN_GRANT_PERSISTENT: the buffer cache's constructor grants the page once
 *	and its destructor ends the grant; a recycled buffer costs no grant
 *	operation.  The backend keeps access to every cached buffer (see
 *	docs/netfront-example.md for the trade-off).
 */
enum xsn_grant_mode {
	XSN_GRANT_PER_REQUEST = 0,
	XSN_GRANT_PERSISTENT = 1,
};

/**
 * enum xsn_broken - why a connection stopped consuming
 * @XSN_OK: not broken.
 * @XSN_BROKEN_PROD_OVERFLOW: rsp_prod claims more responses than requests
 *	are outstanding (or more than the ring holds).
 * @XSN_BROKEN_ID: a response names an id that is out of range or has no
 *	request outstanding (unknown or repeated id).
 * @XSN_BROKEN_STATUS: a negative (error) or zero status.
 * @XSN_BROKEN_LENGTH: offset + length past the end of the page.
 * @XSN_BROKEN_FLAGS: flags this frontend never negotiated (more_data or
 *	extra_info without &xsn_rx_args.sg, gso_prefix ever, extra_info on a
 *	packet's later slot).
 * @XSN_BROKEN_GRANT_BUSY: the backend still had a buffer's grant in use when
 *	its response arrived.
 * @XSN_BROKEN_TX_STATUS: a tx response with a status other than
 *	XEN_NETIF_RSP_OKAY, _ERROR or _DROPPED, or a missing or unexpected
 *	XEN_NETIF_RSP_NULL: that status is valid only right after the
 *	response to a packet's first slot, once per extra-info slot the
 *	packet carried (a GSO packet's one).
 * @XSN_BROKEN_PACKET: a packet over several rx slots that is not whole
 *	(more_data or extra info with no further response published), has
 *	more than %XSN_MAX_SLOTS data slots or more extra slots than there
 *	are extra types, or an extra-info slot of type 0, an unknown type or
 *	a GSO type or size that is not valid.
 */
enum xsn_broken {
	XSN_OK = 0,
	XSN_BROKEN_PROD_OVERFLOW,
	XSN_BROKEN_ID,
	XSN_BROKEN_STATUS,
	XSN_BROKEN_LENGTH,
	XSN_BROKEN_FLAGS,
	XSN_BROKEN_GRANT_BUSY,
	XSN_BROKEN_TX_STATUS,
	XSN_BROKEN_PACKET,
};

/*
 * Most data slots one packet may take on either ring: XEN_NETIF_NR_SLOTS_MIN,
 * what every netif backend and frontend must accept.
 */
#define XSN_MAX_SLOTS 18
/* The largest tx packet: the first request's size field has 16 bits. */
#define XSN_TX_MAX_LEN 65535U
/* Ring slots the largest tx packet takes: 16 data slots and a GSO slot. */
#define XSN_TX_MAX_SLOTS 17

/* GSO types (XEN_NETIF_GSO_TYPE_*). */
#define XSN_GSO_NONE 0
#define XSN_GSO_TCPV4 1
#define XSN_GSO_TCPV6 2

/**
 * struct xsn_frag - a piece of a packet
 * @data: its bytes.
 * @len: how many.
 */
struct xsn_frag {
	const void *data;
	unsigned int len;
};

/**
 * struct xsn_packet - one received packet, as its rx slots hold it
 * @len: its length, the sum of the fragments' lengths.
 * @flags: the first response's XEN_NETRXF_* flags (csum_blank,
 *	data_validated, more_data, extra_info).
 * @gso_type: %XSN_GSO_NONE, or %XSN_GSO_TCPV4 / %XSN_GSO_TCPV6 from the
 *	packet's GSO extra-info slot.
 * @gso_size: the segment size of a GSO packet (MSS), not 0 when @gso_type
 *	is set.
 * @nr_frags: data slots, 1 .. %XSN_MAX_SLOTS.
 * @frags: each slot's data, in order, inside the rx buffers.
 */
struct xsn_packet {
	unsigned int len;
	unsigned int flags;
	unsigned int gso_type;
	unsigned int gso_size;
	unsigned int nr_frags;
	struct xsn_frag frags[XSN_MAX_SLOTS];
};

/**
 * struct xsn_transport_ops - what the consumer needs from Xen or a test backend
 * @grant: grant the backend access to the page at @page (page aligned, in
 *	the direct map): write access for rx buffers, read-only for tx
 *	buffers (each queue has its own ops); store the reference in *@ref; 0
 *	or a negative errno.  May be called in softirq context.
 * @end_grant: end the grant @ref of @page.  Returns 0 when access ended now;
 *	1 when the backend still uses it: access then ends later and the
 *	transport keeps a reference to the page until it does, so the page is
 *	never reused while the backend can reach it.
 * @notify: kick the backend (event channel).
 */
struct xsn_transport_ops {
	int (*grant)(void *ctx, void *page, unsigned int *ref);
	int (*end_grant)(void *ctx, unsigned int ref, void *page);
	void (*notify)(void *ctx);
};

/**
 * struct xsn_rx_args - how an rx queue is built
 * @mode: grant mode.
 * @sring: the shared ring page, set up with xsn_sring_init().
 * @start: the ring index given to xsn_sring_init().
 * @refill_threshold: refill once this many ring slots are free (batching);
 *	0 means a quarter of the ring.
 * @reservation: rx buffers kept constructed in the cache; 0 means the ring size.
 * @sg: accept packets over several slots (XEN_NETRXF_more_data) and GSO
 *	extra info, as a frontend that wrote feature-sg and feature-gso-tcpv4
 *	or -tcpv6 must; without it every packet is one slot and those flags
 *	mark the connection broken.
 * @ops: the transport.
 * @ops_ctx: passed to every @ops call.
 * @deliver: called for each valid packet, once all of its slots were
 *	checked; the buffers go back to the cache when it returns.  In
 *	persistent mode the backend can still write the pages while they are
 *	read, so @deliver must copy before it trusts the contents.
 * @deliver_arg: passed to @deliver.
 */
struct xsn_rx_args {
	enum xsn_grant_mode mode;
	void *sring;
	unsigned int start;
	unsigned int refill_threshold;
	unsigned int reservation;
	bool sg;
	const struct xsn_transport_ops *ops;
	void *ops_ctx;
	void (*deliver)(void *arg, const struct xsn_packet *pkt);
	void *deliver_arg;
};

/**
 * struct xsn_rx_stats - counters of one rx queue
 * @packets: packets delivered.
 * @bytes: payload bytes delivered.
 * @gso_packets: packets delivered with GSO extra info.
 * @grant_ops: grants made plus grants ended.
 * @grants: grants made.
 * @grant_ends: grants ended at once.
 * @grant_ends_deferred: grants the backend still used when they were ended.
 * @grants_active: grants made and not yet ended.
 * @requests: requests put on the ring.
 * @refills: refill batches pushed.
 * @notifies: notifications sent to the backend.
 * @polls: calls of xsn_rx_poll().
 * @outstanding: requests on the ring without a response.
 * @buffer_shortfalls: refills that got fewer buffers than slots were free.
 * @broken: an &enum xsn_broken.
 * @buffers: the rx buffer cache.
 * @reqs: the request bookkeeping cache.
 */
struct xsn_rx_stats {
	u64 packets;
	u64 bytes;
	u64 gso_packets;
	u64 grant_ops;
	u64 grants;
	u64 grant_ends;
	u64 grant_ends_deferred;
	u64 grants_active;
	u64 requests;
	u64 refills;
	u64 notifies;
	u64 polls;
	u64 outstanding;
	u64 buffer_shortfalls;
	u64 broken;
	struct xen_slab_cache_stats buffers;
	struct xen_slab_cache_stats reqs;
};

struct xsn_rx;

/* netif tx request flags (XEN_NETTXF_*) a sender may pass to xsn_tx_send(). */
#define XSN_TXF_CSUM_BLANK (1U << 0)
#define XSN_TXF_DATA_VALIDATED (1U << 1)
/* Set by the tx ring itself on multi-slot and GSO packets. */
#define XSN_TXF_MORE_DATA (1U << 2)
#define XSN_TXF_EXTRA_INFO (1U << 3)

/**
 * struct xsn_tx_args - how a tx queue is built
 * @mode: grant mode of the tx buffers: granted per packet and the grant
 *	ended when its response arrives, or granted once (read-only) by the
 *	tx buffer cache's constructor.
 * @sring: the shared tx ring page, set up with xsn_tx_sring_init().
 * @start: the ring index given to xsn_tx_sring_init().
 * @reservation: tx buffers kept constructed in the cache; 0 means the ring
 *	size.
 * @sg: packets may take several slots (the backend offers feature-sg):
 *	up to %XSN_TX_MAX_LEN bytes; without it %XSN_PAGE_SIZE at most.
 * @gso_types: the GSO types the backend offers (feature-gso-tcpv4,
 *	-tcpv6), as a mask of 1 << %XSN_GSO_TCPV4 and 1 << %XSN_GSO_TCPV6;
 *	needs @sg.
 * @ops: the transport; its @grant grants read-only access.
 * @ops_ctx: passed to every @ops call.
 */
struct xsn_tx_args {
	enum xsn_grant_mode mode;
	void *sring;
	unsigned int start;
	unsigned int reservation;
	bool sg;
	unsigned int gso_types;
	const struct xsn_transport_ops *ops;
	void *ops_ctx;
};

/**
 * struct xsn_tx_stats - counters of one tx queue
 * @packets: packets whose first slot the backend answered with
 *	XEN_NETIF_RSP_OKAY.
 * @bytes: their bytes.
 * @errors: packets answered with XEN_NETIF_RSP_ERROR.
 * @dropped: packets answered with XEN_NETIF_RSP_DROPPED.
 * @grant_ops: grants made plus grants ended.
 * @grants: grants made.
 * @grant_ends: grants ended at once.
 * @grant_ends_deferred: grants the backend still used when they were ended.
 * @grants_active: grants made and not yet ended.
 * @requests: requests put on the ring (data and extra-info slots).
 * @gso_packets: GSO packets sent (each with one extra-info slot).
 * @notifies: notifications sent to the backend.
 * @polls: calls of xsn_tx_poll().
 * @outstanding: requests on the ring without a response.
 * @ring_full: sends refused because too few slots were free.
 * @buffer_shortfalls: sends refused for want of a buffer or a grant.
 * @broken: an &enum xsn_broken.
 * @buffers: the tx buffer cache.
 * @reqs: the request bookkeeping cache.
 */
struct xsn_tx_stats {
	u64 packets;
	u64 bytes;
	u64 errors;
	u64 dropped;
	u64 grant_ops;
	u64 grants;
	u64 grant_ends;
	u64 grant_ends_deferred;
	u64 grants_active;
	u64 requests;
	u64 gso_packets;
	u64 notifies;
	u64 polls;
	u64 outstanding;
	u64 ring_full;
	u64 buffer_shortfalls;
	u64 broken;
	struct xen_slab_cache_stats buffers;
	struct xen_slab_cache_stats reqs;
};

struct xsn_tx;

/**
 * xsn_sring_init() - initialise a shared netif rx ring page
 * @sring: one zeroed or reused page.
 * @start: the ring index both ends start at (0 normally; tests use values
 *	near 2^32 to exercise wrap-around).
 */
void xsn_sring_init(void *sring, unsigned int start);

/**
 * xsn_rx_create() - build an rx queue over a shared ring
 * @name: prefix of the two caches' names.
 * @args: see &struct xsn_rx_args; copied.
 * @rx: receives the queue.
 *
 * Creates the buffer and request caches.  Nothing is posted yet: call
 * xsn_rx_refill() once the backend is attached.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int xsn_rx_create(const char *name, const struct xsn_rx_args *args, struct xsn_rx **rx);

/**
 * xsn_rx_refill() - post rx buffers on every free ring slot
 * @rx: the queue.
 *
 * Pushes with RING_PUSH_REQUESTS_AND_CHECK_NOTIFY and notifies the backend
 * only when it asked for it.
 *
 * Context: the queue's poll context (softirq) or process context when no
 * poll can run concurrently.
 */
void xsn_rx_refill(struct xsn_rx *rx);

/**
 * xsn_rx_poll() - consume at most @budget responses
 * @rx: the queue.
 * @budget: most responses to handle.
 *
 * Validates and delivers responses, recycles their buffers and refills the
 * ring in batches.  A connection found broken stops consuming for good.
 * The buffers go back through xen_slab_cache_put_direct().
 *
 * Context: the queue's poll context (softirq), or bottom halves disabled
 * (local_bh_disable()) when no poll can run concurrently.
 * Return: responses handled (@budget means: call again).
 */
int xsn_rx_poll(struct xsn_rx *rx, int budget);

/**
 * xsn_rx_rearm() - ask for an event on the next response
 * @rx: the queue.
 *
 * RING_FINAL_CHECK_FOR_RESPONSES: sets rsp_event and checks again.
 *
 * Return: true when responses arrived meanwhile (poll again).
 */
bool xsn_rx_rearm(struct xsn_rx *rx);

/**
 * xsn_rx_has_work() - whether unconsumed responses are on the ring
 * @rx: the queue.
 *
 * Return: true when there are responses and the connection is not broken.
 */
bool xsn_rx_has_work(struct xsn_rx *rx);

/**
 * xsn_rx_starved() - whether the ring is empty for want of buffers
 * @rx: the queue.
 *
 * True when no request is posted on a healthy connection: the last refill
 * got no buffer or no grant, and since the backend has nothing to answer,
 * no event will come.  The caller must retry (xsn_rx_poll() or
 * xsn_rx_refill()) later, as xen-netfront does from a timer.
 *
 * Context: as for xsn_rx_refill().
 * Return: true when a refill retry is needed.
 */
bool xsn_rx_starved(struct xsn_rx *rx);

/**
 * xsn_rx_broken() - why the connection stopped consuming
 * @rx: the queue.
 *
 * Return: an &enum xsn_broken; %XSN_OK while healthy.
 */
enum xsn_broken xsn_rx_broken(struct xsn_rx *rx);

/**
 * xsn_rx_get_stats() - read the queue's and its caches' counters
 * @rx: the queue.
 * @stats: receives the snapshot.
 */
void xsn_rx_get_stats(struct xsn_rx *rx, struct xsn_rx_stats *stats);

/**
 * xsn_rx_trim() - one monitor pass on both caches
 * @rx: the queue.
 *
 * Context: process context; may sleep.
 */
void xsn_rx_trim(struct xsn_rx *rx);

/**
 * xsn_rx_destroy() - tear a queue down
 * @rx: the queue; NULL is ignored.
 * @final: if not NULL, receives the queue's counters after every grant was
 *	ended, with the two caches' statistics taken after every object went
 *	back and just before the caches were destroyed.
 *
 * Ends the grant of every buffer still posted (also when the backend is
 * gone), returns every object to its cache and destroys both caches, whose
 * destructor ends the persistent grants.  No poll may run any more.
 *
 * Context: process context; may sleep.
 */
void xsn_rx_destroy(struct xsn_rx *rx, struct xsn_rx_stats *final);

/**
 * xsn_tx_sring_init() - initialise a shared netif tx ring page
 * @sring: one zeroed or reused page.
 * @start: the ring index both ends start at.
 */
void xsn_tx_sring_init(void *sring, unsigned int start);

/**
 * xsn_tx_create() - build a tx queue over a shared ring
 * @name: prefix of the two caches' names.
 * @args: see &struct xsn_tx_args; copied.
 * @tx: receives the queue.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int xsn_tx_create(const char *name, const struct xsn_tx_args *args, struct xsn_tx **tx);

/**
 * xsn_tx_send_packet() - put one packet on the ring
 * @tx: the queue.
 * @frags: the packet (an Ethernet frame) in pieces; copied into tx buffers
 *	(each slot but the last filled to %XSN_PAGE_SIZE), so the caller may
 *	free them on return.
 * @nr_frags: how many pieces (pieces of length 0 are allowed).
 * @flags: %XSN_TXF_CSUM_BLANK and %XSN_TXF_DATA_VALIDATED only.
 * @gso_type: %XSN_GSO_NONE, or a type of &xsn_tx_args.gso_types: the
 *	packet goes with a GSO extra-info slot (the backend segments it).
 * @gso_size: the segment size of a GSO packet, 1 .. 65535.
 * The packet takes DIV_ROUND_UP(len, %XSN_PAGE_SIZE) data slots and a slot
 * for the GSO extra info.  The requests become visible to the backend at
 * the next xsn_tx_push().  xsn_tx_send_packet(), xsn_tx_push(),
 * xsn_tx_poll() and xsn_tx_rearm() of one queue must be serialised by the
 * caller (one lock).
 * Context: any context but hard irq; bottom halves may be off.
 * Return: 0; -ENOSPC when too few ring slots are free (retry after
 * xsn_tx_poll() freed some); -ENOMEM when no buffer or grant was to be
 * had; -EMSGSIZE for a length of 0 or over the limit (%XSN_PAGE_SIZE
 * without &xsn_tx_args.sg, %XSN_TX_MAX_LEN with it); -EINVAL for other
 * @flags, a GSO type not offered, a bad @gso_size, or a broken connection.
 */
int xsn_tx_send_packet(struct xsn_tx *tx, const struct xsn_frag *frags, unsigned int nr_frags,
		       unsigned int flags, unsigned int gso_type, unsigned int gso_size);

/**
 * xsn_tx_send() - put a packet of one piece on the ring
 * @tx: the queue.
 * @data: the packet.
 * @len: its length.
 * @flags: as for xsn_tx_send_packet().
 * xsn_tx_send_packet() with one fragment and no GSO.
 * Return: as xsn_tx_send_packet().
 */
int xsn_tx_send(struct xsn_tx *tx, const void *data, unsigned int len, unsigned int flags);

/**
 * xsn_tx_push() - make the sent requests visible and kick the backend
 * @tx: the queue.
 *
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY; notifies only when the backend asked.
 *
 * Return: true when the backend was notified.
 */
bool xsn_tx_push(struct xsn_tx *tx);

/**
 * xsn_tx_poll() - consume tx responses
 * @tx: the queue.
 * @budget: most responses to handle.
 *
 * Validates each response, ends its buffer's grant in per-request mode and
 * returns the buffer and the bookkeeping to their caches; the NULL
 * responses of a packet's extra-info slots are consumed with its first
 * slot's response.  A response that a
 * correct backend never sends marks the connection broken.  The buffers go
 * back through xen_slab_cache_put_direct().
 *
 * Context: as for xsn_rx_poll().
 * Return: responses handled.
 */
int xsn_tx_poll(struct xsn_tx *tx, int budget);

/**
 * xsn_tx_rearm() - ask for an event on the next tx response
 * @tx: the queue.
 *
 * Return: true when responses arrived meanwhile (poll again).
 */
bool xsn_tx_rearm(struct xsn_tx *tx);

/**
 * xsn_tx_has_work() - whether unconsumed tx responses are on the ring
 * @tx: the queue.
 *
 * Context: any, also without the queue's lock (a racy hint).
 * Return: true when there are responses and the connection is not broken.
 */
bool xsn_tx_has_work(struct xsn_tx *tx);

/**
 * xsn_tx_space() - free ring slots
 * @tx: the queue.
 *
 * Return: free ring slots; a packet needs one per %XSN_PAGE_SIZE bytes and
 * one for GSO, %XSN_TX_MAX_SLOTS at most.
 */
unsigned int xsn_tx_space(struct xsn_tx *tx);

/**
 * xsn_tx_broken() - why the tx ring stopped
 * @tx: the queue.
 *
 * Return: an &enum xsn_broken; %XSN_OK while healthy.
 */
enum xsn_broken xsn_tx_broken(struct xsn_tx *tx);

/**
 * xsn_tx_get_stats() - read the queue's and its caches' counters
 * @tx: the queue.
 * @stats: receives the snapshot.
 */
void xsn_tx_get_stats(struct xsn_tx *tx, struct xsn_tx_stats *stats);

/**
 * xsn_tx_destroy() - tear a tx queue down
 * @tx: the queue; NULL is ignored.
 * @final: if not NULL, receives the queue's counters after every grant was
 *	ended, with the caches' statistics taken just before they were
 *	destroyed (every object back).
 *
 * Ends the grant of every packet still on the ring (also when the backend is
 * gone; a grant still in use ends later and keeps its page until then),
 * returns everything to the caches and destroys them.  No send or poll may
 * run any more.
 *
 * Context: process context; may sleep.
 */
void xsn_tx_destroy(struct xsn_tx *tx, struct xsn_tx_stats *final);

/**
 * xsn_broken_name() - a short name of a &enum xsn_broken value
 * @reason: the value.
 *
 * Return: a static string.
 */
const char *xsn_broken_name(enum xsn_broken reason);

#ifdef __cplusplus
}
#endif

#endif /* XEN_SLAB_NETFRONT_H */
