// SPDX-License-Identifier: GPL-2.0
//
// Controls of the host platform that tests use.
#ifndef XSC_HOST_PLATFORM_HPP
#define XSC_HOST_PLATFORM_HPP

#include "xsc_core.h"
#include "xsc_platform.h"
#include "xen_slab_cache.h"

namespace host {

void set_nr_cpus(unsigned n);
void set_cpu(unsigned cpu);     // the "CPU" the calling thread runs on
void set_online(unsigned cpu, bool online);
long warning_count();
long live_pages();
void fail_allocations_every(long n); // 0: never; n: every n-th page or metadata allocation
void set_strict_puts(bool on);       // for caches created afterwards
void set_total_pages(unsigned long pages); // the machine's memory (default 16 GiB)
void *page_owner(const void *address);     // xsc_page_owner() without the RCU check, for tests
unsigned long sections_entered();          // outermost CPU sections the calling thread entered
unsigned long page_owner_reads();          // xsc_page_owner() calls of the calling thread

} // namespace host

#endif
