/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_slab_netfront over real Xen: a shared ring page granted to the
 * backend, an event channel bound with lateeoi, and NAPI polling.  C only.
 */
#ifndef XSN_XEN_H
#define XSN_XEN_H

#include <xen/interface/event_channel.h>
#include <xen/interface/grant_table.h>

#include "xen_slab_netfront.h"

struct xsn_xen_front;

/**
 * xsn_grant_page() - grant a backend access to one page
 * @backend: the backend's domain id.
 * @page: the page (page aligned, in the direct map).
 * @readonly: read-only access (tx buffers) or read-write (rx buffers, rings).
 * @ref: receives the grant reference.
 *
 * Context: any context but hard irq.
 * Return: 0 or a negative errno (-ENOSPC: no free grant reference).
 */
int xsn_grant_page(domid_t backend, void *page, bool readonly, unsigned int *ref);

/**
 * xsn_end_grant_page() - end a grant of one order-0 page
 * @ref: the grant reference.
 * @page: the page it grants.
 *
 * When the backend still maps or copies the page, the grant table ends the
 * grant later and holds a reference to the page until then, so the page is
 * never reused while the backend can reach it.
 *
 * Context: any context but hard irq.
 * Return: 0 when access ended now, 1 when the end was deferred.
 */
int xsn_end_grant_page(unsigned int ref, void *page);

/**
 * struct xsn_xen_front_stats - counters of the Xen side of a frontend
 * @irqs: event channel interrupts.
 * @spurious: interrupts with no response waiting (late EOI marked spurious).
 * @napi_polls: NAPI poll calls.
 */
struct xsn_xen_front_stats {
	u64 irqs;
	u64 spurious;
	u64 napi_polls;
};

/**
 * xsn_xen_front_create() - set up an rx queue towards a backend domain
 * @name: name of the interrupt (copied) and prefix of the caches' names.
 * @backend: the backend's domain id (0 for a loopback in dom0).
 * @mode: grant mode of the rx buffers.
 * @deliver: called in softirq context for each packet (see &struct xsn_rx_args).
 * @arg: passed to @deliver.
 * @out: receives the frontend.
 *
 * Grants the ring page and allocates an unbound event channel for @backend
 * (what a frontend would publish in xenstore as rx-ring-ref and
 * event-channel), binds it with a late-EOI handler and prepares NAPI.
 * Nothing is posted until xsn_xen_front_start().
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno.
 */
int xsn_xen_front_create(const char *name, domid_t backend, enum xsn_grant_mode mode,
			 void (*deliver)(void *arg, const struct xsn_packet *pkt),
			 void *arg, struct xsn_xen_front **out);

/**
 * xsn_xen_front_start() - post the rx buffers (from NAPI context)
 * @f: the frontend, whose backend is attached now.
 */
void xsn_xen_front_start(struct xsn_xen_front *f);

/**
 * xsn_xen_front_ring_ref() - the grant reference of the shared ring page
 * @f: the frontend.
 *
 * Return: the reference.
 */
grant_ref_t xsn_xen_front_ring_ref(struct xsn_xen_front *f);

/**
 * xsn_xen_front_port() - the frontend's event channel port
 * @f: the frontend.
 *
 * Return: the port.
 */
evtchn_port_t xsn_xen_front_port(struct xsn_xen_front *f);

/**
 * xsn_xen_front_sring() - the frontend's own address of the shared ring page
 * @f: the frontend.
 *
 * Only for a loopback backend in the same domain that cannot map the ring's
 * grant (an auto-translated domain such as a PVH dom0: see
 * docs/netfront-example.md).
 *
 * Return: the page.
 */
void *xsn_xen_front_sring(struct xsn_xen_front *f);

/**
 * xsn_xen_front_rx() - the rx queue of a frontend
 * @f: the frontend.
 *
 * Return: the queue (for xsn_rx_get_stats() and xsn_rx_broken()).
 */
struct xsn_rx *xsn_xen_front_rx(struct xsn_xen_front *f);

/**
 * xsn_xen_front_get_stats() - read the Xen side's counters
 * @f: the frontend.
 * @stats: receives them.
 */
void xsn_xen_front_get_stats(struct xsn_xen_front *f, struct xsn_xen_front_stats *stats);

/**
 * xsn_xen_front_stop() - stop the interrupt and the poll
 * @f: the frontend.
 *
 * Disables the event channel's interrupt (waiting for a running handler),
 * then NAPI (waiting for a running poll).  Afterwards nothing consumes or
 * posts any more and the rx queue's counters stand still; the event channel
 * stays bound until xsn_xen_front_destroy(), which stops first if this was
 * not called.
 *
 * Context: process context; may sleep.
 */
void xsn_xen_front_stop(struct xsn_xen_front *f);

/**
 * xsn_xen_front_destroy() - tear a frontend down
 * @f: the frontend; NULL is ignored.
 * @final: if not NULL, receives the rx queue's final counters (see
 *	xsn_rx_destroy()).
 *
 * Stops (xsn_xen_front_stop()), then unbinds the event channel (which
 * closes it), ends every grant
 * of the rx queue and then the ring page's grant, also when the backend
 * vanished mid-flight: a grant the backend still holds ends later and its
 * page is freed only then.
 *
 * Context: process context; may sleep.
 * Return: the number of grants (ring page included) whose end had to be
 * deferred because the backend still used them.
 */
unsigned int xsn_xen_front_destroy(struct xsn_xen_front *f, struct xsn_rx_stats *final);

#endif /* XSN_XEN_H */
