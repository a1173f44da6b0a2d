// SPDX-License-Identifier: GPL-2.0
//
// The platform of xsc_platform.h in user space, for tests of the allocator
// core: "CPUs" are slots that a thread selects, a CPU section holds that
// slot's mutex (as interrupts off would keep others off the CPU), an RCU
// grace period is having held every slot's mutex once.
#include "platform.hpp"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

namespace {

constexpr unsigned kMaxCpus = 64;

std::mutex cpu_mutex[kMaxCpus];
bool cpu_online[kMaxCpus] = {};
unsigned nr_cpus = 4;
thread_local unsigned current_cpu = 0;
thread_local unsigned section_depth = 0;
thread_local unsigned long sections = 0; // outermost sections entered
thread_local unsigned long owner_reads = 0;
// Nesting of what the kernel counts as an RCU read side: CPU sections and
// the cache's own lock (both keep interrupts off there).  A caller's lock
// (the lock callbacks) is none: a mutex leaves preemption on.
thread_local unsigned rcu_depth = 0;

std::atomic<long> warnings{ 0 };
std::atomic<long> page_allocs{ 0 };
std::atomic<long> pages_live{ 0 };
std::atomic<long> fail_every{ 0 };
std::atomic<long> fail_counter{ 0 };
std::atomic<int> strict_puts{ 0 };
std::atomic<unsigned long> total_pages{ 1UL << 22 }; // 16 GiB

// Page number -> owner, for every page of every live slab of every cache.
std::shared_mutex owner_mutex;
std::unordered_map<unsigned long, void *> page_owners;

std::mutex registry_mutex;
std::vector<xen_slab_cache *> registry;

bool should_fail()
{
	const long every = fail_every.load();

	return every && (fail_counter.fetch_add(1) % every) == every - 1;
}

} // namespace

struct xsc_lock {
	std::mutex m;
};

namespace host {

unsigned long sections_entered()
{
	return sections;
}

unsigned long page_owner_reads()
{
	return owner_reads;
}

void set_nr_cpus(unsigned n)
{
	nr_cpus = n;
	for (unsigned i = 0; i < kMaxCpus; i++)
		cpu_online[i] = i < n;
}

void set_cpu(unsigned cpu)
{
	current_cpu = cpu;
}

void set_online(unsigned cpu, bool online)
{
	std::lock_guard<std::mutex> g(cpu_mutex[cpu]);
	cpu_online[cpu] = online;
}

long warning_count()
{
	return warnings.load();
}

long live_pages()
{
	return pages_live.load();
}

void set_strict_puts(bool on)
{
	strict_puts = on;
}

void set_total_pages(unsigned long pages)
{
	total_pages = pages;
}

void fail_allocations_every(long n)
{
	fail_every = n;
	fail_counter = 0;
}

} // namespace host

extern "C" {

#ifdef XSC_POISON
#include <sanitizer/asan_interface.h>

void xsc_poison(void *addr, unsigned long size)
{
	__asan_poison_memory_region(addr, size);
}

void xsc_unpoison(void *addr, unsigned long size)
{
	__asan_unpoison_memory_region(addr, size);
}

int xsc_poisoned(const void *addr)
{
	return __asan_address_is_poisoned(addr);
}
#endif

void *xsc_pages_alloc(unsigned int order, int)
{
	const size_t bytes = XSC_PAGE_SIZE << order;
	void *p;

	if (should_fail())
		return nullptr;
	p = aligned_alloc(bytes, bytes);
	if (p) {
		page_allocs++;
		pages_live += 1L << order;
	}
	return p;
}

static void *page_owner_of(const void *address);

void xsc_pages_free(void *addr, unsigned int order)
{
	// The kernel's pages go back to the page allocator: their owner must be
	// cleared first.
	for (unsigned long p = 0; p < 1UL << order; p++) {
		if (page_owner_of(static_cast<char *>(addr) + p * XSC_PAGE_SIZE)) {
			fprintf(stderr, "BUG: pages freed with an owner\n");
			abort();
		}
	}
	pages_live -= 1L << order;
	free(addr);
}

void *xsc_meta_alloc(unsigned long size, int)
{
	if (should_fail())
		return nullptr;
	return calloc(1, size);
}

void xsc_meta_free(void *ptr)
{
	free(ptr);
}

void xsc_meta_free_deferred(void *ptr)
{
	// Every reader runs in a CPU section: once each section has been held,
	// none can still see the pointer.
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		std::lock_guard<std::mutex> g(cpu_mutex[cpu]);
	}
	free(ptr);
}

void xsc_meta_leak(void *ptr)
{
#ifdef __SANITIZE_ADDRESS__
	__lsan_ignore_object(ptr);
#else
	(void)ptr;
#endif
}

unsigned int xsc_nr_cpu_ids(void)
{
	return nr_cpus;
}

unsigned long xsc_total_pages(void)
{
	return total_pages.load();
}

unsigned long xsc_cpu_enter(unsigned int *cpu)
{
	rcu_depth++;
	if (section_depth++ == 0) {
		cpu_mutex[current_cpu].lock();
		sections++;
	}
	*cpu = current_cpu;
	return 0;
}

void xsc_cpu_exit(unsigned long)
{
	if (--section_depth == 0)
		cpu_mutex[current_cpu].unlock();
	rcu_depth--;
}

void xsc_assert_failed(const char *cond, const char *file, int line)
{
	fprintf(stderr, "BUG: %s:%d: assertion failed: %s\n", file, line, cond);
	abort();
}

void xsc_rcu_read_lock(void)
{
	rcu_depth++;
}

void xsc_rcu_read_unlock(void)
{
	rcu_depth--;
}

struct xsc_lock *xsc_lock_alloc(enum xsc_lock_kind)
{
	return new xsc_lock;
}

void xsc_lock_free(struct xsc_lock *lock)
{
	delete lock;
}

unsigned long xsc_lock_irqsave(struct xsc_lock *lock)
{
	lock->m.lock();
	rcu_depth++;
	return 0;
}

void xsc_unlock_irqrestore(struct xsc_lock *lock, unsigned long)
{
	rcu_depth--;
	lock->m.unlock();
}

void xsc_pages_set_owner(void *pages, unsigned int order, void *owner)
{
	const unsigned long first = reinterpret_cast<uintptr_t>(pages) >> XSC_PAGE_SHIFT;
	std::unique_lock<std::shared_mutex> g(owner_mutex);

	for (unsigned long p = 0; p < 1UL << order; p++)
		page_owners[first + p] = owner;
}

void xsc_pages_clear_owner(void *pages, unsigned int order)
{
	const unsigned long first = reinterpret_cast<uintptr_t>(pages) >> XSC_PAGE_SHIFT;
	std::unique_lock<std::shared_mutex> g(owner_mutex);

	for (unsigned long p = 0; p < 1UL << order; p++)
		page_owners.erase(first + p);
}

static void *page_owner_of(const void *address)
{
	std::shared_lock<std::shared_mutex> g(owner_mutex);
	auto it = page_owners.find(reinterpret_cast<uintptr_t>(address) >> XSC_PAGE_SHIFT);

	return it == page_owners.end() ? nullptr : it->second;
}

// As the kernel's shim (RCU_LOCKDEP_WARN there): a slab that an owner names
// may be freed a grace period after its pages, so only readers in an RCU
// read side may look.
void *xsc_page_owner(const void *address)
{
	if (!rcu_depth) {
		fprintf(stderr, "BUG: page owner read outside an RCU read side\n");
		abort();
	}
	owner_reads++;
	return page_owner_of(address);
}

int xsc_run_on_cpu(unsigned int cpu, void (*fn)(void *), void *arg)
{
	const unsigned saved = current_cpu;
	unsigned ignored;
	unsigned long flags;

	if (cpu >= nr_cpus || !cpu_online[cpu])
		return -6; // -ENXIO
	current_cpu = cpu;
	flags = xsc_cpu_enter(&ignored);
	fn(arg);
	xsc_cpu_exit(flags);
	current_cpu = saved;
	return 0;
}

void xsc_warn(const char *cache, const char *what, long value)
{
	warnings++;
	fprintf(stderr, "WARNING: xen_slab_cache %s: %s (%ld)\n", cache, what, value);
}

int xsc_strict_puts(void)
{
	return strict_puts.load();
}

void xsc_might_sleep(void)
{
	if (section_depth) {
		fprintf(stderr, "BUG: might_sleep() in a CPU section\n");
		abort();
	}
}

void xsc_registry_set_creator(struct xen_slab_cache *, const struct xen_slab_cache_args *,
			      struct module *)
{
}

void *xen_slab_cache_get(struct xen_slab_cache *cache, bool locked)
{
	unsigned cpu;
	const unsigned long flags = xsc_cpu_enter(&cpu);
	void *object = xsc_front_get(cache, cpu);

	xsc_cpu_exit(flags);
	return object ? object : xsc_cache_get_slow(cache, locked);
}

void xen_slab_cache_put(struct xen_slab_cache *cache, void *object, bool locked)
{
	unsigned cpu;
	const unsigned long flags = xsc_cpu_enter(&cpu);
	const int taken = xsc_front_put(cache, object, cpu);

	xsc_cpu_exit(flags);
	if (!taken)
		xsc_cache_put_slow(cache, object, locked);
}

int xsc_registry_add(struct xen_slab_cache *cache)
{
	std::lock_guard<std::mutex> g(registry_mutex);
	registry.push_back(cache);
	return 0;
}

void xsc_registry_remove(struct xen_slab_cache *cache)
{
	std::lock_guard<std::mutex> g(registry_mutex);
	for (auto it = registry.begin(); it != registry.end(); ++it) {
		if (*it == cache) {
			registry.erase(it);
			break;
		}
	}
}

} // extern "C"

void *host::page_owner(const void *address)
{
	return page_owner_of(address);
}
