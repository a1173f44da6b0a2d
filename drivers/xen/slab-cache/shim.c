// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel under the allocator core: pages, metadata, per-CPU sections,
 * spinlocks, page owners and diagnostics.  See xsc_platform.h.
 */
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/kasan.h>
#include <linux/kmemleak.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

#include <xen_slab_cache.h>

#include "xsc_page_owner.h"
#include "xsc_core.h"
#include "xsc_platform.h"

static_assert(XSC_PAGE_SHIFT == PAGE_SHIFT);
static_assert(XSC_ENOMEM == ENOMEM && XSC_EINVAL == EINVAL && XSC_EUCLEAN == EUCLEAN);
static_assert(XSC_CACHE_LINE == L1_CACHE_BYTES);

/*
 * The cache's own allocations (slabs for the reservation, metadata) may
 * fail: a sleeping one reclaims but does not retry into the OOM killer.
 */
static gfp_t xsc_gfp(int may_sleep)
{
	return (may_sleep ? GFP_KERNEL | __GFP_NORETRY : GFP_NOWAIT) | __GFP_NOWARN;
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

unsigned long xsc_total_pages(void)
{
	return totalram_pages();
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

/*
 * Page owners.  A put may pass any pointer at all; the core asks
 * xsc_page_owner() for the slab of the page that holds it, so the answer
 * must come without a fault and must be NULL for every page that is not a
 * live slab page of ours.
 *
 * Where: slab pages are in the direct map, below high_memory (64-bit: no
 * highmem), so every other address (NULL, small integers, user, vmalloc,
 * module, vmapped stack and kernel image addresses) stops at the range
 * check, and pfn_valid() says whether the pfn of what passes has a struct
 * page (memory sections without one have no memmap to read).  That is
 * virt_addr_valid() without the kernel image range and without its
 * out-of-line call, which costs as much as the rest of the lookup under
 * the return thunks of the mitigated kernels.  pfn_valid()'s RCU-sched read
 * side, and the caller's (a CPU section or the slab lock), keep memory
 * hot-remove from taking the struct page away while it is read.  Reading its fields is
 * then safe whoever owns the page; what they hold is not.
 *
 * What: slab pages come from alloc_pages() without __GFP_COMP, so each page
 * of the block is a plain page: no compound head or tail, not on an LRU,
 * not in the page cache, not mapped to user space, not movable (mapping is
 * NULL and stays so).  In struct page of 6.1 (include/linux/mm_types.h),
 * such a page's "page cache and anonymous" words index and private are
 * free for its owner: the page allocator uses private (buddy order) and
 * index (pcp migratetype) only while the page is free (it clears private
 * of the head page at allocation, post_alloc_hook(); we write every page); compaction and migration touch
 * only LRU or movable pages; the first word of the union (compound_head,
 * bit 0 = PageTail) and mapping are left alone.  The same holds in 7.3,
 * where index is called __folio_index (xsc_page_index(), xsc_compat.h) and
 * the allocator no longer uses it at all; 7.3, when it checks pages at
 * free, wants private of every page but the head of a block to be 0
 * (docs/design.md, "Page owners", has the fields per kernel).  So private holds the
 * owner and index owner ^ xsc_owner_cookie, a random odd value chosen at
 * module init; an owner is accepted only when both agree and mapping is
 * NULL.  Another subsystem's page (slab, page table, page pool, page cache,
 * free pages) holds values of its own there: that they agree with a secret
 * cookie nobody else uses is a chance of about 2^-63 per page looked at;
 * zeroed fields never agree, as the cookie is not zero.
 *
 * When: the owner is recorded before any slot of the slab is handed out and
 * cleared (private and index back to 0, as the allocator left them) before
 * the pages go back with __free_pages().  A page may outlive that call:
 * xen-slab-netfront hands an order-0 object page with a reference of its
 * own (get_page()) to the grant table's deferred list, whose put_page()
 * frees it later (drivers/xen/grant-table.c, gnttab_handle_deferred()).
 * That page then has no owner already, and the page allocator checks
 * mapping, not private or index, when it is finally freed.  A reader that
 * races with set or clear reads index and private separately; any mix is
 * either refused or names an owner recorded for the page, whose metadata
 * the core frees only after an RCU grace period (every reader runs in an
 * RCU read side: a CPU section with interrupts off, or under the slab
 * lock).
 */
static unsigned long xsc_owner_cookie __read_mostly;

void xsc_shim_init(void)
{
	xsc_owner_cookie = get_random_long() | 1;
}

void xsc_pages_set_owner(void *pages, unsigned int order, void *owner)
{
	struct page *page = virt_to_page(pages);
	unsigned long i;

	/* The owner's metadata before the records that name it. */
	smp_wmb();
	for (i = 0; i < 1UL << order; i++) {
		WRITE_ONCE(page[i].private, (unsigned long)owner);
		WRITE_ONCE(xsc_page_index(&page[i]), (unsigned long)owner ^ xsc_owner_cookie);
	}
}

void xsc_pages_clear_owner(void *pages, unsigned int order)
{
	struct page *page = virt_to_page(pages);
	unsigned long i;

	for (i = 0; i < 1UL << order; i++) {
		WRITE_ONCE(xsc_page_index(&page[i]), 0);
		WRITE_ONCE(page[i].private, 0);
	}
}

void xsc_assert_failed(const char *cond, const char *file, int line)
{
	WARN_ONCE(1, "xen_slab_cache: %s:%d: assertion failed: %s\n", file, line, cond);
}

void xsc_rcu_read_lock(void)
{
	rcu_read_lock();
}

void xsc_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void *xsc_page_owner(const void *address)
{
	/*
	 * The slab an owner names is freed a grace period after its pages
	 * (the core's free_slab()): only a reader in an RCU read side may
	 * follow it.  A caller's lock that leaves preemption on (a mutex)
	 * is not one.
	 */
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(),
			 "xen_slab_cache: page owner read outside an RCU read side");
	return xsc_page_owner_lookup(address, xsc_owner_cookie);
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
 * The get and put of the API: the magazine fast path (xsc_front.h) runs
 * inline here with preemption off, on the current CPU; interrupts stay on
 * (it holds its CPU's re-entry guard meanwhile, and an interrupt's gets
 * and puts then go to the slabs).  What the loaded magazine cannot do, the
 * core does in the same section (xsc_get_missed(), xsc_put_missed()), or
 * in its slow paths after it.  Every case but the served one leaves by a
 * tail call, so that the served one needs no stack frame.
 *
 * Each entry point starts on a 512-byte boundary and is shorter than that,
 * so that no page boundary splits its fast path: under QEMU's TCG a jump
 * into another page is a lookup of the next translated block, which made
 * a get+put pair 25% slower in a build whose put straddled one (74.5 ns
 * against 56-60; docs/performance.md), and on hardware it is a second
 * instruction TLB entry.  A section each, so that the padding is the
 * module loader's, not a jump over filler inside .text.
 */
#define XSC_ENTRY_POINT(name) __section(".text.xsc_entry_" #name) __aligned(512)

static noinline void *xsc_get_missed(struct xen_slab_cache *cache, struct xsc_cpu_front *f,
				     bool locked)
{
	void *object = xsc_cache_get_in_section(cache, f);

	preempt_enable();
	if (likely(object))
		return object;
	return xsc_cache_get_slow(cache, locked);
}

XSC_ENTRY_POINT(get) void *xen_slab_cache_get(struct xen_slab_cache *cache, bool locked)
{
	struct xsc_cpu_front *f;
	void *object;

	preempt_disable();
	f = xsc_front_cpu(cache, smp_processor_id());
	switch (xsc_front_try_get(f, &object)) {
	case XSC_FRONT_DONE:
		preempt_enable();
		return object;
	case XSC_FRONT_MISS:
		return xsc_get_missed(cache, f, locked);
	default:
		preempt_enable();
		return xsc_cache_get_slow(cache, locked);
	}
}

static noinline void xsc_put_missed(struct xen_slab_cache *cache, struct xsc_cpu_front *f,
				    void *object, bool locked)
{
	int taken = xsc_cache_put_in_section(cache, object, f);

	preempt_enable();
	if (unlikely(!taken))
		xsc_cache_put_slow(cache, object, locked);
}

XSC_ENTRY_POINT(put) void xen_slab_cache_put(struct xen_slab_cache *cache, void *object, bool locked)
{
	struct xsc_cpu_front *f;

	preempt_disable();
	f = xsc_front_cpu(cache, smp_processor_id());
	switch (xsc_front_try_put((const struct xsc_front *)cache, f, object)) {
	case XSC_FRONT_DONE:
		preempt_enable();
		return;
	case XSC_FRONT_MISS:
		xsc_put_missed(cache, f, object, locked);
		return;
	default:
		preempt_enable();
		xsc_cache_put_slow(cache, object, locked);
	}
}

/*
 * The same for callers whose preemption is off already (softirq and NAPI
 * poll, a spinlock held, a hard interrupt): without the preemption counter.
 * The re-entry guard stays: an interrupt may still land in the fast path.
 */
static noinline void *xsc_get_missed_direct(struct xen_slab_cache *cache,
					    struct xsc_cpu_front *f, bool locked)
{
	void *object = xsc_cache_get_in_section(cache, f);

	if (likely(object))
		return object;
	return xsc_cache_get_slow(cache, locked);
}

XSC_ENTRY_POINT(get_direct) void *xen_slab_cache_get_direct(struct xen_slab_cache *cache, bool locked)
{
	struct xsc_cpu_front *f;
	void *object;

	lockdep_assert_preemption_disabled();
	f = xsc_front_cpu(cache, smp_processor_id());
	switch (xsc_front_try_get(f, &object)) {
	case XSC_FRONT_DONE:
		return object;
	case XSC_FRONT_MISS:
		return xsc_get_missed_direct(cache, f, locked);
	default:
		return xsc_cache_get_slow(cache, locked);
	}
}

static noinline void xsc_put_missed_direct(struct xen_slab_cache *cache,
					   struct xsc_cpu_front *f, void *object, bool locked)
{
	if (unlikely(!xsc_cache_put_in_section(cache, object, f)))
		xsc_cache_put_slow(cache, object, locked);
}

XSC_ENTRY_POINT(put_direct) void xen_slab_cache_put_direct(struct xen_slab_cache *cache, void *object, bool locked)
{
	struct xsc_cpu_front *f;

	lockdep_assert_preemption_disabled();
	f = xsc_front_cpu(cache, smp_processor_id());
	switch (xsc_front_try_put((const struct xsc_front *)cache, f, object)) {
	case XSC_FRONT_DONE:
		return;
	case XSC_FRONT_MISS:
		xsc_put_missed_direct(cache, f, object, locked);
		return;
	default:
		xsc_cache_put_slow(cache, object, locked);
	}
}
