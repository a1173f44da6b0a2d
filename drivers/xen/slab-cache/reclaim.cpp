// SPDX-License-Identifier: GPL-2.0
//
// Reclaim: the monitor's pass (trim), flushing CPUs' magazines, trimming the
// depot, purge, CPU-dead handling and the shrinker's callbacks.  Process
// context; each takes the locks of the layers it works on one at a time.
// Part of the core's one translation unit (core.cpp).

namespace xsc {

// --- the monitor --------------------------------------------------------------

struct FlushRequest {
	Cache *cache;
	bool idle_only;
	bool busy; // the CPU was in a fast path
	Magazine *spare[2]; // empty magazines to hand to the CPU
	Magazine *taken[2]; // its non-empty ones, to be emptied by the caller
};

// Runs on the CPU being flushed, interrupts off.
void Cache::flush_cpu(void *context)
{
	FlushRequest *req = static_cast<FlushRequest *>(context);
	Cache *cache = req->cache;
	unsigned cpu;
	const unsigned long flags = xsc_cpu_enter(&cpu);
	CpuCache &cc = cache->cpus_[cpu];
	const u64 ops = cc.get_fast + cc.put_fast;
	Magazine **slots[2] = { &cc.loaded, &cc.previous };

	// Interrupted a fast path: the caller asks again.
	req->busy = cc.guard_held();
	if (xsc_unlikely(req->busy)) {
		xsc_cpu_exit(flags);
		return;
	}
	if (!req->idle_only || ops == cc.ops_at_last_pass) {
		for (unsigned i = 0; i < 2; i++) {
			// The original's policies have no previous magazine.
			if (*slots[i] && (*slots[i])->count && req->spare[i]) {
				req->taken[i] = *slots[i];
				*slots[i] = req->spare[i];
				req->spare[i] = nullptr;
			}
		}
		cache->loaded_changed(cc);
	}
	cc.ops_at_last_pass = ops;
	xsc_cpu_exit(flags);
}

void Cache::return_magazine_objects(Magazine *m)
{
	if (m->count)
		slab_put(m->objects(), m->count, false, m->count);
	m->count = 0;
}

// Moves the objects of CPUs' magazines back to the slabs: of every online CPU,
// or with @idle_only of those that did no get or put since the last pass.
void Cache::flush_cpus(bool idle_only)
{
	FlushRequest req = { this, idle_only, false, { nullptr, nullptr }, { nullptr, nullptr } };

	if (mode_ == kBypass) // nothing is ever cached
		return;
	for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
		for (Magazine *&spare : req.spare) {
			if (!spare)
				spare = Magazine::create(magazine_capacity_, 1);
		}
		if (!req.spare[0] || !req.spare[1])
			break;
		// A fast path lasts a few instructions: ask again a few times.
		for (unsigned tries = 0; tries < 8; tries++) {
			if (xsc_run_on_cpu(cpu, flush_cpu, &req) || !req.busy)
				break;
		}
		for (Magazine *&taken : req.taken) {
			if (taken) {
				return_magazine_objects(taken);
				xsc_meta_free(taken);
				taken = nullptr;
			}
		}
	}
	for (Magazine *spare : req.spare)
		xsc_meta_free(spare);
}

// Returns to the slabs the depot's magazines that the last interval did not
// need (its low-water marks), or with @everything all of them.
void Cache::trim_depot(bool everything)
{
	Magazine *full, *empty, *m;

	depot_.detach(everything, &full, &empty);
	while ((m = full)) {
		full = m->next_magazine();
		return_magazine_objects(m);
		xsc_meta_free(m);
	}
	while ((m = empty)) {
		empty = m->next_magazine();
		xsc_meta_free(m);
	}
}

void Cache::fill_reservation()
{
	while (count_unlocked() < args_.reservation) {
		if (!grow(1, false))
			break;
	}
}

// A monitor pass.  The original's (its policies) never touches the magazines
// and frees empty slabs down to max(reservation, count / 2), so a cache
// halves its excess per pass.  Ours frees, down to the reservation, the
// slabs that stayed empty for the whole period since the last pass, and
// those that the objects which idled in magazines for that period empty now:
// after a burst drains, the cache is back at its reservation within two
// passes, while bursts that come more often than passes reuse their slabs
// (and their constructed objects).  While demand is steady -- the slots in
// use at the last two passes exceed today's by at most a sixteenth -- it
// keeps free slots for a sixteenth of those in use, so that a count that
// wanders up and down by that much under churn reuses constructed objects
// instead of freeing them and constructing anew; after a larger drop (a
// burst draining) it keeps none, and the shrinker frees this headroom too.
void Cache::trim()
{
	unsigned before, after, idle;
	u64 keep = args_.reservation;

	xsc_might_sleep();
	if (mode_ == kSingleMagazine) {
		fill_reservation();
		free_empty_slabs(max<u64>(args_.reservation, count_unlocked() / 2), ~0UL);
		return;
	}
	before = empty_slabs();
	flush_cpus(true);
	trim_depot(false);
	after = empty_slabs();
	fill_reservation();
	{
		SlabLock lock(*this, false);
		const u64 busy = busy_, headroom = busy + busy / 16;

		idle = slabs_.take_empty_low_water();
		if (max(busy_at_pass_[0], busy_at_pass_[1]) <= headroom)
			keep = max(keep, headroom);
		busy_at_pass_[1] = busy_at_pass_[0];
		busy_at_pass_[0] = busy;
	}
	idle += after > before ? after - before : 0;
	free_empty_slabs(keep, idle);
	{
		SlabLock lock(*this, false);

		slabs_.take_empty_low_water();
	}
}

// Destructs every free object whose constructor has run: the magazines of
// every CPU and of the depot go back to the slabs first; then, a batch at a
// time, the free constructed slots are taken (busy, so no get hands them
// out), destructed outside every lock and given back unconstructed, so that
// their next get constructs them anew.  Objects in use are left alone, and
// the slabs stay (the reservation too).  For callers whose constructed state
// went stale all at once, e.g. grants after a restore.  Returns how many
// constructed objects the cache lost (with a quiescent cache: how many were
// destructed).  An object put while this runs may stay constructed in a
// magazine.
u64 Cache::purge()
{
	void *objects[64];
	u64 before, after;
	unsigned n;

	xsc_might_sleep();
	before = constructed_slots();
	flush_cpus(false);
	trim_depot(true);
	do {
		ListNode emptied;

		{
			SlabLock lock(*this, false);

			n = take_constructed_free(lock.held(), objects, 64);
		}
		for (unsigned k = 0; k < n && args_.dtor; k++) {
			args_.dtor(args_.arg, objects[k]);
			atomic_add<u64>(dtor_calls_, 1);
		}
		emptied.init();
		{
			SlabLock lock(*this, false);

			for (unsigned k = 0; k < n; k++) {
				unsigned slot = 0;
				Slab *slab = lookup(lock.held(), objects[k], &slot);

				Slab::clear(slab->constructed_bits(geometry_), slot);
				slab->constructed--;
				release_slot(lock.held(), objects[k], &emptied, false);
			}
		}
		free_slabs(&emptied);
	} while (n);
	// Counted by slots, for the objects that went with a slab the purge
	// emptied (the original's policy before 2019 frees it at once) too.
	after = constructed_slots();
	return before > after ? before - after : 0;
}

void Cache::cpu_dead(unsigned cpu)
{
	CpuCache &cc = cpus_[cpu];

	if (cc.loaded)
		return_magazine_objects(cc.loaded);
	if (cc.previous)
		return_magazine_objects(cc.previous);
}

ulong Cache::shrink_count()
{
	u64 count = count_unlocked(), spare;

	// The original does not react to memory pressure.  Reclaim never
	// takes a caller's lock (lock callbacks): a caller that allocates while
	// holding it would wait for itself; the monitor trims those caches.
	if (mode_ == kSingleMagazine || !own_lock_.ready())
		return 0;
	// Whole empty slabs that can go without cutting into the reservation.
	spare = count > args_.reservation ? (count - args_.reservation) / geometry_.objects : 0;
	return depot_.objects() + static_cast<ulong>(min<u64>(spare, empty_slabs_unlocked()) *
						   geometry_.objects);
}

ulong Cache::shrink_scan(ulong nr_to_scan)
{
	const ulong slabs = nr_to_scan / geometry_.objects + (nr_to_scan % geometry_.objects != 0);

	if (mode_ == kSingleMagazine || !own_lock_.ready())
		return 0;
	trim_depot(true);
	return static_cast<ulong>(free_empty_slabs(args_.reservation, slabs)) * geometry_.objects;
}

} // namespace xsc
