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
	unsigned count; // objects held, objects[0 .. count)
	unsigned capacity;

	void **objects()
	{
		return reinterpret_cast<void **>(this + 1);
	}

	bool full() const
	{
		return count == capacity;
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
		return m;
	}
};

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
// of gets or puts pass before the next one.  Only its own CPU touches it,
// with interrupts off; the statistics are written only by that CPU.
//
// The hint is the slab this CPU's last put looked up by page owner: a put of
// an object of the same slab needs no lookup.  It is valid while
// hint_gen equals the cache's slab generation, which every slab free
// advances (after clearing the slab's page owner, before its metadata
// goes after a grace period).
struct alignas(XSC_CACHE_LINE) CpuCache {
	Magazine *loaded;
	Magazine *previous;
	u64 get_fast;
	u64 put_fast;
	u64 ops_at_last_pass; // gets + puts seen by the last monitor pass
	Slab *hint_slab;
	uptr hint_base;	      // hint_slab->base
	u64 hint_gen;
};

} // namespace xsc

#endif // XSC_MAGAZINE_HPP
