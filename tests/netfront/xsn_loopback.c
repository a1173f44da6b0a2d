// SPDX-License-Identifier: GPL-2.0
/*
 * Runs xen_slab_netfront against a loopback backend inside one Xen domain
 * (dom0): the backend maps the frontend's ring page with
 * xenbus_map_ring_valloc() (other end: the own domain), copies payloads into
 * the frontend's granted buffers with gnttab_batch_copy() and talks to the
 * frontend over an event channel bound back to the own domain.  No xenbus
 * device, no xenstore: the ring reference and the port go straight from the
 * frontend to the backend.
 *
 * At load it pushes @packets packets per grant mode, verifies every payload,
 * tears down and prints XSN-RESULT and XSC-TEST lines; then, per mode, it
 * tears a frontend down under a backend that vanished mid-flight.
 * With demo_seconds it keeps traffic going from a kthread instead, for the
 * demo, until that time is up or the module is unloaded.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "xsn_xen.h"
#include "xsn_test_backend.h"

static unsigned long packets = 100000;
module_param(packets, ulong, 0444);
MODULE_PARM_DESC(packets, "Packets per grant mode (default 100000)");

static int mode = -1;
module_param(mode, int, 0444);
MODULE_PARM_DESC(mode, "0: per-request grants, 1: persistent grants, -1: both (default)");

static unsigned int demo_seconds;
module_param(demo_seconds, uint, 0444);
MODULE_PARM_DESC(demo_seconds, "Keep persistent-mode traffic going from a kthread for this long (demo)");

struct lb {
	struct xsn_xen_front *front;
	struct xenbus_device *dev;
	void *ring;
	bool ring_mapped;	/* by grant (PV); else shared directly (PVH) */
	int irq;
	struct xsn_tb tb;
	wait_queue_head_t wq;
	struct gnttab_copy copy[XSN_TB_BATCH];
	void *bounce;		/* lb_deliver's private copy of a packet */
	u64 copy_batches;
	u64 kicks_received;
	/* Written by the frontend's delivery callback (NAPI, one CPU at a time). */
	u64 expect_seq;
	u64 delivered;
	u64 bad_payloads;
};

static struct task_struct *demo_task;

static void report(bool ok, const char *mode_name, const char *test)
{
	pr_info("XSC-TEST: %s netfront.%s.%s\n", ok ? "ok" : "not ok", mode_name, test);
}

static void lb_deliver(void *arg, const struct xsn_packet *pkt)
{
	struct lb *lb = arg;
	unsigned int len = pkt->frags[0].len;

	/* One slot per packet (no sg). Copy first: in persistent mode the
	 * backend can still write the page. */
	memcpy(lb->bounce, pkt->frags[0].data, len);
	if (pkt->nr_frags != 1 || !xsn_tb_verify(lb->bounce, len, lb->expect_seq))
		lb->bad_payloads++;
	lb->expect_seq++;
	WRITE_ONCE(lb->delivered, lb->delivered + 1);
	wake_up(&lb->wq);
}

/* The backend's copy: one GNTTABOP_copy batch into the frontend's grants. */
static void lb_copy(struct xsn_tb *tb, struct xsn_tb_copy *ops, unsigned int n)
{
	struct lb *lb = tb->ctx;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct gnttab_copy *c = &lb->copy[i];

		c->source.u.gmfn = virt_to_gfn(ops[i].src);
		c->source.offset = offset_in_page(ops[i].src);
		c->source.domid = DOMID_SELF;
		c->dest.u.ref = ops[i].gref;
		c->dest.offset = ops[i].offset;
		c->dest.domid = lb->dev->otherend_id;
		c->len = ops[i].len;
		c->flags = GNTCOPY_dest_gref;
	}
	gnttab_batch_copy(lb->copy, n);
	lb->copy_batches++;
	for (i = 0; i < n; i++)
		ops[i].status = lb->copy[i].status == GNTST_okay ? 0 : -EIO;
}

static void lb_kick(struct xsn_tb *tb)
{
	struct lb *lb = tb->ctx;

	notify_remote_via_irq(lb->irq);
}

static irqreturn_t lb_interrupt(int irq, void *dev_id)
{
	struct lb *lb = dev_id;

	lb->kicks_received++;
	wake_up(&lb->wq);
	xen_irq_lateeoi(irq, 0);
	return IRQ_HANDLED;
}

static bool lb_requests_waiting(struct lb *lb)
{
	return RING_HAS_UNCONSUMED_REQUESTS(&lb->tb.back);
}

static void lb_free(struct lb *lb)
{
	unsigned int i;

	for (i = 0; i < XSN_TB_BATCH; i++)
		if (lb->tb.staging[i])
			free_page((unsigned long)lb->tb.staging[i]);
	if (lb->bounce)
		free_page((unsigned long)lb->bounce);
	kfree(lb->dev);
	kfree(lb);
}

static struct lb *lb_connect(enum xsn_grant_mode m, const char *name)
{
	grant_ref_t ref;
	struct lb *lb;
	unsigned int i;
	int err;

	lb = kzalloc(sizeof(*lb), GFP_KERNEL);
	if (!lb)
		return ERR_PTR(-ENOMEM);
	init_waitqueue_head(&lb->wq);
	lb->irq = -1;
	lb->dev = kzalloc(sizeof(*lb->dev), GFP_KERNEL);
	if (!lb->dev) {
		err = -ENOMEM;
		goto fail;
	}
	/*
	 * The other end is the own domain, named by its real id: grant copies
	 * and maps name the granting domain, which DOMID_SELF is not.  dom0 is
	 * 0 (and may run without xenstored); a domU reads its id from xenstore
	 * ("domid" relative to /local/domain/<id>, written by the toolstack).
	 */
	lb->dev->nodename = "xsn-loopback";
	if (xen_initial_domain()) {
		lb->dev->otherend_id = 0;
	} else {
		unsigned int domid = xenbus_read_unsigned("domid", "", DOMID_INVALID);

		if (domid == 0 || domid >= DOMID_FIRST_RESERVED) {
			pr_err("xsn_loopback: no domain id in xenstore\n");
			err = -ENODEV;
			goto fail;
		}
		lb->dev->otherend_id = domid;
	}
	pr_info("xsn_loopback: own domain id %u\n", lb->dev->otherend_id);
	lb->dev->spurious_threshold = 1;
	lb->bounce = (void *)__get_free_page(GFP_KERNEL);
	if (!lb->bounce) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < XSN_TB_BATCH; i++) {
		lb->tb.staging[i] = (void *)__get_free_page(GFP_KERNEL);
		if (!lb->tb.staging[i]) {
			err = -ENOMEM;
			goto fail;
		}
	}
	lb->tb.copy = lb_copy;
	lb->tb.notify = lb_kick;
	lb->tb.ctx = lb;

	err = xsn_xen_front_create(name, lb->dev->otherend_id, m, lb_deliver, lb, &lb->front);
	if (err)
		goto fail;
	if (xen_pv_domain()) {
		ref = xsn_xen_front_ring_ref(lb->front);
		err = xenbus_map_ring_valloc(lb->dev, &ref, 1, &lb->ring);
		if (err)
			goto fail_front;
		lb->ring_mapped = true;
	} else {
		/*
		 * An auto-translated domain (PVH dom0) cannot map its own
		 * grant: Xen adds the frame at the new guest frame and drops
		 * its old entry, so the frontend would lose its ring page.
		 * The loopback backend uses the page directly instead; the
		 * payloads still go through the frontend's grants
		 * (GNTTABOP_copy) and the event channel is real.
		 */
		lb->ring = xsn_xen_front_sring(lb->front);
	}
	xsn_tb_attach(&lb->tb, lb->ring, 0);
	err = bind_interdomain_evtchn_to_irqhandler_lateeoi(lb->dev, xsn_xen_front_port(lb->front),
							    lb_interrupt, 0, "xsn-loopback", lb);
	if (err < 0)
		goto fail_ring;
	lb->irq = err;
	xsn_xen_front_start(lb->front);
	return lb;

fail_ring:
	if (lb->ring_mapped)
		xenbus_unmap_ring_vfree(lb->dev, lb->ring);
fail_front:
	xsn_xen_front_destroy(lb->front, NULL);
fail:
	lb_free(lb);
	return ERR_PTR(err);
}

/* Backend loop: answer requests until @target packets went out. */
static int lb_run(struct lb *lb, u64 target, bool (*stop)(void))
{
	while (lb->tb.answered < target) {
		if (stop && stop())
			return 0;
		if (xsn_rx_broken(xsn_xen_front_rx(lb->front)) != XSN_OK)
			return -EPROTO;
		xsn_tb_take(&lb->tb, XSN_TB_HELD);
		if (lb->tb.overflow)
			return -EPROTO;
		if (!lb->tb.held_count) {
			/* Ask for an event, then sleep until requests come. */
			if (xsn_tb_final_check(&lb->tb))
				continue;
			if (!wait_event_timeout(lb->wq, lb_requests_waiting(lb), 10 * HZ))
				return -ETIMEDOUT;
			continue;
		}
		xsn_tb_answer(&lb->tb, min_t(u64, lb->tb.held_count, target - lb->tb.answered));
		cond_resched();
	}
	if (!wait_event_timeout(lb->wq, READ_ONCE(lb->delivered) >= target, 10 * HZ))
		return -ETIMEDOUT;
	return 0;
}

/* Backend first (unbind, unmap), then the frontend; returns deferred grants. */
static unsigned int lb_disconnect(struct lb *lb, struct xsn_rx_stats *final)
{
	unsigned int deferred;

	unbind_from_irqhandler(lb->irq, lb);
	if (lb->ring_mapped)
		xenbus_unmap_ring_vfree(lb->dev, lb->ring);
	deferred = xsn_xen_front_destroy(lb->front, final);
	lb_free(lb);
	return deferred;
}

static void print_cache(const char *mode_name, const char *what, const struct xen_slab_cache_stats *s)
{
	pr_info("XSN-RESULT: %s %s: count %llu reservation %llu in_use %llu/%llu ctor %llu dtor %llu get %llu fast/%llu slow put %llu fast/%llu slow slabs %llu/%llu\n",
		mode_name, what, s->count, s->reservation, s->in_use, s->in_use_max, s->ctor_calls,
		s->dtor_calls, s->get_fast, s->get_slow, s->put_fast, s->put_slow, s->slabs,
		s->slabs_max);
}

static void run_mode(enum xsn_grant_mode m)
{
	const char *mode_name = m == XSN_GRANT_PERSISTENT ? "persistent" : "per-request";
	struct xsn_xen_front_stats fs;
	struct xsn_rx_stats s, final;
	struct lb *lb;
	ktime_t t0;
	u64 ms, delivered, bad, copy_errors, copy_batches, kicks;
	unsigned int deferred;
	int err;

	lb = lb_connect(m, m == XSN_GRANT_PERSISTENT ? "xsn-pers" : "xsn-preq");
	if (IS_ERR(lb)) {
		pr_info("XSN-RESULT: %s: connect failed (%ld)\n", mode_name, PTR_ERR(lb));
		report(false, mode_name, "connect");
		return;
	}
	report(true, mode_name, "connect");
	pr_info("XSN-RESULT: %s: ring %s, event channel %u -> own domain, payloads by GNTTABOP_copy\n",
		mode_name, lb->ring_mapped ? "mapped by grant (xenbus_map_ring_valloc)" :
		"shared directly (auto-translated domain)", xsn_xen_front_port(lb->front));
	t0 = ktime_get();
	err = lb_run(lb, packets, NULL);
	ms = ktime_ms_delta(ktime_get(), t0);
	/* Quiesce: no handler or poll runs any more, the counters stand still. */
	xsn_xen_front_stop(lb->front);
	xsn_rx_get_stats(xsn_xen_front_rx(lb->front), &s);
	xsn_xen_front_get_stats(lb->front, &fs);
	delivered = lb->delivered;
	bad = lb->bad_payloads;
	copy_errors = lb->tb.copy_errors;
	copy_batches = lb->copy_batches;
	kicks = lb->kicks_received;
	deferred = lb_disconnect(lb, &final);

	pr_info("XSN-RESULT: %s: packets %llu bytes %llu in %llu ms, grant ops %llu (%llu.%03llu per 1000 packets; grants %llu, ends %llu), copy batches %llu, bad payloads %llu, copy errors %llu, broken %s\n",
		mode_name, final.packets, final.bytes, ms, s.grant_ops,
		s.grant_ops * 1000 / max_t(u64, s.packets, 1),
		s.grant_ops * 1000000 / max_t(u64, s.packets, 1) % 1000, s.grants,
		s.grant_ends + s.grant_ends_deferred, copy_batches, bad, copy_errors,
		xsn_broken_name(final.broken));
	pr_info("XSN-RESULT: %s: refills %llu, notifies to backend %llu, backend kicks %llu, irqs %llu (spurious %llu), NAPI polls %llu\n",
		mode_name, s.refills, s.notifies, kicks, fs.irqs, fs.spurious, fs.napi_polls);
	pr_info("XSN-RESULT: %s: teardown: grant ops %llu, grants active %llu, deferred %u\n",
		mode_name, final.grant_ops, final.grants_active, deferred);
	print_cache(mode_name, "rx-buffers", &final.buffers);
	print_cache(mode_name, "rx-requests", &final.reqs);

	report(!err && delivered == packets && final.packets == packets && !bad && !copy_errors &&
	       final.broken == XSN_OK, mode_name, "packets-verified");
	if (m == XSN_GRANT_PERSISTENT) {
		/*
		 * Grant operations per packet below 0.01; every grant made by
		 * a constructor, and no more constructions than buffer slots
		 * ever existed (the peak, plus those destructed on the way).
		 * (The KUnit suite, pinned to one CPU, also checks that the
		 * second half of the traffic grants nothing.)
		 */
		report(s.grant_ops * 100 < s.packets, mode_name, "grant-ops-per-packet-below-0.01");
		report(s.grants == final.buffers.ctor_calls &&
		       s.grants <= final.buffers.slabs_max * final.buffers.slab_objects +
				   final.buffers.dtor_calls,
		       mode_name, "ctor-grants-each-page-once");
	} else {
		report(s.grants == s.requests && s.grant_ends == s.packets, mode_name,
		       "grant-per-request");
	}
	report(final.grants_active == 0 && deferred == 0 && final.grant_ends == final.grants &&
	       final.buffers.in_use == 0 && final.reqs.in_use == 0 && final.buffers.bad_puts == 0 &&
	       final.reqs.bad_puts == 0, mode_name, "teardown-nothing-outstanding");
}

/*
 * The backend vanishes mid-flight: it holds requests it never answers, its
 * answers to others may be unconsumed, and it still maps the ring and holds
 * its port while the frontend is torn down.  Every grant must end anyway:
 * the buffers' at once (the backend only copied into them), the ring's
 * deferred while the backend maps it (PV), the page freed once it unmaps.
 * On PV the backend also maps one buffer of a held request: that grant's
 * end is deferred too, and the page stays with the grant table (which
 * holds a reference to it) until the backend unmaps it.
 */
static void run_backend_gone(enum xsn_grant_mode m)
{
	const char *mode_name = m == XSN_GRANT_PERSISTENT ? "persistent" : "per-request";
	struct xsn_rx_stats before, final;
	unsigned int deferred, expect_deferred;
	void *buf_map = NULL;
	bool buf_ok = true;
	grant_ref_t ref;
	struct lb *lb;
	int err;

	lb = lb_connect(m, "xsn-gone");
	if (IS_ERR(lb)) {
		report(false, mode_name, "backend-gone-connect");
		return;
	}
	err = lb_run(lb, 1000, NULL);
	xsn_tb_take(&lb->tb, XSN_TB_HELD);
	xsn_tb_answer(&lb->tb, lb->tb.held_count / 2);
	xsn_xen_front_stop(lb->front);
	xsn_rx_get_stats(xsn_xen_front_rx(lb->front), &before);
	/* PV: map the buffer of a held request (the held queue is not empty). */
	if (lb->ring_mapped && lb->tb.held_count) {
		ref = lb->tb.held[lb->tb.held_head].gref;
		if (xenbus_map_ring_valloc(lb->dev, &ref, 1, &buf_map)) {
			buf_map = NULL;
			buf_ok = false;
		}
	}

	expect_deferred = (lb->ring_mapped ? 1 : 0) + (buf_map ? 1 : 0);
	deferred = xsn_xen_front_destroy(lb->front, &final);
	/* The backend can still write the buffer it maps: the page is alive. */
	if (buf_map)
		memset(buf_map, 0xa5, PAGE_SIZE);
	/* Now the backend notices and lets go. */
	unbind_from_irqhandler(lb->irq, lb);
	if (buf_map)
		xenbus_unmap_ring_vfree(lb->dev, buf_map);
	if (lb->ring_mapped)
		xenbus_unmap_ring_vfree(lb->dev, lb->ring);
	pr_info("XSN-RESULT: %s: backend gone with %llu requests outstanding: grants active %llu after teardown, %u deferred (ring %s, %s)\n",
		mode_name, before.outstanding, final.grants_active, deferred,
		lb->ring_mapped ? "still mapped by the backend" : "not mapped",
		buf_map ? "one buffer still mapped by the backend" : "no buffer mapped");
	lb_free(lb);
	report(!err && buf_ok && before.outstanding > 0 && final.grants_active == 0 &&
	       final.grant_ends_deferred == (buf_map ? 1 : 0) && deferred == expect_deferred &&
	       final.buffers.in_use == 0 && final.reqs.in_use == 0, mode_name,
	       "backend-gone-teardown-ends-every-grant");
	/* The grant table retries deferred ends once a second. */
	msleep(2000);
}

static bool demo_should_stop(void)
{
	return kthread_should_stop();
}

static int demo_fn(void *unused)
{
	unsigned long end = jiffies + demo_seconds * HZ, next;
	struct xsn_rx_stats final;
	struct lb *lb;
	int err = 0;

	lb = lb_connect(XSN_GRANT_PERSISTENT, "xsn-demo");
	if (IS_ERR(lb)) {
		pr_info("XSC-DEMO: netfront: connect failed (%ld)\n", PTR_ERR(lb));
		goto wait;
	}
	next = jiffies + HZ;
	while (!kthread_should_stop() && time_before(jiffies, end) && !err) {
		err = lb_run(lb, lb->tb.answered + 5000, demo_should_stop);
		if (time_after_eq(jiffies, next)) {
			struct xsn_rx_stats s;

			xsn_rx_get_stats(xsn_xen_front_rx(lb->front), &s);
			pr_info("XSC-DEMO: netfront: %llu rx packets, %llu bytes, %llu grant ops, rx-buffers ctor %llu\n",
				s.packets, s.bytes, s.grant_ops, s.buffers.ctor_calls);
			next += HZ;
		}
	}
	pr_info("XSC-DEMO: netfront: %llu rx packets verified (%llu bad), traffic %s\n", lb->delivered,
		lb->bad_payloads, err ? "failed" : "stopped");
	lb_disconnect(lb, &final);
	pr_info("XSC-DEMO: netfront: teardown: grant ops %llu for %llu packets, grants active %llu\n",
		final.grant_ops, final.packets, final.grants_active);
wait:
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static int __init xsn_loopback_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	if (demo_seconds) {
		demo_task = kthread_run(demo_fn, NULL, "xsn_demo");
		return PTR_ERR_OR_ZERO(demo_task);
	}
	if (mode < 0 || mode == XSN_GRANT_PER_REQUEST)
		run_mode(XSN_GRANT_PER_REQUEST);
	if (mode < 0 || mode == XSN_GRANT_PERSISTENT)
		run_mode(XSN_GRANT_PERSISTENT);
	if (mode < 0 || mode == XSN_GRANT_PER_REQUEST)
		run_backend_gone(XSN_GRANT_PER_REQUEST);
	if (mode < 0 || mode == XSN_GRANT_PERSISTENT)
		run_backend_gone(XSN_GRANT_PERSISTENT);
	return 0;
}

static void __exit xsn_loopback_exit(void)
{
	if (demo_task)
		kthread_stop(demo_task);
}

module_init(xsn_loopback_init);
module_exit(xsn_loopback_exit);

MODULE_DESCRIPTION("Loopback backend test of xen_slab_netfront inside one Xen domain");
MODULE_LICENSE("GPL");
