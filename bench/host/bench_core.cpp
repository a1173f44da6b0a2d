// SPDX-License-Identifier: GPL-2.0
//
// Google Benchmark of the allocator core on the benchmark platform: the
// magazine-hit get+put pair, bulk gets and puts per object, and the same
// through the slab layer (XEN_SLAB_CACHE_POLICY_NO_MAGAZINES).  One thread,
// one CPU; 256-byte objects with a constructor.
#include <benchmark/benchmark.h>

#include "ops.hpp"

namespace {

void BM_Pair(benchmark::State &state)
{
	xen_slab_cache *c = bench::make_cache(static_cast<unsigned>(state.range(0)));

	bench::pair(c);
	for (auto _ : state)
		bench::pair(c);
	state.SetItemsProcessed(state.iterations());
	xen_slab_cache_destroy(c);
	bench::quiesce();
}

void BM_Bulk(benchmark::State &state)
{
	xen_slab_cache *c = bench::make_cache(static_cast<unsigned>(state.range(0)));
	const unsigned n = static_cast<unsigned>(state.range(1));
	void *objects[64];

	bench::bulk(c, objects, n);
	for (auto _ : state)
		bench::bulk(c, objects, n);
	// Items are objects, each one get and one put.
	state.SetItemsProcessed(state.iterations() * n);
	xen_slab_cache_destroy(c);
	bench::quiesce();
}

} // namespace

BENCHMARK(BM_Pair)
	->ArgName("policy")
	->Arg(XEN_SLAB_CACHE_POLICY_DEFAULT)
	->Arg(XEN_SLAB_CACHE_POLICY_2019)
	->Arg(XEN_SLAB_CACHE_POLICY_NO_MAGAZINES);
BENCHMARK(BM_Bulk)
	->ArgNames({ "policy", "n" })
	->Args({ XEN_SLAB_CACHE_POLICY_DEFAULT, 16 })
	->Args({ XEN_SLAB_CACHE_POLICY_DEFAULT, 64 })
	->Args({ XEN_SLAB_CACHE_POLICY_NO_MAGAZINES, 16 })
	->Args({ XEN_SLAB_CACHE_POLICY_NO_MAGAZINES, 64 });

int main(int argc, char **argv)
{
	bench::set_nr_cpus(1);
	bench::set_cpu(0);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
