// SPDX-License-Identifier: GPL-2.0
//
// Magazines (arrays of constructed objects) and the depot that trades full
// ones for empty ones between CPUs (Bonwick and Adams, 2001).
#ifndef XSC_MAGAZINE_HPP
#define XSC_MAGAZINE_HPP

#include "support.hpp"

namespace xsc {

struct Magazine {
	Magazine *next; // in a depot list
	// Words, not ints: the fast paths index with them as they are.
	ulong count; // objects held, objects[0 .. count)
	ulong capacity;
	// Always nullptr, right before objects[0]: the object on top is
	// objects()[count - 1] even when the magazine is empty.
	void *guard;

	void **objects()
	{
		return reinterpret_cast<void **>(this + 1);
	}

	bool full() const
	{
		return count == capacity;
	}

	// The object on top, or nullptr when empty (the guard).
	void *top()
	{
		return objects()[static_cast<long>(count) - 1];
	}

	static Magazine *create(unsigned capacity, int may_sleep)
	{
		void *mem = xsc_meta_alloc(sizeof(Magazine) + capacity * sizeof(void *), may_sleep);

		if (!mem)
			return nullptr;
		Magazine *m = new (mem) Magazine;
		m->next = nullptr;
		m->count = 0;
		m->capacity = capacity;
		m->guard = nullptr;
		return m;
	}
};

static_assert(__builtin_offsetof(Magazine, guard) + sizeof(void *) == sizeof(Magazine),
	      "the guard sits right before objects()[0]");

// A stack of magazines.
struct MagazineList {
	Magazine *head = nullptr;
	unsigned length = 0;
	// Fewest magazines on the list since the last working-set update: that
	// many were not needed during the interval.
	unsigned low_water = 0;

	void push(Magazine *m)
	{
		m->next = head;
		head = m;
		length++;
	}

	Magazine *pop()
	{
		Magazine *m = head;

		if (m) {
			head = m->next;
			m->next = nullptr;
			length--;
			low_water = min(low_water, length);
		}
		return m;
	}
};

// Full (non-empty) and empty magazines shared by all CPUs of a cache.
struct Depot {
	xsc_lock *lock;
	MagazineList full;
	MagazineList empty;
};

struct Slab;

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
// with preemption off only): busy says one of this CPU is under way, and
// whatever interrupts it leaves the magazines and the hint alone.
//
// The first line is what the fast paths and the owner's slow paths use; the
// second holds hint_slab, which other CPUs read when they clear spans, so
// that they do not pull the line every fast path writes.
struct alignas(XSC_CACHE_LINE) CpuCache {
	Magazine *fast;
	uptr hint_base;	      // hint_slab->base
	ulong hint_span;
	ulong busy;
	u64 get_fast;
	u64 put_fast;
	Magazine *loaded;
	Magazine *previous;
	alignas(XSC_CACHE_LINE) Slab *hint_slab;
	u64 hint_gen;
	u64 ops_at_last_pass; // gets + puts seen by the last monitor pass
};

} // namespace xsc

#endif // XSC_MAGAZINE_HPP
