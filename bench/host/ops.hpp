// SPDX-License-Identifier: GPL-2.0
//
// The operations the host benchmarks measure, shared by the Google Benchmark
// program and the callgrind driver.
#ifndef XSC_BENCH_OPS_HPP
#define XSC_BENCH_OPS_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "platform_bench.hpp"

namespace bench {

constexpr size_t kObjectSize = 256;

inline int ctor(void *, void *object)
{
	memset(object, 0x5a, sizeof(uint64_t));
	return 0;
}

inline void dtor(void *, void *)
{
}

inline xen_slab_cache *make_cache(unsigned policy, size_t size = kObjectSize, size_t align = 0)
{
	xen_slab_cache_args a{};

	a.size = size;
	a.align = align;
	a.ctor = ctor;
	a.dtor = dtor;
	a.policy = policy;
	xen_slab_cache *c = xen_slab_cache_create("bench", &a);

	if (reinterpret_cast<uintptr_t>(c) >= static_cast<uintptr_t>(-4095L)) {
		fprintf(stderr, "xen_slab_cache_create failed\n");
		exit(1);
	}
	return c;
}

// One get and one put of the same object.
inline void pair(xen_slab_cache *c)
{
	void *p = xen_slab_cache_get(c, false);

	xen_slab_cache_put(c, p, false);
}

// @n objects in one bulk get, then back in one bulk put.
inline void bulk(xen_slab_cache *c, void **objects, unsigned n)
{
	const unsigned got = xen_slab_cache_get_bulk(c, objects, n, false);

	xen_slab_cache_put_bulk(c, objects, got, false);
}

} // namespace bench

#endif
