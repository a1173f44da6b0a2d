/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The inline part of a get and a put: the per-CPU front end as the entry
 * points see it, and the code they run on it in their own function, so
 * that a get or a put served by the CPU's loaded magazine is one call (the
 * exported entry point), as page_pool's and SLUB's fast paths are.
 *
 * Plain C and no kernel header: included by the kernel shim (shim.c), by
 * the host platforms, and by the core (C++), whose types are built on these
 * structures (Magazine on struct xsc_magazine, CpuCache on struct
 * xsc_cpu_front, Cache on struct xsc_front) and whose own fast paths
 * (fast_paths.hpp) call the same functions: one definition of the fast
 * paths for every platform.
 *
 * The protocol (docs/design.md, "Layers", the per-CPU front end): an entry
 * point runs xsc_front_get() or xsc_front_put() -- or, to return from the
 * served case without a stack frame (the kernel's), their halves
 * xsc_front_try_get() and xsc_front_try_put() and what the answer asks
 * for -- with preemption (migration) off on @cpu and interrupts on; they
 * take the CPU's re-entry guard, serve the get or the put from the loaded
 * magazine inline, or leave it to the core in the same section
 * (xsc_cache_get_in_section(), xsc_cache_put_in_section(): the magazines,
 * the depot, the slab table), which releases the guard.  A get that
 * returns NULL or a put that returns 0 goes to the slow paths after the
 * section.  An interrupt that lands inside finds the guard held and goes
 * there at once.
 */
#ifndef XSC_FRONT_H
#define XSC_FRONT_H

#ifdef __cplusplus
extern "C" {
#endif

struct xen_slab_cache;
struct xsc_slab_table;

/* Inline in the entry points whatever the compiler thinks of their size. */
#define XSC_FRONT_INLINE static inline __attribute__((__always_inline__))

/**
 * struct xsc_magazine - an array of constructed objects
 * @next: in a depot list.
 * @count: objects held, at the words after the structure
 *	(xsc_magazine_objects()), [0, @count).
 * @capacity: slots after the structure.
 * @guard: always NULL, right before the first slot: the object on top is
 *	the slot at @count - 1 even when the magazine is empty.
 */
struct xsc_magazine {
	struct xsc_magazine *next;
	unsigned long count;
	unsigned long capacity;
	void *guard;
};

XSC_FRONT_INLINE void **xsc_magazine_objects(struct xsc_magazine *m)
{
	return (void **)(m + 1);
}

/**
 * struct xsc_cpu_front - what the inline fast paths use of a CPU's front end
 * @fast: the loaded magazine; in caches whose gets and puts may not take
 *	it inline (a cap, no magazines, checked builds), an empty magazine
 *	of capacity 0, which serves no get and takes no put.
 * @hint_base: the base of the CPU's hinted slab.
 * @hint_span: bytes from @hint_base that inline puts take (0: none);
 *	cleared by other CPUs (the hint protocol, docs/design.md).
 * @guard: non-zero while a fast path of this CPU is under way (the
 *	re-entry guard, after the kernel's local_trylock_t).
 * @get_fast: gets served by the CPU's magazines (statistics).
 * @put_fast: puts taken by them.
 * @table: the CPU's slab table, in caches whose slabs hold one object
 *	(page-sized ones); NULL in the others, or without its pages.
 * @table_gen: the slab generation the table's entries were found in (~0:
 *	none); an entry is trusted while it equals the cache's.
 *
 * The core's CpuCache begins with it (its first cache line); a CPU's is at
 * @cpu << %XSC_FRONT_CPU_SHIFT bytes from struct xsc_front's @cpus.  The
 * hint and the table belong to the hint protocol (SlabHints, cpu_cache.hpp):
 * only the core writes them, these functions read them as it says.
 */
struct xsc_cpu_front {
	struct xsc_magazine *fast;
	unsigned long hint_base;
	unsigned long hint_span;
	unsigned long guard;
	unsigned long long get_fast;
	unsigned long long put_fast;
	struct xsc_slab_table *table;
	unsigned long long table_gen;
};

/*
 * A CPU's slab table: slabs of one object each, two-way set-associative by
 * the slab's base, entries the core's Slab or NULL (SlabTable,
 * cpu_cache.hpp); the first entry of a set is the slab remembered last.
 * Where the core's Slab keeps its object and its busy bitmap: asserted by
 * the core (slab.hpp).
 */
#define XSC_SLAB_TABLE_ENTRIES 1024
#define XSC_SLAB_TABLE_WAYS 2
#define XSC_SLAB_TABLE_SETS (XSC_SLAB_TABLE_ENTRIES / XSC_SLAB_TABLE_WAYS)
#define XSC_SLAB_BASE_OFFSET 16
#define XSC_SLAB_BUSY_OFFSET 48

struct xsc_slab; /* the core's Slab */

struct xsc_slab_table {
	struct xsc_slab *entries[XSC_SLAB_TABLE_ENTRIES];
};

/*
 * The first entry of the set of the slab of 2^@shift bytes, naturally
 * aligned, that holds @address.
 */
XSC_FRONT_INLINE unsigned long xsc_slab_table_set(unsigned long address, unsigned int shift)
{
	return (address >> shift) % XSC_SLAB_TABLE_SETS * XSC_SLAB_TABLE_WAYS;
}

#define XSC_FRONT_CPU_SHIFT 7

/**
 * struct xsc_front - what the inline fast paths use of a cache
 * @cpus: the CPUs' front ends (struct xsc_cpu_front at the start of each
 *	of the core's CpuCache), fixed at creation.
 * @reciprocal: the geometry's ceil(2^64 / stride) mod 2^64 (0 for a stride
 *	of 1): an offset below 2^32 is a multiple of the stride when its
 *	product with @reciprocal, modulo 2^64, is below @reciprocal
 *	(Geometry::multiple_of_stride()).
 * @gen: the cache's slab generation (SlabHints), advanced by every slab
 *	free; read with acquire before a table is trusted.
 * @shift: log2 of a slab's size in bytes.
 *
 * A struct xen_slab_cache pointer points at it.
 */
struct xsc_front {
	char *cpus;
	unsigned long reciprocal;
	const unsigned long long *gen;
	unsigned int shift;
};

/* The core's halves of the fast paths: in the section, releasing the guard. */
void *xsc_cache_get_in_section(struct xen_slab_cache *cache, struct xsc_cpu_front *f);
int xsc_cache_put_in_section(struct xen_slab_cache *cache, void *object, struct xsc_cpu_front *f);

XSC_FRONT_INLINE struct xsc_cpu_front *xsc_front_cpu(struct xen_slab_cache *cache,
						     unsigned long cpu)
{
	return (struct xsc_cpu_front *)(((const struct xsc_front *)cache)->cpus +
					(cpu << XSC_FRONT_CPU_SHIFT));
}

/*
 * The guard: only its own CPU writes it, and only that CPU's interrupts
 * read it, so compiler barriers order it against the magazine's accesses;
 * no atomic is needed.  The slow paths, which run with interrupts off,
 * only test it (xsc_front_held()).
 */
XSC_FRONT_INLINE int xsc_front_trylock(struct xsc_cpu_front *f)
{
	if (__builtin_expect(f->guard != 0, 0))
		return 0;
	f->guard = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return 1;
}

XSC_FRONT_INLINE void xsc_front_unlock(struct xsc_cpu_front *f)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	f->guard = 0;
}

XSC_FRONT_INLINE int xsc_front_held(const struct xsc_cpu_front *f)
{
	return f->guard != 0;
}

/*
 * One more on a counter that only its owner CPU writes: a single add to
 * memory on x86-64 (what this_cpu_inc() does), which an interrupt cannot
 * split and which stays untorn for readers; elsewhere a load and a store.
 */
XSC_FRONT_INLINE void xsc_front_count(unsigned long long *counter)
{
#if defined(__x86_64__)
	__asm__("addq $1, %0" : "+m"(*counter));
#else
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
#endif
}

/*
 * An object from the loaded magazine into *@object; 0 when it is empty.
 * (The answer is the borrow of count - 1, so that a caller's branch on it
 * is the only one: no test of the object.)
 */
XSC_FRONT_INLINE int xsc_front_pop(struct xsc_cpu_front *f, void **object)
{
	struct xsc_magazine *m = f->fast;
	unsigned long top;

	if (__builtin_expect(__builtin_sub_overflow(m->count, 1UL, &top), 0))
		return 0;
	m->count = top;
	xsc_front_count(&f->get_fast);
	*object = xsc_magazine_objects(m)[top];
	return 1;
}

/* @object into slot @count of the loaded magazine @m, which has room. */
XSC_FRONT_INLINE void xsc_front_take(struct xsc_cpu_front *f, struct xsc_magazine *m,
				     unsigned long count, void *object)
{
	xsc_magazine_objects(m)[count] = object;
	m->count = count + 1;
	xsc_front_count(&f->put_fast);
}

/*
 * Into the loaded magazine when @object is a slot start in the CPU's
 * hinted span, the magazine has room and @object is not on top of it;
 * else 0.  hint_span is 0 unless the hinted slab takes inline puts: it is
 * cleared on every CPU that hints a slab before the slab is freed, so no
 * generation is tested here.  Whether the slot is busy is not tested (it
 * would cost a third of the path): the slow paths, checked builds and
 * strict puts test it.
 */
XSC_FRONT_INLINE int xsc_front_push(struct xsc_cpu_front *f, void *object, unsigned long reciprocal)
{
	struct xsc_magazine *m = f->fast;
	const unsigned long count = m->count;
	const unsigned long offset = (unsigned long)object - f->hint_base;
	void **objects = xsc_magazine_objects(m);

	if (__builtin_expect(offset >= __atomic_load_n(&f->hint_span, __ATOMIC_RELAXED) ||
			     count >= m->capacity || offset * reciprocal >= reciprocal ||
			     objects[(long)count - 1] == object, 0))
		return 0;
	xsc_front_take(f, m, count, object);
	return 1;
}

/*
 * Whether @object is the object of @slab (an entry of a slab table, or
 * NULL) and its one slot is busy (not free in its slab).
 */
XSC_FRONT_INLINE int xsc_slab_holds(const struct xsc_slab *slab, const void *object)
{
	const char *s = (const char *)slab;

	return s && *(void *const *)(s + XSC_SLAB_BASE_OFFSET) == object &&
	       (__atomic_load_n((const unsigned long *)(s + XSC_SLAB_BUSY_OFFSET),
				__ATOMIC_RELAXED) & 1UL);
}

/*
 * Whether @object is the object of a slab that @table names and whose one
 * slot is busy.  The entry's slab is alive while the table's generation is
 * the cache's (the caller checked), or, freed since, its metadata outlives
 * the caller's section (RCU) and its busy bit is clear.
 */
XSC_FRONT_INLINE int xsc_slab_table_holds(const struct xsc_slab_table *table, const void *object,
					   unsigned int shift)
{
	struct xsc_slab *const *set =
		&table->entries[xsc_slab_table_set((unsigned long)object, shift)];

	return xsc_slab_holds(set[0], object) || xsc_slab_holds(set[1], object);
}

/*
 * For caches of one-object slabs, where a put rarely falls in the hinted
 * slab: into the loaded magazine when the CPU's slab table is of the
 * current generation and names @object's busy slab, the magazine has room
 * and @object is not on top of it; else 0 (the core looks the slab up and
 * remembers it).
 */
XSC_FRONT_INLINE int xsc_front_push_remembered(struct xsc_cpu_front *f, void *object,
						const struct xsc_front *c)
{
	struct xsc_magazine *m = f->fast;
	const unsigned long count = m->count;
	void **objects = xsc_magazine_objects(m);

	if (!f->table || f->table_gen != __atomic_load_n(c->gen, __ATOMIC_ACQUIRE) ||
	    count >= m->capacity || objects[(long)count - 1] == object ||
	    !xsc_slab_table_holds(f->table, object, c->shift))
		return 0;
	xsc_front_take(f, m, count, object);
	return 1;
}

/*
 * What the loaded magazine did with a get or a put (xsc_front_try_get(),
 * xsc_front_try_put()): %XSC_FRONT_DONE, served, the guard released;
 * %XSC_FRONT_MISS, not served, the guard still held: the core's half runs
 * next in the same section (xsc_cache_get_in_section(),
 * xsc_cache_put_in_section()), and releases it; %XSC_FRONT_BUSY, the guard
 * was held already (an interrupted fast path of this CPU): the slow path
 * after the section.  Entry points branch on it so that the served case
 * returns at once, without the frame the other two need.
 */
enum xsc_front_answer {
	XSC_FRONT_DONE,
	XSC_FRONT_MISS,
	XSC_FRONT_BUSY,
};

/* The inline part of a get: *@object from the loaded magazine of @f. */
XSC_FRONT_INLINE enum xsc_front_answer xsc_front_try_get(struct xsc_cpu_front *f, void **object)
{
	if (!xsc_front_trylock(f))
		return XSC_FRONT_BUSY;
	if (__builtin_expect(!xsc_front_pop(f, object), 0))
		return XSC_FRONT_MISS;
	xsc_front_unlock(f);
	return XSC_FRONT_DONE;
}

/*
 * The inline part of a put: into the loaded magazine of @f when @object is
 * in the CPU's hinted slab (xsc_front_push()) or, in caches of one-object
 * slabs, in its slab table (xsc_front_push_remembered()).
 */
XSC_FRONT_INLINE enum xsc_front_answer xsc_front_try_put(const struct xsc_front *c,
							 struct xsc_cpu_front *f, void *object)
{
	if (!xsc_front_trylock(f))
		return XSC_FRONT_BUSY;
	if (__builtin_expect(!xsc_front_push(f, object, c->reciprocal) &&
			     !xsc_front_push_remembered(f, object, c), 0))
		return XSC_FRONT_MISS;
	xsc_front_unlock(f);
	return XSC_FRONT_DONE;
}

/**
 * xsc_front_get() - the fast part of a get
 * @cache: the cache.
 * @cpu: the current CPU; preemption is off, interrupts may be on.
 *
 * Return: an object from the CPU's magazines (or the depot, through the
 * core in the same section), or NULL: the caller then takes the slow path
 * (xsc_cache_get_slow()) after its section.
 */
XSC_FRONT_INLINE void *xsc_front_get(struct xen_slab_cache *cache, unsigned long cpu)
{
	struct xsc_cpu_front *f = xsc_front_cpu(cache, cpu);
	void *object;

	switch (xsc_front_try_get(f, &object)) {
	case XSC_FRONT_DONE:
		return object;
	case XSC_FRONT_MISS:
		return xsc_cache_get_in_section(cache, f);
	default:
		return (void *)0;
	}
}

/**
 * xsc_front_put() - the fast part of a put
 * @cache: the cache.
 * @object: what the caller puts.
 * @cpu: the current CPU; preemption is off, interrupts may be on.
 *
 * Return: non-zero when the CPU's magazines (or the depot) took @object;
 * 0: the caller takes the slow path (xsc_cache_put_slow()) after its
 * section, which also refuses what is not a busy object of @cache.
 */
XSC_FRONT_INLINE int xsc_front_put(struct xen_slab_cache *cache, void *object, unsigned long cpu)
{
	struct xsc_cpu_front *f = xsc_front_cpu(cache, cpu);

	switch (xsc_front_try_put((const struct xsc_front *)cache, f, object)) {
	case XSC_FRONT_DONE:
		return 1;
	case XSC_FRONT_MISS:
		return xsc_cache_put_in_section(cache, object, f);
	default:
		return 0;
	}
}

#ifdef __cplusplus
}
#endif

#endif /* XSC_FRONT_H */
