// SPDX-License-Identifier: GPL-2.0
/*
 * Exercises xen_slab_cache on a kernel without KUnit (the Debian kernel, as a
 * plain guest or a Xen dom0) and prints one "XSC-TEST: ok|not ok" line per
 * check.  With traffic=1 it keeps a cache busy from a kthread until unloaded,
 * for the demo.  Two kinds of misbehaving user, for the module lifetime
 * tests: with leak=1 it still holds three buffers when it destroys that
 * cache at unload; with forget=1 it does not destroy it at all, nor a
 * second cache without callbacks that it created through a tail call from
 * a kernel worker (the cache module must still know it for this module's).
 */
#include <linux/bottom_half.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <xen_slab_cache.h>
#include <xsc_compat.h>

static bool traffic;
module_param(traffic, bool, 0444);
MODULE_PARM_DESC(traffic, "Keep a cache busy until unloaded (demo)");

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "With traffic: hold three buffers when destroying the cache at unload");

static bool forget;
module_param(forget, bool, 0444);
MODULE_PARM_DESC(forget, "With traffic: do not destroy the cache at unload");

static atomic_t ctor_calls, dtor_calls;
static struct xen_slab_cache *demo_cache, *plain_cache;
static struct task_struct *demo_task;

/* An rx-buffer-like object: a page-sized, page-aligned buffer. */
static int buffer_ctor(void *arg, void *object)
{
	atomic_inc(&ctor_calls);
	memset(object, 0, PAGE_SIZE);
	return 0;
}

static void buffer_dtor(void *arg, void *object)
{
	atomic_inc(&dtor_calls);
}

static void report(bool ok, const char *test)
{
	pr_info("XSC-TEST: %s %s\n", ok ? "ok" : "not ok", test);
}

static struct xen_slab_cache *create_buffers(const char *name, unsigned int reservation)
{
	struct xen_slab_cache_args args = {
		.size = PAGE_SIZE, .align = PAGE_SIZE, .reservation = reservation,
		.ctor = buffer_ctor, .dtor = buffer_dtor,
	};

	return xen_slab_cache_create(name, &args);
}

/*
 * Runs in a kernel worker (work_on_cpu()) and ends in a tail call: whatever
 * called xen_slab_cache_create() is the kernel's worker, not this module.
 */
static long create_plain(void *args)
{
	return (long)xen_slab_cache_create("smoke-forgotten", args);
}

static void run_checks(void)
{
	struct xen_slab_cache_stats s;
	struct xen_slab_cache *cache;
	void *objs[64];
	unsigned int n, i, round;
	bool ok = true;

	report(PTR_ERR(create_buffers(NULL, 0)) == -EINVAL, "smoke.create-rejects-null-name");

	cache = create_buffers("smoke-buffers", 32);
	if (IS_ERR(cache)) {
		report(false, "smoke.create");
		return;
	}
	xen_slab_cache_get_stats(cache, &s);
	report(s.count >= 32 && s.pages == s.count, "smoke.create");

	for (round = 0; round < 100; round++) {
		n = xen_slab_cache_get_bulk(cache, objs, 1 + round % 64, false);
		ok &= n == 1 + round % 64;
		for (i = 0; i < n; i++)
			ok &= PAGE_ALIGNED(objs[i]) && virt_addr_valid(objs[i]);
		xen_slab_cache_put_bulk(cache, objs, n, false);
	}
	xen_slab_cache_get_stats(cache, &s);
	pr_info("xsc_smoke: bulk rounds: %s, in use %llu, ctor calls %llu, bad puts %llu\n",
		ok ? "every get whole" : "a get short", s.in_use, s.ctor_calls, s.bad_puts);
	report(ok && s.in_use == 0 && s.ctor_calls <= 64 && s.bad_puts == 0, "smoke.get-put-bulk");
	report(xen_slab_cache_audit(cache) == 0, "smoke.audit");
	xen_slab_cache_trim(cache);
	xen_slab_cache_get_stats(cache, &s);
	report(s.count >= 32, "smoke.trim-keeps-reservation");
	xen_slab_cache_destroy(cache);
	report(atomic_read(&ctor_calls) == atomic_read(&dtor_calls), "smoke.dtor-per-ctor");
}

/*
 * Gets and puts from a hard interrupt in the middle of the fast paths of a
 * thread on the same CPU.  The fast paths run with preemption off but
 * interrupts on: an interrupted one must be left alone, so the interrupt's
 * gets and puts go to the slabs (the cache's get_slow counts them).  Every
 * object carries its owner while it is out: an object handed out twice,
 * or lost, fails the check.  With 256-byte objects the thread's puts are
 * mostly inline hits of its hinted slab; with page-sized ones every put is
 * of another slab than the last, so the interrupts land in the fast paths'
 * out-of-line part (the page owner lookup, the hint, magazine exchanges).
 * With @direct the thread runs with bottom halves off, as a NAPI poll does,
 * through xen_slab_cache_get_direct() and xen_slab_cache_put_direct(); the
 * interrupts use the general API.
 */
struct irq_run {
	struct xen_slab_cache *cache;
	struct hrtimer timer;
	struct completion done;
	unsigned long fires, thread_ops, twice;
	unsigned long *held; /* by the timer */
	u64 slow_before; /* the cache's get_slow once warm, before the timer */
	bool stop;
	bool direct;
};

#define IRQ_RUN_FREE 0UL
#define IRQ_RUN_THREAD 1UL
#define IRQ_RUN_TIMER 2UL

static bool irq_run_take(struct irq_run *r, unsigned long *object, unsigned long owner)
{
	if (*object != IRQ_RUN_FREE) {
		r->twice++;
		return false;
	}
	*object = owner;
	return true;
}

static enum hrtimer_restart irq_run_timer(struct hrtimer *timer)
{
	struct irq_run *r = container_of(timer, struct irq_run, timer);
	unsigned long *o[4];
	unsigned int n, i;

	if (r->fires++ % 8) {
		/* Hold an object from one interrupt to the next. */
		if (r->held) {
			*r->held = IRQ_RUN_FREE;
			xen_slab_cache_put(r->cache, r->held, false);
			r->held = NULL;
		} else {
			r->held = xen_slab_cache_get(r->cache, false);
			if (r->held && !irq_run_take(r, r->held, IRQ_RUN_TIMER))
				r->held = NULL;
		}
	} else {
		n = xen_slab_cache_get_bulk(r->cache, (void **)o, ARRAY_SIZE(o), false);
		for (i = 0; i < n; i++)
			irq_run_take(r, o[i], IRQ_RUN_TIMER);
		for (i = 0; i < n; i++)
			*o[i] = IRQ_RUN_FREE;
		xen_slab_cache_put_bulk(r->cache, (void **)o, n, false);
	}
	if (READ_ONCE(r->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ns_to_ktime(20 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * Until 200 interrupt gets went to the slabs, or ten seconds (6.1 takes
 * well under one; under 7.3 the timer lands inside a fast path less often,
 * about 10 times a second under TCG).
 */
static int irq_run_thread(void *arg)
{
	struct irq_run *r = arg;
	unsigned long deadline = jiffies + 10 * HZ;
	struct xen_slab_cache_stats s;
	unsigned long *held[3] = {};
	void *warm[8];
	unsigned int k;

	/* Warm: the magazine holds objects for both sides. */
	k = xen_slab_cache_get_bulk(r->cache, warm, ARRAY_SIZE(warm), false);
	xen_slab_cache_put_bulk(r->cache, warm, k, false);
	xen_slab_cache_get_stats(r->cache, &s);
	r->slow_before = s.get_slow;

	hrtimer_setup(&r->timer, irq_run_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	hrtimer_start(&r->timer, ns_to_ktime(20 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED);
	do {
		if (r->direct)
			local_bh_disable();
		for (k = 0; k < 4096; k++) {
			unsigned long **slot = &held[k % ARRAY_SIZE(held)];

			if (*slot) {
				**slot = IRQ_RUN_FREE;
				if (r->direct)
					xen_slab_cache_put_direct(r->cache, *slot, false);
				else
					xen_slab_cache_put(r->cache, *slot, false);
			}
			*slot = r->direct ? xen_slab_cache_get_direct(r->cache, false) :
					    xen_slab_cache_get(r->cache, false);
			if (*slot && !irq_run_take(r, *slot, IRQ_RUN_THREAD))
				*slot = NULL;
			r->thread_ops++;
		}
		if (r->direct)
			local_bh_enable();
		xen_slab_cache_get_stats(r->cache, &s);
		cond_resched();
	} while (s.get_slow - r->slow_before < 200 && time_before(jiffies, deadline));
	WRITE_ONCE(r->stop, true);
	hrtimer_cancel(&r->timer);
	if (r->held) {
		*r->held = IRQ_RUN_FREE;
		xen_slab_cache_put(r->cache, r->held, false);
	}
	for (k = 0; k < ARRAY_SIZE(held); k++) {
		if (held[k]) {
			*held[k] = IRQ_RUN_FREE;
			xen_slab_cache_put(r->cache, held[k], false);
		}
	}
	complete(&r->done);
	return 0;
}

static int zero_ctor(void *arg, void *object)
{
	*(unsigned long *)object = IRQ_RUN_FREE;
	return 0;
}

static void run_interrupt_checks(size_t size, bool direct, const char *name)
{
	struct xen_slab_cache_args args = { .size = size, .align = size, .ctor = zero_ctor };
	struct xen_slab_cache_stats s;
	struct task_struct *task;
	struct irq_run *r;
	bool ok = false;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		goto out;
	init_completion(&r->done);
	r->direct = direct;
	r->cache = xen_slab_cache_create("smoke-irq", &args);
	if (IS_ERR(r->cache))
		goto out_free;
	task = kthread_create(irq_run_thread, r, "xsc_irq_run");
	if (IS_ERR(task))
		goto out_destroy;
	kthread_bind(task, 0);
	wake_up_process(task);
	wait_for_completion(&r->done);

	xen_slab_cache_get_stats(r->cache, &s);
	pr_info("xsc_smoke: %zu-byte objects%s: %lu thread gets and puts, %lu timer interrupts, %llu gets from the slabs while both ran, %llu from magazines, %lu handed out twice\n",
		size, direct ? " (bottom halves off, direct variants)" : "", r->thread_ops, r->fires, s.get_slow - r->slow_before, s.get_fast, r->twice);
	/* Interrupted fast paths happened: their gets went to the slabs. */
	ok = r->twice == 0 && s.get_slow - r->slow_before >= 20 && s.in_use == 0 && s.bad_puts == 0 &&
	     xen_slab_cache_audit(r->cache) == 0;
out_destroy:
	xen_slab_cache_destroy(r->cache);
out_free:
	kfree(r);
out:
	report(ok, name);
}

static int demo_fn(void *unused)
{
	static void *held[256]; /* one demo thread */
	unsigned int n = 0;

	while (!kthread_should_stop()) {
		u32 r = get_random_u32();
		unsigned int want = r % 256;

		if (want > n)
			n += xen_slab_cache_get_bulk(demo_cache, held + n, want - n, false);
		else {
			xen_slab_cache_put_bulk(demo_cache, held + want, n - want, false);
			n = want;
		}
		msleep(20);
	}
	xen_slab_cache_put_bulk(demo_cache, held, n, false);
	return 0;
}

/*
 * On CPU 0 only: a thread that moved between CPUs in the middle of the
 * bulk rounds would construct again the objects the first CPU's magazine
 * holds, and "at most 64 constructions" would depend on the scheduler.
 */
static int run_checks_thread(void *done)
{
	run_checks();
	complete(done);
	return 0;
}

static int __init xsc_smoke_init(void)
{
	if (!traffic) {
		DECLARE_COMPLETION_ONSTACK(done);
		struct task_struct *task = kthread_create(run_checks_thread, &done, "xsc_smoke_checks");

		if (IS_ERR(task)) {
			report(false, "smoke.create");
		} else {
			kthread_bind(task, 0);
			wake_up_process(task);
			wait_for_completion(&done);
		}
		run_interrupt_checks(256, false, "smoke.interrupted-fast-paths");
		run_interrupt_checks(PAGE_SIZE, false, "smoke.interrupted-fast-paths-page-objects");
		run_interrupt_checks(256, true, "smoke.interrupted-direct-fast-paths");
		run_interrupt_checks(PAGE_SIZE, true, "smoke.interrupted-direct-fast-paths-page-objects");
		return 0;
	}
	demo_cache = create_buffers("demo-rx-buffers", 64);
	if (IS_ERR(demo_cache))
		return PTR_ERR(demo_cache);
	if (forget) {
		static const struct xen_slab_cache_args plain = { .size = 64 };

		plain_cache = (struct xen_slab_cache *)work_on_cpu(0, create_plain, (void *)&plain);
		if (IS_ERR(plain_cache)) {
			xen_slab_cache_destroy(demo_cache);
			return PTR_ERR(plain_cache);
		}
	}
	demo_task = kthread_run(demo_fn, NULL, "xsc_demo");
	if (IS_ERR(demo_task)) {
		xen_slab_cache_destroy(demo_cache);
		xen_slab_cache_destroy(plain_cache);
		return PTR_ERR(demo_task);
	}
	return 0;
}

static void __exit xsc_smoke_exit(void)
{
	void *held[3];

	if (!demo_task)
		return;
	kthread_stop(demo_task);
	if (leak)
		xen_slab_cache_get_bulk(demo_cache, held, ARRAY_SIZE(held), false);
	if (!forget)
		xen_slab_cache_destroy(demo_cache);
}

module_init(xsc_smoke_init);
module_exit(xsc_smoke_exit);
MODULE_DESCRIPTION("Smoke test and demo traffic for xen_slab_cache");
MODULE_LICENSE("GPL");
