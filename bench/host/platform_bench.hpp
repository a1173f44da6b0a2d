// SPDX-License-Identifier: GPL-2.0
//
// Controls of the benchmark platform (platform_bench.cpp).
#ifndef XSC_BENCH_PLATFORM_HPP
#define XSC_BENCH_PLATFORM_HPP

#include "xsc_core.h"
#include "xsc_platform.h"
#include "xen_slab_cache.h"

namespace bench {

void set_nr_cpus(unsigned n); // before the first cache is created
void set_cpu(unsigned cpu);   // the "CPU" the calling thread runs on
long live_pages();
long warning_count();
void quiesce(); // frees deferred metadata; no get or put may be running

} // namespace bench

#endif
