// SPDX-License-Identifier: GPL-2.0
/*
 * The Xen transport of xen_slab_netfront: grant table operations for the rx
 * buffers, the shared ring page, an event channel with a late-EOI interrupt
 * handler and NAPI, which runs the C++ consumer in bounded batches in
 * softirq context (never unbounded work in hard irq context).
 */
#include <linux/interrupt.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <asm/xen/hypercall.h>

#include <xsc_compat.h>

#include "xsn_xen.h"

struct xsn_xen_front {
	struct xsn_rx *rx;
	domid_t backend;
	void *sring;
	grant_ref_t ring_ref;
	evtchn_port_t port;
	int irq;
	char *irq_name;		/* request_irq() keeps the pointer */
	struct net_device *napi_dev;
	struct napi_struct napi;
	struct timer_list refill_timer;
	bool napi_added;
	bool stopped;
	atomic64_t irqs;
	atomic64_t spurious;
	atomic64_t napi_polls;
};

/* Refill retry when the ring ran dry for want of buffers, as xen-netfront. */
#define XSN_REFILL_RETRY (HZ / 10)

int xsn_grant_page(domid_t backend, void *page, bool readonly, unsigned int *ref)
{
	int r = gnttab_grant_foreign_access(backend, virt_to_gfn(page), readonly);

	if (r < 0)
		return r;
	*ref = r;
	return 0;
}
EXPORT_SYMBOL_GPL(xsn_grant_page);

/*
 * A grant the backend still uses is handed to the grant table's deferred
 * list together with a reference to the page, as xen-netfront does: the
 * page cannot go back to the page allocator before the backend lets go of
 * it.  The buffer must be exactly one order-0 page (the callers check their
 * caches' slab order): a reference to a page inside a larger non-compound
 * block would not keep the block from being freed.
 */
int xsn_end_grant_page(unsigned int ref, void *page)
{
	struct page *pg;

	if (gnttab_try_end_foreign_access(ref))
		return 0;
	pg = virt_to_page(page);
	get_page(pg);
	gnttab_end_foreign_access(ref, pg);
	return 1;
}
EXPORT_SYMBOL_GPL(xsn_end_grant_page);

static int xsn_xen_grant(void *ctx, void *page, unsigned int *ref)
{
	struct xsn_xen_front *f = ctx;

	return xsn_grant_page(f->backend, page, false, ref);
}

static int xsn_xen_end_grant(void *ctx, unsigned int ref, void *buf)
{
	return xsn_end_grant_page(ref, buf);
}

static void xsn_xen_notify(void *ctx)
{
	struct xsn_xen_front *f = ctx;

	notify_remote_via_irq(f->irq);
}

static const struct xsn_transport_ops xsn_xen_ops = {
	.grant = xsn_xen_grant,
	.end_grant = xsn_xen_end_grant,
	.notify = xsn_xen_notify,
};

static int xsn_xen_poll(struct napi_struct *napi, int budget)
{
	struct xsn_xen_front *f = container_of(napi, struct xsn_xen_front, napi);
	int done;

	atomic64_inc(&f->napi_polls);
	done = xsn_rx_poll(f->rx, budget);
	/* Nothing posted, so no event will come: retry the refill later. */
	if (xsn_rx_starved(f->rx))
		mod_timer(&f->refill_timer, jiffies + XSN_REFILL_RETRY);
	if (done < budget && napi_complete_done(napi, done) && xsn_rx_rearm(f->rx))
		napi_schedule(napi);
	return done;
}

/*
 * The device NAPI needs: alloc_netdev_dummy() since 6.10 (init_dummy_netdev()
 * on memory of one's own is no longer exported in 7.3), before that the
 * latter.
 */
static struct net_device *xsn_alloc_dummy_netdev(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return alloc_netdev_dummy(0);
#else
	struct net_device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (dev)
		init_dummy_netdev(dev);
	return dev;
#endif
}

static void xsn_free_dummy_netdev(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	if (dev)
		free_netdev(dev);
#else
	kfree(dev);
#endif
}

static void xsn_xen_refill_timeout(struct timer_list *t)
{
	struct xsn_xen_front *f = timer_container_of(f, t, refill_timer);

	napi_schedule(&f->napi);
}

static irqreturn_t xsn_xen_interrupt(int irq, void *dev_id)
{
	struct xsn_xen_front *f = dev_id;
	unsigned int eoi = XEN_EOI_FLAG_SPURIOUS;

	atomic64_inc(&f->irqs);
	if (xsn_rx_has_work(f->rx)) {
		napi_schedule(&f->napi);
		eoi = 0;
	} else {
		atomic64_inc(&f->spurious);
	}
	xen_irq_lateeoi(irq, eoi);
	return IRQ_HANDLED;
}

int xsn_xen_front_create(const char *name, domid_t backend, enum xsn_grant_mode mode,
			 void (*deliver)(void *arg, const struct xsn_packet *pkt),
			 void *arg, struct xsn_xen_front **out)
{
	struct evtchn_alloc_unbound alloc = { .dom = DOMID_SELF, .remote_dom = backend };
	struct xsn_rx_args args = {
		.mode = mode,
		.ops = &xsn_xen_ops,
		.deliver = deliver,
		.deliver_arg = arg,
	};
	struct xsn_xen_front *f;
	struct xsn_rx_stats s;
	int err;

	*out = NULL;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	timer_setup(&f->refill_timer, xsn_xen_refill_timeout, 0);
	f->backend = backend;
	f->ring_ref = INVALID_GRANT_REF;
	f->irq = -1;

	f->sring = (void *)get_zeroed_page(GFP_KERNEL);
	if (!f->sring) {
		err = -ENOMEM;
		goto fail;
	}
	xsn_sring_init(f->sring, 0);
	err = gnttab_grant_foreign_access(backend, virt_to_gfn(f->sring), 0);
	if (err < 0)
		goto fail;
	f->ring_ref = err;

	args.sring = f->sring;
	args.ops_ctx = f;
	err = xsn_rx_create(name, &args, &f->rx);
	if (err)
		goto fail;
	/* The deferred grant end above relies on order-0 buffer slabs. */
	xsn_rx_get_stats(f->rx, &s);
	if (WARN_ON_ONCE(s.buffers.slab_order != 0)) {
		err = -EINVAL;
		goto fail;
	}

	f->napi_dev = xsn_alloc_dummy_netdev();
	if (!f->napi_dev) {
		err = -ENOMEM;
		goto fail;
	}
	netif_napi_add(f->napi_dev, &f->napi, xsn_xen_poll);
	f->napi_added = true;
	napi_enable(&f->napi);

	f->irq_name = kstrdup(name, GFP_KERNEL);
	if (!f->irq_name) {
		err = -ENOMEM;
		goto fail;
	}
	err = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);
	if (err)
		goto fail;
	f->port = alloc.port;
	/*
	 * On failure the port is not closed here: every failure after the
	 * irq was set up (request_irq() included) already closed it through
	 * unbind_from_irq(), and a second EVTCHNOP_close could hit a port
	 * number reused meanwhile.  Only when no irq could be allocated at
	 * all does the port stay open.
	 */
	err = bind_evtchn_to_irqhandler_lateeoi(f->port, xsn_xen_interrupt, 0, f->irq_name, f);
	if (err < 0)
		goto fail;
	f->irq = err;
	*out = f;
	return 0;

fail:
	xsn_xen_front_destroy(f, NULL);
	return err;
}
EXPORT_SYMBOL_GPL(xsn_xen_front_create);

void xsn_xen_front_start(struct xsn_xen_front *f)
{
	local_bh_disable();
	napi_schedule(&f->napi);
	local_bh_enable();
}
EXPORT_SYMBOL_GPL(xsn_xen_front_start);

grant_ref_t xsn_xen_front_ring_ref(struct xsn_xen_front *f)
{
	return f->ring_ref;
}
EXPORT_SYMBOL_GPL(xsn_xen_front_ring_ref);

evtchn_port_t xsn_xen_front_port(struct xsn_xen_front *f)
{
	return f->port;
}
EXPORT_SYMBOL_GPL(xsn_xen_front_port);

void *xsn_xen_front_sring(struct xsn_xen_front *f)
{
	return f->sring;
}
EXPORT_SYMBOL_GPL(xsn_xen_front_sring);

struct xsn_rx *xsn_xen_front_rx(struct xsn_xen_front *f)
{
	return f->rx;
}
EXPORT_SYMBOL_GPL(xsn_xen_front_rx);

void xsn_xen_front_get_stats(struct xsn_xen_front *f, struct xsn_xen_front_stats *stats)
{
	stats->irqs = atomic64_read(&f->irqs);
	stats->spurious = atomic64_read(&f->spurious);
	stats->napi_polls = atomic64_read(&f->napi_polls);
}
EXPORT_SYMBOL_GPL(xsn_xen_front_get_stats);

void xsn_xen_front_stop(struct xsn_xen_front *f)
{
	if (f->stopped)
		return;
	f->stopped = true;
	/*
	 * The interrupt first (waiting for a running handler), so nothing
	 * schedules the poll any more; then NAPI (waiting for a running poll,
	 * which may still refill and notify through the still bound irq).
	 */
	if (f->irq >= 0)
		disable_irq(f->irq);
	if (f->napi_added)
		napi_disable(&f->napi);
	/* Only a poll arms it; a late expiry finds NAPI disabled. */
	timer_delete_sync(&f->refill_timer);
}
EXPORT_SYMBOL_GPL(xsn_xen_front_stop);

unsigned int xsn_xen_front_destroy(struct xsn_xen_front *f, struct xsn_rx_stats *final)
{
	struct xsn_rx_stats s = {};
	unsigned int deferred;

	if (!f)
		return 0;
	/*
	 * No interrupt, then no poll, can run from here on; only then is the
	 * irq unbound, so a poll never notifies through a freed irq.
	 */
	xsn_xen_front_stop(f);
	if (f->irq >= 0)
		unbind_from_irqhandler(f->irq, f);
	kfree(f->irq_name);
	if (f->napi_added)
		netif_napi_del(&f->napi);
	xsn_free_dummy_netdev(f->napi_dev);
	/* The buffer cache's destructor ends the persistent grants. */
	xsn_rx_destroy(f->rx, &s);
	deferred = s.grant_ends_deferred;
	if (final)
		*final = s;
	if (f->ring_ref != INVALID_GRANT_REF) {
		if (!gnttab_try_end_foreign_access(f->ring_ref)) {
			/* The backend still maps the ring: the grant table frees the page later. */
			gnttab_end_foreign_access(f->ring_ref, virt_to_page(f->sring));
			f->sring = NULL;
			deferred++;
		}
	}
	if (f->sring)
		free_page((unsigned long)f->sring);
	kfree(f);
	return deferred;
}
EXPORT_SYMBOL_GPL(xsn_xen_front_destroy);
