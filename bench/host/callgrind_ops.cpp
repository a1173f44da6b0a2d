// SPDX-License-Identifier: GPL-2.0
//
// Runs one operation N times, for instruction counts under
// valgrind --tool=callgrind: the difference between two runs with different
// N, divided by the difference in objects, is the cost per object without
// any setup (scripts/bench-host.sh does that).
//
// Usage: callgrind_ops MODE N
//   pair, pair-2019, slab-pair: N get+put pairs (magazine hit under the
//     default and the 2019 policy; the slab path under POLICY_NO_MAGAZINES);
//   bulk16, bulk64, slab-bulk16, slab-bulk64: N bulk gets and puts of 16 or
//     64 objects;
//   deep: N rounds of 256 gets and 256 puts as the kernel's entry points
//     make them (entry_get, entry_put: the inline fast paths of
//     xsc_front.h, then the slow paths where they decline; one more round
//     warms up);
//   page-pair, page-bulk16, page-bulk64, page-deep: the same with
//     page-sized, page-aligned objects (one a slab);
//   leaves: N get+put pairs through the inline fast paths that the
//     kernel's entry points run (xsc_front_get/xsc_front_put, with the
//     re-entry guard), each in a function of its own (front_get,
//     front_put) without the preemption counter;
//   caller: N pairs of calls to functions that return at once: what the
//     loop and the two calls of a pair cost the caller.
#include "ops.hpp"

namespace {

__attribute__((noinline)) void *empty_get(xen_slab_cache *c, bool)
{
	asm volatile("" : : "r"(c) : "memory");
	return c;
}

__attribute__((noinline)) void empty_put(xen_slab_cache *c, void *p, bool)
{
	asm volatile("" : : "r"(c), "r"(p) : "memory");
}

// The kernel's entry points without their preemption counter.
extern "C" __attribute__((noinline)) void *front_get(xen_slab_cache *c)
{
	return xsc_front_get(c, 0);
}

extern "C" __attribute__((noinline)) int front_put(xen_slab_cache *c, void *object)
{
	return xsc_front_put(c, object, 0);
}

extern "C" __attribute__((noinline)) void *entry_get(xen_slab_cache *c)
{
	void *object = xsc_front_get(c, 0);

	return object ? object : xsc_cache_get_slow(c, false);
}

extern "C" __attribute__((noinline)) void entry_put(xen_slab_cache *c, void *object)
{
	if (!xsc_front_put(c, object, 0))
		xsc_cache_put_slow(c, object, false);
}

} // namespace

int main(int argc, char **argv)
{
	void *objects[256];
	unsigned n = 0, policy = XEN_SLAB_CACHE_POLICY_DEFAULT;
	bool is_pair = false;
	size_t size = bench::kObjectSize, align = 0;
	const char *mode;
	long iterations;
	xen_slab_cache *c;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MODE N\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	iterations = atol(argv[2]);
	if (!strncmp(mode, "slab-", 5)) {
		policy = XEN_SLAB_CACHE_POLICY_NO_MAGAZINES;
		mode += 5;
	}
	if (!strncmp(mode, "page-", 5)) {
		size = align = XSC_PAGE_SIZE;
		mode += 5;
	}
	if (!strcmp(mode, "caller")) {
		bench::set_nr_cpus(1);
		c = bench::make_cache(policy);
		for (long i = 0; i < iterations; i++)
			empty_put(c, empty_get(c, false), false);
		xen_slab_cache_destroy(c);
		return 0;
	}
	if (!strcmp(mode, "leaves")) {
		// The inline fast paths of the kernel's entry points (with the
		// re-entry guard that interrupts need), without the preemption
		// counter and without a fallback: the magazine always hits here.
		bench::set_nr_cpus(1);
		bench::set_cpu(0);
		c = bench::make_cache(policy);
		bench::pair(c);
		for (long i = 0; i < iterations; i++)
			front_put(c, front_get(c));
		xen_slab_cache_destroy(c);
		bench::quiesce();
		return 0;
	}
	if (!strcmp(mode, "pair")) {
		is_pair = true;
	} else if (!strcmp(mode, "pair-2019")) {
		is_pair = true;
		policy = XEN_SLAB_CACHE_POLICY_2019;
	} else if (!strcmp(mode, "bulk16")) {
		n = 16;
	} else if (!strcmp(mode, "bulk64")) {
		n = 64;
	} else if (!strcmp(mode, "deep")) {
		// As the kernel's entry points do: 256 gets, then 256 puts.
		bench::set_nr_cpus(1);
		bench::set_cpu(0);
		c = bench::make_cache(policy, size, align);
		for (long i = 0; i <= iterations; i++) {
			for (unsigned k = 0; k < 256; k++)
				objects[k] = entry_get(c);
			for (unsigned k = 0; k < 256; k++)
				entry_put(c, objects[k]);
		}
		xen_slab_cache_destroy(c);
		bench::quiesce();
		return 0;
	} else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}

	bench::set_nr_cpus(1);
	bench::set_cpu(0);
	c = bench::make_cache(policy, size, align);
	// Construct the objects and load the magazines before counting; each
	// mode has a loop of its own, shaped like the caller's.
	if (is_pair) {
		bench::pair(c);
		for (long i = 0; i < iterations; i++)
			bench::pair(c);
	} else {
		bench::bulk(c, objects, n);
		for (long i = 0; i < iterations; i++)
			bench::bulk(c, objects, n);
	}
	xen_slab_cache_destroy(c);
	bench::quiesce();
	return 0;
}
