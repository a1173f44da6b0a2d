// SPDX-License-Identifier: GPL-2.0
//
// The per-CPU front end: each CPU's magazines, its hint of the slab its puts
// go to (the hint protocol with the slab layer's generation), and the inline
// fast paths that serve a get or a put from the loaded magazine without a
// lock.  Included once, by core.cpp: the members that are not inline (the
// hint protocol's slow parts) are defined here too, and stay out of line
// so that the bulk paths that call them keep their registers.
#ifndef XSC_CPU_CACHE_HPP
#define XSC_CPU_CACHE_HPP

#include "cache.hpp"

namespace xsc {

// The re-entry guard of a CPU's front end, after the kernel's
// local_trylock_t (6.16): a fast path takes it with trylock() around its
// magazine work, with preemption off and interrupts on; an interrupt that
// lands inside finds it held and goes elsewhere (the slabs).  Only its own
// CPU writes it, and only that CPU's interrupts read it, so compiler
// barriers order it against the magazine's accesses; no atomic is needed.
// Two stores where disabling interrupts costs pushf; cli and popf, which
// are paravirt calls in a Xen PV domain.  The slow paths and the monitor's
// flush, which run with interrupts off, only test held().
class LocalTryLock {
public:
	bool trylock()
	{
		if (xsc_unlikely(held_))
			return false;
		held_ = 1;
		compiler_barrier();
		return true;
	}
	void unlock()
	{
		compiler_barrier();
		held_ = 0;
	}
	// With interrupts off on its CPU: a fast path of that CPU is under way.
	bool held() const
	{
		return held_;
	}

private:
	ulong held_ = 0;
};

// One CPU's front end: a loaded and a previous magazine.  The previous one is
// always full or empty, so after a depot visit at least a magazine's worth
// of gets or puts pass before the next one.  Only its own CPU touches it
// (with interrupts off, or preemption off in the fast paths), but for other
// CPUs clearing hint_span; the statistics are written only by that CPU.
//
// The fast paths read the first cache line only.  fast is the loaded
// magazine, or, in caches whose gets and puts may not take the loaded
// magazine inline (a cap, no magazines, checked builds), the cache's empty
// magazine of capacity 0, which no fast get or put can use: so the fast
// paths need no test of the cache's mode.
//
// The hint is the slab this CPU's last slow put found its object in (by its
// page owner): a put of an object of the same slab needs no lookup.  The
// slow paths trust it while hint_gen equals the cache's slab generation,
// which every slab free advances (after the slab can no longer be found,
// before its metadata goes after a grace period).  hint_span is how many bytes from hint_base
// a fast put takes: the slots of the slab, or 0 when the slab was sparse
// when hinted, has turned sparse since or is being freed (other CPUs clear
// it then: Cache::forget_fast_puts()).
//
// Interrupts may come in the middle of a fast path (the kernel runs them
// with preemption off only): the fast path holds guard, and whatever
// interrupts it leaves the magazines and the hint alone.
//
// The first line is what the fast paths and the owner's slow paths use; the
// second holds hint_slab, which other CPUs read when they clear spans, so
// that they do not pull the line every fast path writes.
struct alignas(XSC_CACHE_LINE) CpuCache {
	Magazine *fast;
	uptr hint_base;	      // hint_slab->base
	ulong hint_span;
	LocalTryLock guard;
	u64 get_fast;
	u64 put_fast;
	Magazine *loaded;
	Magazine *previous;
	alignas(XSC_CACHE_LINE) Slab *hint_slab;
	u64 hint_gen;
	u64 ops_at_last_pass; // gets + puts seen by the last monitor pass
};

inline CpuCache &Cache::cpu_cache(ulong cpu)
{
	return cpus_[cpu];
}

inline void Cache::loaded_changed(CpuCache &cc)
{
	if (fast_)
		cc.fast = cc.loaded;
}

// --- the hint protocol -------------------------------------------------------

// The page owner lookup of a put whose object is not in the hinted slab; makes
// its slab the hint.  @gen was read before the lookup: a slab freed after
// that read advances the generation past it, so a stale hint is never used
// by the slow paths.  The fast put tests no generation: a slab free clears
// the hint_span of the CPUs that hint it (forget_fast_puts()).  Store of
// hint_slab then load of the generation here, advance of the generation
// then loads of hint_slab there, all sequentially consistent: either that
// pass sees this hint or this CPU sees the new generation and clears its
// own.
Slab *Cache::lookup_hint_miss(CpuCache &cc, void *object, u64 gen)
{
	Slab *slab = slab_of(object);

	if (slab) {
		// hint_span first: a pass that sees the new hint_slab clears
		// this value, not an older one.
		set_hint_span(cc, slab);
		cc.hint_base = reinterpret_cast<uptr>(slab->base);
		cc.hint_gen = gen;
		__atomic_store_n(&cc.hint_slab, slab, __ATOMIC_SEQ_CST);
		if (xsc_unlikely(__atomic_load_n(&slab_gen_, __ATOMIC_SEQ_CST) != gen))
			write_once(cc.hint_span, 0UL);
	}
	return slab;
}

// Fast puts of objects of @slab stop on every CPU: the slab is being freed
// (after the generation advanced; see lookup_hint_miss()) or has turned
// sparse.  A CPU that hints another slab by now loses nothing but a fast
// put.  Reads a line of every possible CPU: only slab frees and slabs
// turning sparse come here.
void Cache::forget_fast_puts(Slab *slab)
{
	for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
		CpuCache &cc = cpus_[cpu];

		if (__atomic_load_n(&cc.hint_slab, __ATOMIC_SEQ_CST) == slab)
			write_once(cc.hint_span, 0UL);
	}
}

// lookup() in the CPU section of @cc, through its hint.
inline Slab *Cache::lookup_on_cpu(CpuCache &cc, void *object, unsigned *slot)
{
	const u64 gen = __atomic_load_n(&slab_gen_, __ATOMIC_ACQUIRE);
	const uptr offset = reinterpret_cast<uptr>(object) - cc.hint_base;
	Slab *slab;
	long s;

	if (xsc_unlikely(offset >= span_ || cc.hint_gen != gen))
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
	return read_once(slab->busy) <= sparse_ && slab != slabs_.cursor();
}

// Sets how far fast puts of @cc take objects of @slab, its hint, by the
// sparse-slab rule; true when the slab's puts go to magazines.
inline bool Cache::set_hint_span(CpuCache &cc, Slab *slab) const
{
	const bool magazines = !sparse(slab);

	write_once(cc.hint_span, magazines ? span_ : 0UL);
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
		forget_fast_puts(slab);
	if (old_cursor != cursor && old_cursor && old_cursor->busy <= sparse_)
		forget_fast_puts(old_cursor);
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

	if (cc.hint_gen != __atomic_load_n(&slab_gen_, __ATOMIC_ACQUIRE))
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

// The fast paths, for the platform's entry points (xen_slab_cache_get()
// and xen_slab_cache_put(), which run them in a CPU section on @cpu and
// fall back to get_slow()/put_slow()): a get from the loaded magazine; a
// put into it of a slot start of the hinted slab while its hint_span allows,
// not on top of it.  Caches with a cap, no magazines, strict puts or
// poisoning have a fast magazine of capacity 0.
template <typename Miss> inline void *Cache::get_on_cpu(CpuCache &cc, Miss miss)
{
	Magazine *m = cc.fast;
	ulong top;

	// Empty: count - 1 borrows.
	if (xsc_unlikely(__builtin_sub_overflow(m->count, 1UL, &top)))
		return miss();
	m->count = top;
	owner_inc(cc.get_fast);
	return m->objects()[top];
}

template <typename Miss> inline bool Cache::put_on_cpu(CpuCache &cc, void *object, Miss miss)
{
	Magazine *m = cc.fast;
	const ulong count = m->count;
	const uptr offset = reinterpret_cast<uptr>(object) - cc.hint_base;

	// hint_span is 0 unless the hinted slab takes fast puts: it is
	// cleared on every CPU that hints a slab before the slab is freed, so
	// no generation is tested here.  offset < hint_span: the offset fits
	// multiple_of_stride().  Whether the slot is busy is not tested (it
	// would cost a third of the path): the slow paths, checked builds and
	// strict puts test it.
	if (xsc_unlikely(offset >= read_once(cc.hint_span) || count >= m->capacity ||
			 !geometry_.multiple_of_stride(offset) ||
			 m->objects()[static_cast<long>(count) - 1] == object))
		return miss();
	m->objects()[count] = object;
	m->count = count + 1;
	owner_inc(cc.put_fast);
	return true;
}

// The fast paths with preemption off and interrupts on: a fast path that an
// interrupt on this CPU interrupts is left alone (the interrupt's gets and
// puts decline here and go to the slabs from the slow paths).
inline void *Cache::get_interruptible(ulong cpu)
{
	CpuCache &cc = cpus_[cpu];
	void *object;

	if (!cc.guard.trylock())
		return nullptr;
	object = get_on_cpu(cc, [] { return static_cast<void *>(nullptr); });
	cc.guard.unlock();
	return object;
}

inline bool Cache::put_interruptible(void *object, ulong cpu)
{
	CpuCache &cc = cpus_[cpu];
	bool taken;

	if (!cc.guard.trylock())
		return false;
	taken = put_on_cpu(cc, object, [] { return false; });
	cc.guard.unlock();
	return taken;
}

} // namespace xsc

#endif // XSC_CPU_CACHE_HPP
