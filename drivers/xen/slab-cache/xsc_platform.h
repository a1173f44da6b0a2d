/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the allocator core (C++, no kernel header) calls in the platform under
 * it: the kernel shim (shim.c, main.c) or the host platforms of the tests and
 * benchmarks (tests/host/platform.cpp, bench/host/platform_bench.cpp).  Plain
 * C types only.  The other direction, the core's entry points that only the
 * platform calls, is xsc_core.h.
 */
#ifndef XSC_PLATFORM_H
#define XSC_PLATFORM_H

#ifdef __cplusplus
extern "C" {
#endif

#define XSC_PAGE_SHIFT 12
#define XSC_PAGE_SIZE (1UL << XSC_PAGE_SHIFT)
#define XSC_CACHE_LINE 64

#define XSC_ENOMEM 12
#define XSC_EINVAL 22
#define XSC_EUCLEAN 117

/*
 * 2^order pages, naturally aligned to their size in the address space the
 * core sees (the kernel's direct map).  @may_sleep selects a sleeping
 * allocation (reclaim, but never the OOM killer: it may fail) over an
 * atomic one.  NULL when there is no memory.
 */
void *xsc_pages_alloc(unsigned int order, int may_sleep);
void xsc_pages_free(void *addr, unsigned int order);

/*
 * Checked builds (XSC_POISON defined: the kernel's generic KASAN, ASan on the
 * host) poison free objects so that an access to an object after its put,
 * or to a slot never handed out, is reported.  xsc_poisoned() says whether
 * the first byte at @addr carries this cache's poison, without a report.
 * @addr and @size are multiples of XSC_POISON_GRANULE when the platform
 * defines it (the kernel: 8).
 */
void xsc_poison(void *addr, unsigned long size);
void xsc_unpoison(void *addr, unsigned long size);
int xsc_poisoned(const void *addr);

/* Zeroed metadata; xsc_meta_free_deferred() frees after an RCU grace period. */
void *xsc_meta_alloc(unsigned long size, int may_sleep);
void xsc_meta_free(void *ptr);
void xsc_meta_free_deferred(void *ptr);

/* A debug assertion of the core failed (checked builds: XSC_DEBUG). */
void xsc_assert_failed(const char *cond, const char *file, int line);

/* Highest possible CPU number + 1. */
unsigned int xsc_nr_cpu_ids(void);

/* Pages of memory the system has (totalram_pages()). */
unsigned long xsc_total_pages(void);

/*
 * A per-CPU section: interrupts off on the current CPU, which is returned in
 * *@cpu.  Also an RCU read-side critical section.
 */
unsigned long xsc_cpu_enter(unsigned int *cpu);
void xsc_cpu_exit(unsigned long flags);

/*
 * An RCU read-side critical section, for page owner lookups outside a CPU
 * section: under the slab lock, which may be a caller's mutex.
 */
void xsc_rcu_read_lock(void);
void xsc_rcu_read_unlock(void);

/* Spinlocks, taken with interrupts off.  @kind separates lockdep classes. */
enum xsc_lock_kind { XSC_LOCK_SLAB, XSC_LOCK_DEPOT };
struct xsc_lock;
struct xsc_lock *xsc_lock_alloc(enum xsc_lock_kind kind);
void xsc_lock_free(struct xsc_lock *lock);
unsigned long xsc_lock_irqsave(struct xsc_lock *lock);
void xsc_unlock_irqrestore(struct xsc_lock *lock, unsigned long flags);

/**
 * xsc_pages_set_owner() - record the owner of pages from xsc_pages_alloc()
 * @pages: the first page, as xsc_pages_alloc() returned it
 * @order: the order it was allocated with
 * @owner: non-NULL; what xsc_page_owner() returns for every page of the block
 *
 * Cannot fail.  Stores that xsc_page_owner() may read concurrently.
 */
void xsc_pages_set_owner(void *pages, unsigned int order, void *owner);

/**
 * xsc_pages_clear_owner() - forget the owner of pages before they are freed
 * @pages: the first page, as xsc_pages_alloc() returned it
 * @order: the order it was allocated with
 *
 * Afterwards xsc_page_owner() returns NULL for them, except to a reader that
 * had already begun (an RCU reader: the owner must outlive a grace period).
 */
void xsc_pages_clear_owner(void *pages, unsigned int order);

/**
 * xsc_page_owner() - the owner of the page holding an address
 * @address: any value at all (NULL, small integers, addresses of stacks,
 *	modules, vmalloc or user space, of freed pages, of pages of others)
 *
 * Return: the owner that xsc_pages_set_owner() recorded for the page that
 * holds @address, or NULL when it has none.  Never faults; never returns
 * an owner for a page that has none.  The result may be an owner cleared
 * since; the caller keeps owners alive for an RCU grace period (a CPU
 * section is a read side).
 */
void *xsc_page_owner(const void *address);

/* The kernel platform's setup, at module init (before any cache exists). */
void xsc_shim_init(void);

/* Run @fn(@arg) on @cpu with interrupts off and wait; -errno when it is offline. */
int xsc_run_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg);

/* A kernel warning with a backtrace: "xen_slab_cache <cache>: <what> (<value>)". */
void xsc_warn(const char *cache, const char *what, long value);

/* Non-zero: caches created now bypass their magazines (debugging double puts). */
int xsc_strict_puts(void);

/* Annotates code that may sleep. */
void xsc_might_sleep(void);

/* Metadata deliberately leaked (of slabs still in use at destroy). */
void xsc_meta_leak(void *ptr);

/* The platform's list of caches, for the monitor, the shrinker, CPU hotplug and debugfs. */
struct xen_slab_cache;
int xsc_registry_add(struct xen_slab_cache *cache);
void xsc_registry_remove(struct xen_slab_cache *cache);
/*
 * Who created @cache: @owner is the creating module (NULL: built-in code),
 * @args holds its callbacks.  A module that is either must destroy the
 * cache before it goes.
 */
struct xen_slab_cache_args;
struct module;
void xsc_registry_set_creator(struct xen_slab_cache *cache, const struct xen_slab_cache_args *args,
			      struct module *owner);

#ifdef __cplusplus
}
#endif

#endif /* XSC_PLATFORM_H */
