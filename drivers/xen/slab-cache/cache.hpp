// SPDX-License-Identifier: GPL-2.0
//
// One object cache: per-CPU magazines in front of a depot in front of the
// occupancy-sorted slabs.
#ifndef XSC_CACHE_HPP
#define XSC_CACHE_HPP

#include "../../../include/xen_slab_cache.h"
#include "cpu_cache.hpp"
#include "depot.hpp"
#include "slab.hpp"

namespace xsc {

// How the per-CPU front end works (fixed at creation).
enum Mode : unsigned char {
	kMagazines,	 // loaded and previous magazine, depot
	kSingleMagazine, // the original's: one small magazine (no previous), no depot
	kBypass,	 // none: every get and put reaches the slabs
};

// What a policy (xen_slab_cache_args.policy) is, as data: cache.cpp's
// kPolicies, one row per policy.
struct Policy {
	Mode front;
	unsigned magazine_slots; // 0: by object size
	bool shared_counter;	 // every get and put updates one shared counter (the original's)
	bool eager;		 // a new slab constructs all its slots
	bool free_on_empty;	 // the put that empties a slab frees it
	bool least_occupied_first; // slab order: least occupied first, else fullest first
	bool sparse_rule;	 // puts of sparse slabs' objects go to their slabs
};

#ifdef XSC_POISON
constexpr bool kPoison = true;
#else
constexpr bool kPoison = false;
#endif
// The platform poisons in granules of this many bytes, at addresses that
// are multiples of it (KASAN: 8; ASan takes any).
#ifdef XSC_POISON_GRANULE
constexpr ulong kPoisonGranule = XSC_POISON_GRANULE;
#else
constexpr ulong kPoisonGranule = 1;
#endif

// A cache begins with what the entry points' inline fast paths read of it
// (struct xsc_front, xsc_front.h), and a struct xen_slab_cache pointer
// points there: handle(), from_handle().
class Cache : private xsc_front {
public:
	static Cache *create(const char *name, const xen_slab_cache_args *args, int *error);
	void destroy();

	xen_slab_cache *handle()
	{
		return reinterpret_cast<xen_slab_cache *>(static_cast<xsc_front *>(this));
	}
	static Cache *from_handle(xen_slab_cache *cache)
	{
		return static_cast<Cache *>(reinterpret_cast<xsc_front *>(cache));
	}

	// Slow paths, bulk calls and the rest; see cache.cpp.
	// Fast paths without the re-entry guard, for platforms whose CPU
	// sections nothing interrupts (the host benchmarks): what
	// xsc_front_get() and xsc_front_put() do inline, with @miss() as the
	// tail when the loaded magazine cannot serve; see fast_paths.hpp.
	template <typename Miss> void *get_on_cpu(CpuCache &cc, Miss miss);
	template <typename Miss> bool put_on_cpu(CpuCache &cc, void *object, Miss miss);
	CpuCache &cpu_cache(ulong cpu);
	static CpuCache &cpu_cache_of(xsc_cpu_front *f)
	{
		return *static_cast<CpuCache *>(f);
	}
	void *get_slow(bool locked);
	void put_slow(void *object, bool locked);
	// What the inline fast paths decline, in their section (preemption
	// off, the CPU's guard held, interrupts on), releasing the guard
	// (xsc_cache_get_in_section(), xsc_cache_put_in_section()): see
	// cache.cpp.  Inline in those, their only callers.
	XSC_ALWAYS_INLINE void *get_in_section(CpuCache &cc);
	XSC_ALWAYS_INLINE int put_in_section(void *object, CpuCache &cc);
	unsigned get_bulk(void **objects, unsigned n, bool locked);
	void put_bulk(void **objects, unsigned n, bool locked);

	void trim();
	u64 purge();
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

	class SlabLock;
	// The slab lock as Clang's thread-safety analysis sees it: a name for
	// whichever lock a SlabLock takes (own_lock_ or the caller's, or none
	// when the caller holds it already or owns the cache alone).  The
	// slab layer's fields are guarded by it; the analysis (clang builds,
	// -Wthread-safety) checks every access, the SlabsHeld token is the
	// same proof for every compiler.
	class XSC_CAPABILITY("slab lock") SlabLockName {};

	// The proof, at compile time, that the slab lock is held (or that the
	// caller owns the cache alone): only a SlabLock makes one.  Functions
	// that need the lock take it as their first argument; empty, it costs
	// no register.
	class SlabsHeld {
		friend class SlabLock;
		SlabsHeld() = default;
	};

	// The lock of the slab layer: the caller's, through its callbacks, or
	// the cache's own spinlock.
	class XSC_SCOPED_CAPABILITY SlabLock {
	public:
		// Their bodies are not analysed: callers see the slab lock
		// (slab_lock_) taken and released, not the SpinLock or the
		// callbacks behind it.
		SlabLock(Cache &cache, bool locked) XSC_ACQUIRE(cache.slab_lock_) XSC_NO_TSA;
		// No lock: nobody else can reach the cache (its creation or
		// destruction).
		struct Exclusive {};
		SlabLock(Cache &cache, Exclusive) XSC_ACQUIRE(cache.slab_lock_)
			: cache_(cache), taken_(false), flags_(0)
		{
		}
		~SlabLock() XSC_RELEASE() XSC_NO_TSA;
		SlabLock(const SlabLock &) = delete;
		SlabLock &operator=(const SlabLock &) = delete;
		SlabsHeld held() const
		{
			return SlabsHeld();
		}

	private:
		Cache &cache_;
		bool taken_;
		unsigned long flags_;
	};

	Cache() = default;
	~Cache() = default;
	int init(const char *name, const xen_slab_cache_args *args);
	void release_resources();

	bool sparse(Slab *slab) const;
	bool set_hint_span(CpuCache &cc, Slab *slab) const;
	void sparse_changed(SlabsHeld, Slab *slab, Slab *old_cursor) XSC_REQUIRES(slab_lock_);
	void loaded_changed(CpuCache &cc);
	unsigned put_run(CpuCache &cc, void *const *objects, unsigned n);
	unsigned put_run_remembered(CpuCache &cc, void *const *objects, unsigned n);
	// Objects of sparse slabs one put_bulk() collects for their slabs
	// before the rest of the call goes to the slabs too.
	static constexpr unsigned kSparseBatch = 16;
	unsigned put_bulk_on_cpu(CpuCache &cc, void **objects, unsigned n, unsigned *accepted,
				 void **sparse, unsigned *nr_sparse);

	// Magazine layer; all with interrupts off on the CPU that owns @cc.
	bool load_nonempty(CpuCache &cc);
	bool push(CpuCache &cc, void *object);
	void *pop(CpuCache &cc);
	static bool on_top(CpuCache &cc, void *object);

	// Slab layer.
	unsigned slab_get(void **objects, unsigned n, bool locked);
	unsigned slab_put(void **objects, unsigned n, bool locked, unsigned trusted);
	unsigned take_slots(SlabsHeld, void **objects, unsigned n, u64 *unconstructed)
		XSC_REQUIRES(slab_lock_);
	unsigned take_constructed_free(SlabsHeld, void **objects, unsigned n) XSC_REQUIRES(slab_lock_);
	u64 constructed_slots();
	bool release_slot(SlabsHeld, void *object, ListNode *emptied, bool user) XSC_REQUIRES(slab_lock_);
	void free_slabs(ListNode *detached);
	unsigned construct(void **objects, unsigned n, u64 unconstructed, bool locked);
	bool grow(int may_sleep, bool locked);
	bool construct_all(Slab *slab);
	void free_slab_objects(Slab *slab);
	Slab *detach_empty_slab(SlabsHeld, u64 keep) XSC_REQUIRES(slab_lock_);
	void free_slab(Slab *slab);
	unsigned free_empty_slabs(u64 keep, ulong limit);
	Slab *slab_of(const void *object) const;
	Slab *lookup(SlabsHeld, void *object, unsigned *slot) const XSC_REQUIRES(slab_lock_);
	Slab *lookup_in_section(void *object, unsigned *slot) const;
	Slab *lookup_on_cpu(CpuCache &cc, void *object, unsigned *slot);
	Slab *slab_of_on_cpu(CpuCache &cc, void *object, u64 gen, bool *looked_up);
	Slab *lookup_hint_miss(CpuCache &cc, void *object, u64 gen);
	Slab *lookup_remembered(CpuCache &cc, void *object, unsigned *slot);
	Slab *busy_slot(Slab *slab, void *object, unsigned *slot) const;

	// Lock-free reads of the slab layer's fields: snapshots that may be
	// stale by the time they are used, for statistics, hints and
	// decisions that the locked paths re-check (slabs.cpp).
	u64 count_unlocked() const XSC_NO_TSA
	{
		return read_once(count_);
	}
	u64 busy_unlocked() const XSC_NO_TSA
	{
		return read_once(busy_);
	}
	u64 slab_count_unlocked() const XSC_NO_TSA
	{
		return read_once(slab_count_);
	}
	u64 slabs_max_unlocked() const XSC_NO_TSA
	{
		return read_once(slabs_max_);
	}
	Slab *cursor_unlocked() const XSC_NO_TSA
	{
		return slabs_.cursor();
	}
	unsigned empty_slabs_unlocked() const XSC_NO_TSA
	{
		return slabs_.bin_length_unlocked(0);
	}

	// Monitor work.
	void flush_cpus(bool idle_only);
	static void flush_cpu(void *context);
	void return_magazine_objects(Magazine *m);
	void trim_depot(bool everything);
	void fill_reservation();
	unsigned empty_slabs();

	// Checked builds: free objects are poisoned (see xsc_poison()).
	void hand_out(void *object) const
	{
		if constexpr (kPoison)
			xsc_unpoison(object, round_up(args_.size, kPoisonGranule));
	}
	void take_back(void *object) const
	{
		if constexpr (kPoison)
			xsc_poison(object, geometry_.stride);
	}
	// A put of an object that is free already (in a magazine, say).
	static bool poisoned(void *object)
	{
		if constexpr (kPoison)
			return xsc_poisoned(object);
		return false;
	}

	bool cap_take(unsigned n, unsigned *granted, u64 *reached);
	void cap_handed_out(u64 reached, unsigned granted, unsigned got);
	void cap_release(unsigned n);
	u64 in_use_now() const;
	void bad_put(void *object);
	void warn_once(Warning w, const char *what, long value);

	// Read-mostly after creation.
	bool fast_;	// gets and puts may try the loaded magazine inline (CpuCache::fast)
	bool in_section_; // ... and what it declines in their section (get_in_section())
	Magazine no_magazine_; // capacity 0: CpuCache::fast of the other caches
	ulong span_;	// bytes of a slab covered by slots: objects x stride
	unsigned sparse_; // a slab with fewer busy slots is sparse
	SlabHints hints_; // the slab generation (cpu_cache.hpp)
	char name_[XEN_SLAB_CACHE_NAME_LEN];
	xen_slab_cache_args args_;
	Geometry geometry_;
	unsigned magazine_capacity_;
	Mode mode_;	     // kBypass also under xsc_strict_puts() at creation
	bool free_on_empty_; // a slab is freed by the put that empties it
	bool eager_;	     // a new slab constructs all its slots (the original before 2022)
	bool shared_counter_; // every get and put updates shared_in_use_
	unsigned nr_cpus_;
	CpuCache *cpus_;
	void *cpus_memory_;
	SpinLock own_lock_; // not ready() when the caller's lock callbacks guard the slabs

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

	char pad2_[XSC_CACHE_LINE];

	// The original's one counter that every get and put of every CPU
	// updates atomically (modelled for its cost under its policies).
	u64 shared_in_use_;

	char pad1_[XSC_CACHE_LINE];

	// Guarded by the slab lock; the counts and the cursor are stored
	// untearably (write_once) for the lock-free readers below.
	SlabLockName slab_lock_;
	SlabSet slabs_ XSC_GUARDED_BY(slab_lock_);
	u64 count_ XSC_GUARDED_BY(slab_lock_);	    // slots in all slabs
	u64 slab_count_ XSC_GUARDED_BY(slab_lock_); // slabs
	u64 slabs_max_ XSC_GUARDED_BY(slab_lock_);
	u64 busy_ XSC_GUARDED_BY(slab_lock_); // slots handed out to users or magazines
	// busy_ at the last two monitor passes, latest first
	u64 busy_at_pass_[2] XSC_GUARDED_BY(slab_lock_);
};

} // namespace xsc

#endif // XSC_CACHE_HPP
