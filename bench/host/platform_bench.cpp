// SPDX-License-Identifier: GPL-2.0
//
// A cheap platform of xsc_platform.h for host benchmarks of the allocator
// core.  Each thread is one "CPU" (bench::set_cpu); as nothing can interrupt
// a thread on its own CPU, a CPU section only reports the CPU: enter and
// exit are out-of-line calls that do no more than that (see
// docs/performance.md for their instruction counts).  Locks are test-and-set
// spinlocks; page owners are a hash map under such a lock.  Metadata
// freed "after a grace period" is kept until bench::quiesce(), which the
// benchmarks call when no get or put is running.  xsc_run_on_cpu() runs the
// function on the calling thread: benchmarks run monitor passes only while
// no other thread uses the cache.
#include "platform_bench.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

thread_local unsigned current_cpu = 0;
unsigned nr_cpus = 2;
std::atomic<long> pages_live{ 0 };
std::atomic<long> warnings{ 0 };
std::mutex deferred_mutex;
std::vector<void *> deferred;

class SpinLock {
public:
	void lock()
	{
		while (flag_.exchange(true, std::memory_order_acquire))
			while (flag_.load(std::memory_order_relaxed))
				__builtin_ia32_pause();
	}

	void unlock()
	{
		flag_.store(false, std::memory_order_release);
	}

private:
	std::atomic<bool> flag_{ false };
};

} // namespace

struct xsc_lock {
	SpinLock lock;
};

namespace {

// Page number -> owner, for every page of every live slab.
SpinLock owner_lock;
std::unordered_map<unsigned long, void *> page_owners;

} // namespace


namespace bench {

void set_nr_cpus(unsigned n)
{
	nr_cpus = n;
}

void set_cpu(unsigned cpu)
{
	current_cpu = cpu;
}

long live_pages()
{
	return pages_live.load();
}

long warning_count()
{
	return warnings.load();
}

void quiesce()
{
	std::lock_guard<std::mutex> g(deferred_mutex);

	for (void *p : deferred)
		free(p);
	deferred.clear();
}

} // namespace bench

extern "C" {

void *xsc_pages_alloc(unsigned int order, int)
{
	const size_t bytes = XSC_PAGE_SIZE << order;
	void *p = aligned_alloc(bytes, bytes);

	if (p)
		pages_live += 1L << order;
	return p;
}

void xsc_pages_free(void *addr, unsigned int order)
{
	pages_live -= 1L << order;
	free(addr);
}

void *xsc_meta_alloc(unsigned long size, int)
{
	return calloc(1, size);
}

void xsc_meta_free(void *ptr)
{
	free(ptr);
}

void xsc_meta_free_deferred(void *ptr)
{
	std::lock_guard<std::mutex> g(deferred_mutex);

	deferred.push_back(ptr);
}

void xsc_meta_leak(void *)
{
}

// The benchmark machine's memory: no reservation of the benchmarks comes
// near half of it.
unsigned long xsc_total_pages(void)
{
	return 1UL << 24;
}

unsigned int xsc_nr_cpu_ids(void)
{
	return nr_cpus;
}

unsigned long xsc_cpu_enter(unsigned int *cpu)
{
	*cpu = current_cpu;
	return 0;
}

void xsc_cpu_exit(unsigned long)
{
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
	lock->lock.lock();
	return 0;
}

void xsc_unlock_irqrestore(struct xsc_lock *lock, unsigned long)
{
	lock->lock.unlock();
}

void xsc_pages_set_owner(void *pages, unsigned int order, void *owner)
{
	const unsigned long first = reinterpret_cast<uintptr_t>(pages) >> XSC_PAGE_SHIFT;

	owner_lock.lock();
	for (unsigned long p = 0; p < 1UL << order; p++)
		page_owners[first + p] = owner;
	owner_lock.unlock();
}

void xsc_pages_clear_owner(void *pages, unsigned int order)
{
	const unsigned long first = reinterpret_cast<uintptr_t>(pages) >> XSC_PAGE_SHIFT;

	owner_lock.lock();
	for (unsigned long p = 0; p < 1UL << order; p++)
		page_owners.erase(first + p);
	owner_lock.unlock();
}

void xsc_assert_failed(const char *, const char *, int)
{
	abort();
}

// No RCU to model: nothing is freed while the benchmarks look.
void xsc_rcu_read_lock(void)
{
}

void xsc_rcu_read_unlock(void)
{
}

void *xsc_page_owner(const void *address)
{
	void *owner;

	owner_lock.lock();
	auto it = page_owners.find(reinterpret_cast<uintptr_t>(address) >> XSC_PAGE_SHIFT);
	owner = it == page_owners.end() ? nullptr : it->second;
	owner_lock.unlock();
	return owner;
}

int xsc_run_on_cpu(unsigned int cpu, void (*fn)(void *), void *arg)
{
	const unsigned saved = current_cpu;
	unsigned ignored;
	unsigned long flags;

	if (cpu >= nr_cpus)
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
	return 0;
}

void xsc_might_sleep(void)
{
}

// The API's get and put: the thread is its CPU, so the section is free.
// A thread is a CPU that nothing interrupts: no section around the fast path.
void *xen_slab_cache_get(struct xen_slab_cache *cache, bool locked)
{
	return xsc_cache_get(cache, locked, current_cpu);
}

void xen_slab_cache_put(struct xen_slab_cache *cache, void *object, bool locked)
{
	xsc_cache_put(cache, object, locked, current_cpu);
}

void xsc_registry_set_creator(struct xen_slab_cache *, const struct xen_slab_cache_args *,
			      struct module *)
{
}

int xsc_registry_add(struct xen_slab_cache *)
{
	return 0;
}

void xsc_registry_remove(struct xen_slab_cache *)
{
}

} // extern "C"
