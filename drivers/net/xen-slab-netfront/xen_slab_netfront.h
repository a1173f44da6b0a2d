/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_slab_netfront: the rx path of a netfront-style frontend on
 * xen_slab_cache.  Rx buffers are page-sized objects of one cache, the
 * per-request bookkeeping comes from a second one.  The ring consumer is C++
 * and reaches Xen (or a test backend) only through struct xsn_transport_ops
 * and a few C ring accessors, so the same code runs against real Xen and
 * against a backend in KUnit.
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
 * @XSN_BROKEN_FLAGS: flags this frontend never negotiated (more_data,
 *	extra_info).
 * @XSN_BROKEN_GRANT_BUSY: the backend still had a buffer's grant in use when
 *	its response arrived.
 */
enum xsn_broken {
	XSN_OK = 0,
	XSN_BROKEN_PROD_OVERFLOW,
	XSN_BROKEN_ID,
	XSN_BROKEN_STATUS,
	XSN_BROKEN_LENGTH,
	XSN_BROKEN_FLAGS,
	XSN_BROKEN_GRANT_BUSY,
};

/**
 * struct xsn_transport_ops - what the consumer needs from Xen or a test backend
 * @grant: grant the backend write access to the page at @page (page aligned,
 *	in the direct map); store the reference in *@ref; 0 or a negative errno.
 *	May be called in softirq context.
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
 * @ops: the transport.
 * @ops_ctx: passed to every @ops call.
 * @deliver: called for each valid response with the packet's data; in
 *	persistent mode the backend can still write the page while it is read,
 *	so @deliver must copy before it trusts the contents.
 * @deliver_arg: passed to @deliver.
 */
struct xsn_rx_args {
	enum xsn_grant_mode mode;
	void *sring;
	unsigned int start;
	unsigned int refill_threshold;
	unsigned int reservation;
	const struct xsn_transport_ops *ops;
	void *ops_ctx;
	void (*deliver)(void *arg, const void *data, unsigned int len, unsigned int flags);
	void *deliver_arg;
};

/**
 * struct xsn_rx_stats - counters of one rx queue
 * @packets: responses delivered.
 * @bytes: payload bytes delivered.
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
 *
 * Context: as for xsn_rx_refill().
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
