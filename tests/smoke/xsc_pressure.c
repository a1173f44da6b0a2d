// SPDX-License-Identifier: GPL-2.0
/*
 * Memory pressure on a small guest: a large cache of page-sized buffers is
 * grown and left idle, then pages are taken (no retry, no OOM killer) until
 * the kernel's reclaim has run the shrinker.  Prints "XSC-TEST: ok|not ok"
 * lines.  The cache stays loaded, idle, for the guest script's checks of the
 * shrinker on an idle cache (tests/qemu/guest-pressure.sh).
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <xen_slab_cache.h>

static unsigned int objects = 16384;
module_param(objects, uint, 0444);
MODULE_PARM_DESC(objects, "Buffers to grow the cache to before it idles");

static unsigned int reservation = 1024;
module_param(reservation, uint, 0444);
MODULE_PARM_DESC(reservation, "The cache's reservation");

static struct xen_slab_cache *cache;

static __printf(3, 4) void report(bool ok, const char *test, const char *fmt, ...)
{
	char why[96];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pr_info("XSC-TEST: %s %s # %s\n", ok ? "ok" : "not ok", test, why);
}

static u64 slabs_now(void)
{
	struct xen_slab_cache_stats s;

	xen_slab_cache_get_stats(cache, &s);
	return s.slabs;
}

static int __init xsc_pressure_init(void)
{
	struct xen_slab_cache_args args = {
		.size = PAGE_SIZE, .align = PAGE_SIZE, .reservation = reservation,
	};
	struct xen_slab_cache_stats before, after;
	struct page *page, *next;
	unsigned long taken = 0;
	LIST_HEAD(hog);
	unsigned int got;
	void **objs;
	int waited;

	cache = xen_slab_cache_create("pressure-buffers", &args);
	if (IS_ERR(cache))
		return PTR_ERR(cache);
	objs = vmalloc(array_size(objects, sizeof(*objs)));
	if (!objs) {
		xen_slab_cache_destroy(cache);
		return -ENOMEM;
	}
	got = xen_slab_cache_get_bulk(cache, objs, objects, false);
	report(got == objects, "pressure.grow", "%u of %u buffers", got, objects);
	xen_slab_cache_put_bulk(cache, objs, got, false);
	vfree(objs);
	xen_slab_cache_get_stats(cache, &before);

	/*
	 * Take pages until reclaim has shrunk the cache or there are none
	 * left; then give kswapd, which walks down its priorities until the
	 * node is balanced, a moment before judging.
	 */
	while (slabs_now() == before.slabs) {
		page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!page)
			break;
		list_add(&page->lru, &hog);
		taken++;
	}
	for (waited = 0; waited < 3000 && slabs_now() == before.slabs; waited += 10)
		msleep(10);
	xen_slab_cache_get_stats(cache, &after);
	list_for_each_entry_safe(page, next, &hog, lru)
		__free_page(page);

	pr_info("XSC-PRESSURE: %lu pages taken; slabs %llu -> %llu, reservation %u\n",
		taken, before.slabs, after.slabs, reservation);
	report(after.slabs < before.slabs, "pressure.shrinker-returns-slabs", "slabs %llu -> %llu",
	       before.slabs, after.slabs);
	report(after.count >= reservation, "pressure.reservation-kept", "count %llu, reservation %u",
	       after.count, reservation);
	report(xen_slab_cache_audit(cache) == 0 && after.in_use == 0, "pressure.consistent",
	       "in use %llu", after.in_use);
	return 0;
}

static void __exit xsc_pressure_exit(void)
{
	xen_slab_cache_destroy(cache);
}

module_init(xsc_pressure_init);
module_exit(xsc_pressure_exit);
MODULE_DESCRIPTION("Memory pressure test for xen_slab_cache");
MODULE_LICENSE("GPL");
