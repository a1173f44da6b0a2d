// SPDX-License-Identifier: GPL-2.0
//
// The per-CPU front end's code: the Cache's side of the hint protocol
// (SlabHints, cpu_cache.hpp), and the fast paths of xsc_front.h for the
// host benchmarks' entry points.  Included once, by core.cpp:
// the members that are not inline (the hint protocol's slow parts) are
// defined here too, and stay out of line so that the bulk paths that call
// them keep their registers.
#ifndef XSC_FAST_PATHS_HPP
#define XSC_FAST_PATHS_HPP

#include "cache.hpp"

namespace xsc {

inline CpuCache &Cache::cpu_cache(ulong cpu)
{
	return cpus_[cpu];
}

inline void Cache::loaded_changed(CpuCache &cc)
{
	if (fast_)
		cc.fast = cc.loaded;
}

// --- the Cache side of the hint protocol (SlabHints) ------------------------

// The slab of @object from the CPU's slab table, if it has one, else from
// the page owner (then remembered in the table; *@looked_up says so).
// @gen is the snapshot read before.
inline Slab *Cache::slab_of_on_cpu(CpuCache &cc, void *object, u64 gen, bool *looked_up)
{
	Slab *slab = cc.table ? SlabHints::find(cc, reinterpret_cast<uptr>(object), geometry_.shift, gen)
			      : nullptr;

	*looked_up = !slab;
	if (!slab) {
		slab = slab_of(object);
		if (slab && cc.table)
			SlabHints::remember(cc, slab, geometry_.shift);
	}
	return slab;
}

// The lookup of a put whose object is not in the hinted slab; a slab the
// page owner gave becomes the hint (SlabHints::publish()), with the span
// the sparse-slab rule gives it.  @gen is the snapshot read before the
// lookup.  What a cache of page-sized objects finds in its slab table is
// not published (a put of the same object next, the pair, takes the fast
// path again).
Slab *Cache::lookup_hint_miss(CpuCache &cc, void *object, u64 gen)
{
	bool looked_up;
	Slab *slab = slab_of_on_cpu(cc, object, gen, &looked_up);

	if (slab && looked_up)
		hints_.publish(cc, slab, sparse(slab) ? 0UL : span_, gen);
	return slab;
}

// lookup() in the CPU section of @cc through its slab table, if it has one,
// without touching the hint (bulk puts of one-object slabs).
inline Slab *Cache::lookup_remembered(CpuCache &cc, void *object, unsigned *slot)
{
	bool looked_up;

	return busy_slot(slab_of_on_cpu(cc, object, hints_.snapshot(), &looked_up), object, slot);
}

// lookup() in the CPU section of @cc, through its hint.
inline Slab *Cache::lookup_on_cpu(CpuCache &cc, void *object, unsigned *slot)
{
	const u64 gen = hints_.snapshot();
	const uptr offset = reinterpret_cast<uptr>(object) - cc.hint_base;
	Slab *slab;
	long s;

	if (xsc_unlikely(offset >= span_ || !SlabHints::trusted(cc, gen)))
		return busy_slot(lookup_hint_miss(cc, object, gen), object, slot);
	slab = cc.hint_slab;
	// offset < span_, so the slot is below Geometry::objects.
	s = geometry_.slot_of(offset);
	if (s < 0 || !Slab::test(slab->busy_bits(), static_cast<unsigned>(s)))
		return nullptr;
	*slot = static_cast<unsigned>(s);
	return slab;
}

// --- get and put on a CPU ---------------------------------------------------

// A put of an object of a sparse slab goes back to the slab rather than
// into a magazine, unless the slab is the cursor (the one gets fill): so
// sparse slabs drain and are freed, and gets, from magazines or the
// cursor, pack objects into the fuller slabs.  A hint, read without the
// slab lock.
inline bool Cache::sparse(Slab *slab) const
{
	return read_once(slab->busy) <= sparse_ && slab != cursor_unlocked();
}

// Sets how far fast puts of @cc take objects of @slab, when it is its hint,
// by the sparse-slab rule, holding a busy object of it
// (SlabHints::set_span()); true when the slab's puts go to magazines.  A
// slab found in the CPU's slab table is not the hint: only the answer.
inline bool Cache::set_hint_span(CpuCache &cc, Slab *slab) const
{
	const bool magazines = !sparse(slab);

	if (xsc_likely(slab == cc.hint_slab))
		SlabHints::set_span(cc, magazines ? span_ : 0UL);
	return magazines;
}

// After a slot of @slab was freed and the slabs re-sorted (slab lock held):
// fast puts stop taking objects of a slab that has just turned sparse, by
// the slab itself or by losing the cursor (@old_cursor).  A slow put sets
// the span again when its slab is no longer sparse.
void Cache::sparse_changed(SlabsHeld, Slab *slab, Slab *old_cursor)
{
	Slab *cursor = slabs_.cursor();

	if (slab->busy == sparse_ && slab != cursor)
		SlabHints::forget(slab, cpus_, nr_cpus_);
	if (old_cursor != cursor && old_cursor && old_cursor->busy <= sparse_)
		SlabHints::forget(old_cursor, cpus_, nr_cpus_);
}

// The checks of put_on_cpu(), and the busy bit, over the first objects of
// @objects, as many as the loaded magazine takes in a row; returns how many.
// The hint, the geometry and the magazine stay in registers.
inline unsigned Cache::put_run(CpuCache &cc, void *const *objects, unsigned n)
{
	Magazine *m = cc.loaded;
	void **slots = m->objects();
	const unsigned start = m->count;
	const unsigned room = m->capacity - start;
	const uptr base = cc.hint_base;
	const ulong *busy = cc.hint_slab ? cc.hint_slab->busy_bits() : nullptr;
	const ulong span = read_once(cc.hint_span), stride = geometry_.stride;
	const u64 reciprocal = geometry_.reciprocal;
	const void *top = m->top();
	unsigned k = 0;

	if (!SlabHints::trusted(cc, hints_.snapshot()))
		return 0;
	for (n = min(n, room); k < n; k++) {
		void *object = objects[k];
		const uptr offset = reinterpret_cast<uptr>(object) - base;
		const ulong slot =
			static_cast<ulong>((static_cast<unsigned __int128>(offset) * reciprocal) >> 64);

		if (xsc_unlikely(offset >= span || slot * stride != offset ||
				 !Slab::test(busy, static_cast<unsigned>(slot)) || object == top))
			break;
		slots[start + k] = object;
		top = object;
	}
	m->count = start + k;
	return k;
}

// For caches of one-object slabs (a slab table per CPU): what put_run() is
// for the others, through the table; every object must be a remembered
// slab's one object, busy, not on top, while the loaded magazine has room.
inline unsigned Cache::put_run_remembered(CpuCache &cc, void *const *objects, unsigned n)
{
	Magazine *m = cc.loaded;
	void **slots = m->objects();
	const unsigned start = m->count;
	const unsigned shift = geometry_.shift;
	const void *top = m->top();
	const xsc_slab_table *const table = cc.table;
	unsigned k = 0;

	if (!table || cc.table_gen != hints_.snapshot())
		return 0;
	for (n = min(n, static_cast<unsigned>(m->capacity) - start); k < n; k++) {
		void *object = objects[k];

		if (xsc_unlikely(object == top || !xsc_slab_table_holds(table, object, shift)))
			break;
		slots[start + k] = object;
		top = object;
	}
	m->count = start + k;
	return k;
}

// The fast paths of xsc_front.h without its guard, for the host
// benchmarks' entry points (xsc_cache_get(), xsc_cache_put()), whose CPU
// sections nothing interrupts: a get from the loaded magazine; a put into
// it of a slot start of the hinted slab while its hint_span allows, not on
// top of it (the slab table's inline put, xsc_front_push_remembered(), is
// the kernel's: here such a put takes the slow path).  Caches with a cap,
// no magazines, strict puts or poisoning have a fast magazine of capacity
// 0.  @miss() runs, as the path's tail, when the magazine cannot serve.
template <typename Miss> inline void *Cache::get_on_cpu(CpuCache &cc, Miss miss)
{
	void *object;

	return xsc_likely(xsc_front_pop(&cc, &object)) ? object : miss();
}

template <typename Miss> inline bool Cache::put_on_cpu(CpuCache &cc, void *object, Miss miss)
{
	return xsc_likely(xsc_front_push(&cc, object, geometry_.reciprocal)) ? true : miss();
}

} // namespace xsc

#endif // XSC_FAST_PATHS_HPP
