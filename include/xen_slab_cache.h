/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_slab_cache: a cache of constructed objects for Xen drivers.
 *
 * A port of the Xen Windows PV drivers' object cache (XENBUS_CACHE): objects
 * that are expensive to build (a buffer with its page, a grant reference) are
 * constructed once, kept constructed while free, packed into as few slabs as
 * possible and served per CPU from magazines.  A monitor thread keeps each
 * cache filled to its reservation and gives empty slabs back.
 *
 * The header is valid C and C++; C++ users need no kernel header.
 */
#ifndef XEN_SLAB_CACHE_H
#define XEN_SLAB_CACHE_H

#if defined(__KERNEL__) && !defined(__cplusplus)
#include <linux/types.h>
#else
typedef __SIZE_TYPE__ size_t;
typedef unsigned long long u64;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Largest object size a cache accepts: sixteen 4 KiB pages. */
#define XEN_SLAB_CACHE_MAX_SIZE (16UL * 4096UL)

/* Longest cache name kept (longer names are truncated). */
#define XEN_SLAB_CACHE_NAME_LEN 32

struct xen_slab_cache;

/**
 * enum xen_slab_cache_policy - how a cache orders its slabs and uses magazines
 * @XEN_SLAB_CACHE_POLICY_DEFAULT: this cache's own: slabs fullest first
 *	through occupancy bins, empty slabs freed by the monitor or the
 *	shrinker, a loaded and a previous magazine per CPU in front of a depot,
 *	idle magazines returned by the monitor.
 * @XEN_SLAB_CACHE_POLICY_2019: the original's policy of 2019: slabs fullest
 *	first with a cursor, empty slabs freed only by a monitor pass; one
 *	6-slot magazine per CPU, no previous magazine, no depot; magazines are
 *	never drained (except when a CPU dies and at destroy); every get and
 *	put updates one shared counter; no reaction to memory pressure.
 * @XEN_SLAB_CACHE_POLICY_PRE2019: the original's policy before 2019: slabs
 *	least occupied first, and a slab is freed the moment it empties (above
 *	the reservation), by the put that empties it, so that destructors run
 *	in the context of that put; otherwise as %XEN_SLAB_CACHE_POLICY_2019.
 * @XEN_SLAB_CACHE_POLICY_NO_MAGAZINES: the default policy with the
 *	magazines bypassed: every get and put goes to the slab layer (to
 *	measure that path).
 *
 * Under the default and %XEN_SLAB_CACHE_POLICY_NO_MAGAZINES construction
 * is lazy (a slot is constructed when first handed out); under the
 * original's policies a new slab constructs all its slots at once, as the
 * original did before 2022, and a constructor failure fails the slab (what
 * it constructed is destructed in that context).  The policies other than
 * the default exist for comparisons (benchmarks); the statistics name a
 * cache's policy.
 */
enum xen_slab_cache_policy {
	XEN_SLAB_CACHE_POLICY_DEFAULT = 0,
	XEN_SLAB_CACHE_POLICY_2019,
	XEN_SLAB_CACHE_POLICY_PRE2019,
	XEN_SLAB_CACHE_POLICY_NO_MAGAZINES,
};

/**
 * struct xen_slab_cache_args - how a cache is built
 * @size: object size in bytes, 1 .. %XEN_SLAB_CACHE_MAX_SIZE.
 * @align: object alignment; 0 means 8; otherwise a power of two up to the
 *	page size.  A page-sized object with page alignment occupies exactly one
 *	page (slab metadata lives outside the objects), so it can be granted whole.
 * @reservation: object slots kept allocated in slabs even when the cache is
 *	idle.  Creating the cache fills them; the monitor and the shrinker never
 *	free below it.  Its slabs may take at most half of the system's memory.
 * @cap: most objects handed out at once; 0 means unlimited.  Must not be
 *	below @reservation.
 * @ctor: optional constructor, run the first time a slot is handed out; may
 *	run in atomic context; returns 0 or a negative errno, in which case that
 *	get returns NULL and the slot stays unconstructed.
 * @dtor: optional destructor, run once for each constructed object when its
 *	slab is freed; in process context (the monitor, the shrinker, CPU
 *	hotplug, destroy) with no cache spinlock held, but possibly with the
 *	module's list of caches locked: it must not create or destroy a cache.
 *	Under the original's policies it may also run in the context of a put
 *	(%XEN_SLAB_CACHE_POLICY_PRE2019) or of a get whose eager construction
 *	of a new slab failed, with the caller's lock held if it passed locked = true.
 * @acquire_lock: optional; with @release_lock, the caller's lock that guards
 *	the slab layer.  Give both or neither.  Any lock the contexts of the
 *	caller's gets and puts allow (a mutex only if all of them may
 *	sleep); the cache never takes it from reclaim: the shrinker leaves
 *	such a cache to the monitor thread.
 * @release_lock: see @acquire_lock.
 * @arg: passed to every callback.
 * @policy: an &enum xen_slab_cache_policy; 0 (the default) for this cache's
 *	own policy.  The others model the original cache for comparisons.
 */
struct xen_slab_cache_args {
	size_t size;
	size_t align;
	unsigned int reservation;
	unsigned int cap;
	int (*ctor)(void *arg, void *object);
	void (*dtor)(void *arg, void *object);
	void (*acquire_lock)(void *arg);
	void (*release_lock)(void *arg);
	void *arg;
	unsigned int policy;
};

/**
 * struct xen_slab_cache_stats - a snapshot of one cache's counters
 * @count: object slots held in slabs.
 * @reservation: the reservation given at creation.
 * @cap: the cap given at creation (0: unlimited).
 * @in_use: objects handed out and not yet put back.
 * @in_use_max: highest @in_use seen at a slab-layer visit or a stats read.
 * @slabs: slabs held now.
 * @slabs_max: most slabs held at once.
 * @pages: pages held by slabs.
 * @slab_objects: object slots in one slab.
 * @slab_order: page order of one slab.
 * @ctor_calls: constructor calls (successful or not).
 * @ctor_failures: constructor calls that failed.
 * @dtor_calls: destructor calls.
 * @get_failures: gets that returned NULL (no memory, ctor failure or cap).
 * @get_fast: gets served by magazines (the CPU's own or the depot's), no slab lock.
 * @get_slow: gets served by the slab layer.
 * @put_fast: puts absorbed by magazines, no slab lock.
 * @put_slow: puts that went to the slab layer.
 * @depot_full: full magazines in the depot.
 * @depot_empty: empty magazines in the depot.
 * @bad_puts: puts refused because the pointer was not a busy object of this cache.
 * @cached: free objects held in per-CPU magazines and the depot (they keep
 *	their slabs busy until a monitor pass, the shrinker or CPU offline
 *	returns them).
 * @policy: the cache's &enum xen_slab_cache_policy.
 */
struct xen_slab_cache_stats {
	u64 count;
	u64 reservation;
	u64 cap;
	u64 in_use;
	u64 in_use_max;
	u64 slabs;
	u64 slabs_max;
	u64 pages;
	u64 slab_objects;
	u64 slab_order;
	u64 ctor_calls;
	u64 ctor_failures;
	u64 dtor_calls;
	u64 get_failures;
	u64 get_fast;
	u64 get_slow;
	u64 put_fast;
	u64 put_slow;
	u64 depot_full;
	u64 depot_empty;
	u64 bad_puts;
	u64 cached;
	u64 policy;
};

struct module;

/**
 * xen_slab_cache_create_owned() - create a cache owned by a module
 * @name: as for xen_slab_cache_create().
 * @args: as for xen_slab_cache_create().
 * @owner: the module that creates the cache and must destroy it before it
 *	goes (NULL for built-in code).  Callers use xen_slab_cache_create(),
 *	which passes their own module.
 *
 * A module that goes away with a cache it created, or gave callbacks to,
 * still alive gets a warning and the cache is destroyed then.
 *
 * Context and return: as for xen_slab_cache_create().
 */
struct xen_slab_cache *xen_slab_cache_create_owned(const char *name,
						   const struct xen_slab_cache_args *args,
						   struct module *owner);

#ifdef MODULE
extern struct module __this_module;
#define XEN_SLAB_CACHE_THIS_MODULE (&__this_module)
#else
#define XEN_SLAB_CACHE_THIS_MODULE ((struct module *)0)
#endif

/**
 * xen_slab_cache_create() - create a cache and fill its reservation
 * @name: name shown in debugfs and warnings; must not be NULL.
 * @args: sizes, limits and callbacks; copied, need not outlive the call.
 *
 * The caller's module owns the cache (THIS_MODULE, taken here, inline, so
 * that a wrapper in another module or a tail call cannot change it).
 *
 * Context: process context; may sleep.
 * The cache's own page allocations may fail (they never invoke the OOM
 * killer).
 * Return: the cache, ERR_PTR(-EINVAL) for bad arguments (an unknown policy
 * among them) or ERR_PTR(-ENOMEM) when the reservation's slabs would take
 * more than half of memory or cannot be allocated.  Nothing stays
 * allocated on failure.
 */
static inline struct xen_slab_cache *xen_slab_cache_create(const char *name,
							   const struct xen_slab_cache_args *args)
{
	return xen_slab_cache_create_owned(name, args, XEN_SLAB_CACHE_THIS_MODULE);
}

/**
 * xen_slab_cache_destroy() - free a cache and every object it holds
 * @cache: the cache; NULL or an error pointer is ignored.
 *
 * Every constructed object is destructed.  Objects still in use are a bug of
 * the caller: the cache warns once with their count and leaks their slabs
 * rather than free memory somebody still uses.
 *
 * Context: process context; may sleep.
 */
void xen_slab_cache_destroy(struct xen_slab_cache *cache);

/**
 * xen_slab_cache_get() - take a constructed object
 * @cache: the cache.
 * @locked: true when the caller already holds the lock of @acquire_lock;
 *	must be false for a cache without lock callbacks.
 *
 * Context: any context but NMI.
 * Return: the object, or NULL when no memory could be found, the constructor
 * failed, or @cap objects are in use.
 */
void *xen_slab_cache_get(struct xen_slab_cache *cache, bool locked);

/**
 * xen_slab_cache_put() - give an object back, still constructed
 * @cache: the cache it came from.
 * @object: the object.
 * @locked: as for xen_slab_cache_get().
 *
 * A pointer that is not the start of an object of @cache (another cache's,
 * the middle of an object, outside every slab, into a freed slab) is
 * refused with a warning (once per cache) and the cache stays consistent.
 * A second put of an object is refused when the object is the one this CPU
 * put last, or by the slow and bulk paths once it is back in its slab; in
 * a production kernel the inline fast path does not test the latter, nor
 * any second put of an object that sits in a magazine below its top.  Such
 * a second put that is taken corrupts the cache: the object is handed out
 * twice, and its slab may go back to the page allocator while a magazine
 * still holds it.  Kernels with generic KASAN, and caches created with the
 * module parameter strict_puts=1, refuse every second put.
 *
 * Context: any context but NMI.
 */
void xen_slab_cache_put(struct xen_slab_cache *cache, void *object, bool locked);

/**
 * xen_slab_cache_get_direct() - xen_slab_cache_get() with preemption off
 * @cache: the cache.
 * @locked: as for xen_slab_cache_get().
 *
 * The same as xen_slab_cache_get(), for callers that run with preemption
 * disabled already -- a NAPI poll or other softirq (bottom halves off), a
 * spinlock held, a hard interrupt -- as page_pool_recycle_direct() is for
 * callers in their pool's NAPI context: the fast path skips the preemption
 * counter.  Interrupts may stay on.  Lockdep kernels warn when preemption
 * is on.
 *
 * Context: preemption disabled, not NMI.
 * Return: as for xen_slab_cache_get().
 */
void *xen_slab_cache_get_direct(struct xen_slab_cache *cache, bool locked);

/**
 * xen_slab_cache_put_direct() - xen_slab_cache_put() with preemption off
 * @cache: the cache it came from.
 * @object: the object.
 * @locked: as for xen_slab_cache_get().
 *
 * The same as xen_slab_cache_put(), with the same checks, for the callers
 * of xen_slab_cache_get_direct().
 *
 * Context: preemption disabled, not NMI.
 */
void xen_slab_cache_put_direct(struct xen_slab_cache *cache, void *object, bool locked);

/**
 * xen_slab_cache_get_bulk() - take up to @n objects
 * @cache: the cache.
 * @objects: array of at least @n entries that receives the objects.
 * @n: how many are wanted.
 * @locked: as for xen_slab_cache_get().
 *
 * Context: any context but NMI.
 * Return: how many objects were stored at the start of @objects.
 */
unsigned int xen_slab_cache_get_bulk(struct xen_slab_cache *cache, void **objects,
				     unsigned int n, bool locked);

/**
 * xen_slab_cache_put_bulk() - give @n objects back
 * @cache: the cache.
 * @objects: the objects.
 * @n: how many.
 * @locked: as for xen_slab_cache_get().
 *
 * Context: any context but NMI.
 */
void xen_slab_cache_put_bulk(struct xen_slab_cache *cache, void **objects,
			     unsigned int n, bool locked);

/**
 * xen_slab_cache_trim() - run one monitor pass for @cache now
 * @cache: the cache.
 *
 * Fills the reservation, returns magazines that were idle for a whole period
 * to the slabs and frees, never below the reservation, the slabs that stayed
 * empty for the whole period since the last pass (and those that this pass
 * empties).  After a burst drains, two passes bring a cache back to its
 * reservation.  Under %XEN_SLAB_CACHE_POLICY_2019 and
 * %XEN_SLAB_CACHE_POLICY_PRE2019 it frees empty slabs down to
 * max(reservation, count / 2), as the original did.
 *
 * Context: process context; may sleep.
 */
void xen_slab_cache_trim(struct xen_slab_cache *cache);

/**
 * xen_slab_cache_purge() - destruct every free object, to be constructed anew
 * @cache: the cache.
 *
 * For a caller whose constructed state went stale all at once: after a Xen
 * guest is restored (or migrated), every grant reference it had is void, so
 * a constructor that granted its object's page must run again before the
 * backend may see that object.  Returns the objects of every CPU's magazines
 * and of the depot to the slabs, then runs the destructor of every free
 * object whose constructor has run and marks it unconstructed; the next get
 * of it runs the constructor again.  Objects in use are left alone: they are
 * the caller's to deal with (e.g. to grant again).  Slabs are not freed, so
 * the reservation stays allocated.  Destructors run outside every spinlock,
 * as for a monitor pass.
 *
 * Every free object is destructed when nothing gets or puts objects of
 * @cache meanwhile (a frontend that is disconnected while it resumes); an
 * object put while the purge runs may stay constructed in a magazine.
 *
 * Context: process context; may sleep.
 * Return: how many objects were destructed.
 */
unsigned long xen_slab_cache_purge(struct xen_slab_cache *cache);

/**
 * xen_slab_cache_audit() - check every invariant of the slab layer
 * @cache: the cache.
 *
 * Checks the occupancy order, the cursor, the bitmaps against every count and
 * the totals against the statistics.
 *
 * Context: process context or softirq; takes the slab lock.
 * Return: 0 when everything holds, -EUCLEAN otherwise.
 */
int xen_slab_cache_audit(struct xen_slab_cache *cache);

/**
 * xen_slab_cache_get_stats() - read the cache's counters
 * @cache: the cache.
 * @stats: receives the snapshot.
 *
 * Context: any context but NMI.
 */
void xen_slab_cache_get_stats(struct xen_slab_cache *cache, struct xen_slab_cache_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* XEN_SLAB_CACHE_H */
