// SPDX-License-Identifier: GPL-2.0
/*
 * Exercises xen_slab_cache on a kernel without KUnit (the Debian kernel, as a
 * plain guest or a Xen dom0) and prints one "XSC-TEST: ok|not ok" line per
 * check.  With traffic=1 it keeps a cache busy from a kthread until unloaded,
 * for the demo.  Two kinds of misbehaving user, for the module lifetime
 * tests: with leak=1 it still holds three buffers when it destroys that
 * cache at unload; with forget=1 it does not destroy it at all.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#include <xen_slab_cache.h>

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
static struct xen_slab_cache *demo_cache;
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
	report(ok && s.in_use == 0 && s.ctor_calls <= 64 && s.bad_puts == 0, "smoke.get-put-bulk");
	report(xen_slab_cache_audit(cache) == 0, "smoke.audit");
	xen_slab_cache_trim(cache);
	xen_slab_cache_get_stats(cache, &s);
	report(s.count >= 32, "smoke.trim-keeps-reservation");
	xen_slab_cache_destroy(cache);
	report(atomic_read(&ctor_calls) == atomic_read(&dtor_calls), "smoke.dtor-per-ctor");
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

static int __init xsc_smoke_init(void)
{
	if (!traffic) {
		run_checks();
		return 0;
	}
	demo_cache = create_buffers("demo-rx-buffers", 64);
	if (IS_ERR(demo_cache))
		return PTR_ERR(demo_cache);
	demo_task = kthread_run(demo_fn, NULL, "xsc_demo");
	if (IS_ERR(demo_task)) {
		xen_slab_cache_destroy(demo_cache);
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
