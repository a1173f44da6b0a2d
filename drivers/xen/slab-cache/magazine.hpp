// SPDX-License-Identifier: GPL-2.0
//
// Magazines: arrays of constructed objects, each CPU's (cpu_cache.hpp) and
// the depot's (depot.hpp) (Bonwick and Adams, 2001).
#ifndef XSC_MAGAZINE_HPP
#define XSC_MAGAZINE_HPP

#include "support.hpp"
#include "xsc_front.h"

namespace xsc {

// The layout is the C one that the entry points' inline fast paths read
// (struct xsc_magazine, xsc_front.h).
struct Magazine : xsc_magazine {
	Magazine *next_magazine() const
	{
		return static_cast<Magazine *>(next);
	}

	void **objects()
	{
		return xsc_magazine_objects(this);
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

static_assert(sizeof(Magazine) == sizeof(xsc_magazine) &&
		      __builtin_offsetof(xsc_magazine, guard) + sizeof(void *) == sizeof(xsc_magazine),
	      "the guard sits right before objects()[0]");

} // namespace xsc

#endif // XSC_MAGAZINE_HPP
