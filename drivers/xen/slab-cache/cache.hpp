// SPDX-License-Identifier: GPL-2.0
//
// One object cache: per-CPU magazines in front of a depot in front of the
// occupancy-sorted slabs.
#ifndef XSC_CACHE_HPP
#define XSC_CACHE_HPP

#include "../../../include/xen_slab_cache.h"
#include "magazine.hpp"
#include "slab.hpp"

namespace xsc {

#ifdef XSC_POISON
constexpr bool kPoison = true;
#else
constexpr bool kPoison = false;
#endif

class Cache {
public:
	static Cache *create(const char *name, const xen_slab_cache_args *args, int *error);
	void destroy();

	void *get(bool locked);
	void put(void *object, bool locked);
	unsigned get_bulk(void **objects, unsigned n, bool locked);
	void put_bulk(void **objects, unsigned n, bool locked);

	void trim();
	int audit();
	void read_stats(xen_slab_cache_stats *stats);

	void cpu_dead(unsigned cpu);
	ulong shrink_count();
	ulong shrink_scan(ulong nr_to_scan);

	const char *name() const
	{
		return name_;
	}

private:
	enum Warning : unsigned {
		kWarnBadPut,
		kWarnLockedWithoutCallbacks,
		kWarnDestroyBusy,
	};

	// The lock of the slab layer: the caller's, through its callbacks, or
	// the cache's own spinlock.
	class SlabLock {
	public:
		SlabLock(Cache &cache, bool locked);
		~SlabLock();
		SlabLock(const SlabLock &) = delete;
		SlabLock &operator=(const SlabLock &) = delete;

	private:
		Cache &cache_;
		bool taken_;
		unsigned long flags_;
	};

	Cache() = default;
	~Cache() = default;
	int init(const char *name, const xen_slab_cache_args *args);
	void release_resources();

	// Magazine layer; all with interrupts off on the CPU that owns @cc.
	bool load_nonempty(CpuCache &cc);
	bool push(CpuCache &cc, void *object);
	void *pop(CpuCache &cc);
	static bool on_top(CpuCache &cc, void *object);

	// Slab layer.
	unsigned slab_get(void **objects, unsigned n, bool locked);
	unsigned slab_put(void **objects, unsigned n, bool locked);
	unsigned take_slots(void **objects, unsigned n, u64 *unconstructed);
	bool release_slot(void *object);
	unsigned construct(void **objects, unsigned n, u64 unconstructed, bool locked);
	bool grow(int may_sleep, bool locked);
	Slab *detach_empty_slab(u64 keep);
	void free_slab(Slab *slab);
	unsigned free_empty_slabs(u64 keep, ulong limit);
	Slab *lookup(void *object, unsigned *slot) const;

	// Monitor work.
	void flush_cpus(bool idle_only);
	static void flush_cpu(void *context);
	void return_magazine_objects(Magazine *m);
	void trim_depot(bool everything);
	void fill_reservation();

	// Checked builds: free objects are poisoned (see xsc_poison()).
	void hand_out(void *object) const
	{
		if (kPoison)
			xsc_unpoison(object, round_up(args_.size, 8));
	}
	void take_back(void *object) const
	{
		if (kPoison)
			xsc_poison(object, geometry_.stride);
	}
	// A put of an object that is free already (in a magazine, say).
	static bool poisoned(void *object)
	{
		return kPoison && xsc_poisoned(object);
	}

	bool cap_take(unsigned n, unsigned *granted);
	void cap_release(unsigned n);
	u64 in_use_now() const;
	void bad_put(void *object);
	void warn_once(Warning w, const char *what, long value);

	ulong key_of(const void *address) const
	{
		return reinterpret_cast<uptr>(address) >> geometry_.shift;
	}

	// Read-mostly after creation.
	char name_[XEN_SLAB_CACHE_NAME_LEN];
	xen_slab_cache_args args_;
	Geometry geometry_;
	unsigned magazine_capacity_;
	bool strict_puts_; // bypass the magazines (xsc_strict_puts() at creation)
	unsigned nr_cpus_;
	CpuCache *cpus_;
	void *cpus_memory_;
	xsc_index *index_;
	xsc_lock *own_lock_; // nullptr when the caller's lock callbacks guard the slabs

	char pad0_[XSC_CACHE_LINE];

	// Written by any CPU.
	Depot depot_;
	u64 cap_in_use_;
	u64 get_slow_;
	u64 put_slow_;
	u64 get_failures_;
	u64 ctor_calls_;
	u64 ctor_failures_;
	u64 dtor_calls_;
	u64 bad_puts_;
	u64 in_use_max_;
	unsigned warned_;

	char pad1_[XSC_CACHE_LINE];

	// Guarded by the slab lock (stored untearably for lock-free readers).
	SlabSet slabs_;
	u64 count_;	 // slots in all slabs
	u64 slab_count_; // slabs
	u64 slabs_max_;
	u64 busy_;	 // slots handed out to users or magazines
};

} // namespace xsc

#endif // XSC_CACHE_HPP
