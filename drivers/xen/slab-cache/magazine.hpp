// SPDX-License-Identifier: GPL-2.0
//
// Magazines: arrays of constructed objects, each CPU's (cpu_cache.hpp) and
// the depot's (depot.hpp) (Bonwick and Adams, 2001).
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

} // namespace xsc

#endif // XSC_MAGAZINE_HPP
