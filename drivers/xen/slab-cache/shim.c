// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel under the allocator core: pages, metadata, per-CPU sections,
 * spinlocks, the slab index and diagnostics.  See xsc_platform.h.
 */
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/kasan.h>
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include <xen_slab_cache.h>

#include "xsc_platform.h"

static_assert(XSC_PAGE_SHIFT == PAGE_SHIFT);
static_assert(XSC_ENOMEM == ENOMEM && XSC_EINVAL == EINVAL && XSC_EUCLEAN == EUCLEAN);
static_assert(XSC_CACHE_LINE == L1_CACHE_BYTES);

static gfp_t xsc_gfp(int may_sleep)
{
	return (may_sleep ? GFP_KERNEL : GFP_NOWAIT) | __GFP_NOWARN;
}

void *xsc_pages_alloc(unsigned int order, int may_sleep)
{
	struct page *page = alloc_pages(xsc_gfp(may_sleep), order);

	return page ? page_address(page) : NULL;
}

void xsc_pages_free(void *addr, unsigned int order)
{
	__free_pages(virt_to_page(addr), order);
}

#ifdef XSC_POISON
/*
 * Generic KASAN's shadow-writing function; 6.1 exports it but declares it
 * only in mm/kasan/kasan.h.  Free objects carry KASAN_SLAB_FREE, so an
 * access is reported as a use-after-free.
 */
void kasan_poison(const void *addr, size_t size, u8 value, bool init);
#define XSC_KASAN_FREE 0xFB

void xsc_poison(void *addr, unsigned long size)
{
	kasan_poison(addr, size, XSC_KASAN_FREE, false);
}

void xsc_unpoison(void *addr, unsigned long size)
{
	kasan_poison(addr, size, 0, false);
}

int xsc_poisoned(const void *addr)
{
	return *(u8 *)kasan_mem_to_shadow(addr) == XSC_KASAN_FREE;
}
#endif

/* Metadata carries an RCU head in front, so that it can be freed deferred. */
struct xsc_meta {
	struct rcu_head rcu;
	unsigned long data[];
};

void *xsc_meta_alloc(unsigned long size, int may_sleep)
{
	struct xsc_meta *meta = kzalloc(sizeof(*meta) + size, xsc_gfp(may_sleep));

	return meta ? meta->data : NULL;
}

void xsc_meta_free(void *ptr)
{
	if (ptr)
		kfree(container_of(ptr, struct xsc_meta, data));
}

void xsc_meta_free_deferred(void *ptr)
{
	struct xsc_meta *meta = container_of(ptr, struct xsc_meta, data);

	kfree_rcu(meta, rcu);
}

void xsc_meta_leak(void *ptr)
{
	kmemleak_not_leak(container_of(ptr, struct xsc_meta, data));
}

unsigned int xsc_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

unsigned long xsc_cpu_enter(unsigned int *cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	*cpu = smp_processor_id();
	return flags;
}

void xsc_cpu_exit(unsigned long flags)
{
	local_irq_restore(flags);
}

struct xsc_lock {
	spinlock_t lock;
};

struct xsc_lock *xsc_lock_alloc(enum xsc_lock_kind kind)
{
	static struct lock_class_key slab_key, depot_key;
	struct xsc_lock *lock = kmalloc(sizeof(*lock), GFP_KERNEL);

	if (!lock)
		return NULL;
	spin_lock_init(&lock->lock);
	if (kind == XSC_LOCK_SLAB)
		lockdep_set_class_and_name(&lock->lock, &slab_key, "xen_slab_cache.slab");
	else
		lockdep_set_class_and_name(&lock->lock, &depot_key, "xen_slab_cache.depot");
	return lock;
}

void xsc_lock_free(struct xsc_lock *lock)
{
	kfree(lock);
}

unsigned long xsc_lock_irqsave(struct xsc_lock *lock)
{
	unsigned long flags;

	spin_lock_irqsave(&lock->lock, flags);
	return flags;
}

void xsc_unlock_irqrestore(struct xsc_lock *lock, unsigned long flags)
{
	spin_unlock_irqrestore(&lock->lock, flags);
}

struct xsc_index {
	struct xarray xa;
};

struct xsc_index *xsc_index_alloc(void)
{
	struct xsc_index *index = kmalloc(sizeof(*index), GFP_KERNEL);

	if (index)
		xa_init_flags(&index->xa, XA_FLAGS_LOCK_IRQ);
	return index;
}

void xsc_index_free(struct xsc_index *index)
{
	xa_destroy(&index->xa);
	kfree(index);
}

unsigned long xsc_address_base(void)
{
	return PAGE_OFFSET;
}

/* Callers may already run with interrupts off: save and restore them. */
int xsc_index_store(struct xsc_index *index, unsigned long key, void *value, int may_sleep)
{
	unsigned long flags;
	void *old;

	xa_lock_irqsave(&index->xa, flags);
	old = __xa_store(&index->xa, key, value, xsc_gfp(may_sleep));
	xa_unlock_irqrestore(&index->xa, flags);
	return xa_err(old);
}

void *xsc_index_load(struct xsc_index *index, unsigned long key)
{
	return xa_load(&index->xa, key);
}

void xsc_index_erase(struct xsc_index *index, unsigned long key)
{
	unsigned long flags;

	xa_lock_irqsave(&index->xa, flags);
	__xa_erase(&index->xa, key);
	xa_unlock_irqrestore(&index->xa, flags);
}

int xsc_run_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
	return smp_call_function_single(cpu, fn, arg, 1);
}

void xsc_warn(const char *cache, const char *what, long value)
{
	WARN(1, "xen_slab_cache %s: %s (%ld)\n", cache, what, value);
}

void xsc_might_sleep(void)
{
	might_sleep();
}

/*
 * The get and put of the API: the magazine fast path of the core runs
 * inline here with preemption off, on the current CPU; interrupts stay on
 * (the core marks its CPU's front end busy meanwhile, and an interrupt's
 * gets and puts then go to the slabs).  Everything else is in the core's
 * slow paths.
 */
void *xen_slab_cache_get(struct xen_slab_cache *cache, bool locked)
{
	void *object;

	preempt_disable();
	object = xsc_cache_get_on_cpu(cache, smp_processor_id());
	preempt_enable();
	if (likely(object))
		return object;
	return xsc_cache_get_slow(cache, locked);
}

void xen_slab_cache_put(struct xen_slab_cache *cache, void *object, bool locked)
{
	int taken;

	preempt_disable();
	taken = xsc_cache_put_on_cpu(cache, object, smp_processor_id());
	preempt_enable();
	if (unlikely(!taken))
		xsc_cache_put_slow(cache, object, locked);
}
