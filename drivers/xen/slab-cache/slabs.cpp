// SPDX-License-Identifier: GPL-2.0
//
// The slab layer: the occupancy-sorted slabs, their bitmaps and counts,
// the slab lock, lookups of objects by their pages, growing and freeing
// slabs, constructing and destructing their objects.  Everything here that
// touches the slabs holds the slab lock (SlabLock), but for the lookups of
// puts in a CPU section (the page owner, under RCU).  Part of the core's one
// translation unit (core.cpp).

namespace xsc {

// --- the slab lock ---------------------------------------------------------

Cache::SlabLock::SlabLock(Cache &cache, bool locked) : cache_(cache), taken_(false), flags_(0)
{
	if (cache.own_lock_.ready()) {
		if (xsc_unlikely(locked))
			cache.warn_once(kWarnLockedWithoutCallbacks,
					"locked == true on a cache without lock callbacks", 0);
		flags_ = cache.own_lock_.lock_irqsave();
		taken_ = true;
	} else if (!locked) {
		cache.args_.acquire_lock(cache.args_.arg);
		taken_ = true;
	}
}

Cache::SlabLock::~SlabLock()
{
	if (!taken_)
		return;
	if (cache_.own_lock_.ready())
		cache_.own_lock_.unlock_irqrestore(flags_);
	else
		cache_.args_.release_lock(cache_.args_.arg);
}

// --- lookups ----------------------------------------------------------------

// @slab if @object is the start of one of its busy slots (stored in *@slot),
// else nullptr.
inline Slab *Cache::busy_slot(Slab *slab, void *object, unsigned *slot_out) const
{
	long slot;

	if (!slab)
		return nullptr;
	slot = geometry_.slot_of(reinterpret_cast<uptr>(object) - reinterpret_cast<uptr>(slab->base));
	if (slot < 0 || !Slab::test(slab->busy_bits(), static_cast<unsigned>(slot)))
		return nullptr;
	*slot_out = static_cast<unsigned>(slot);
	return slab;
}

// The slab of this cache whose pages hold @object, or nullptr.  Any pointer
// value may come: the page owner is a slab of any cache (or nullptr), read
// in an RCU read side (a CPU section's, or lookup()'s own), so its metadata
// stays valid until that read side ends (free_slab()).
inline Slab *Cache::slab_of(const void *object) const
{
	Slab *slab = static_cast<Slab *>(xsc_page_owner(object));

	return slab && read_once(slab->cache) == this ? slab : nullptr;
}

// The slab of a busy object of this cache and the object's slot, or nullptr,
// in a CPU section (its RCU read side).
Slab *Cache::lookup_in_section(void *object, unsigned *slot) const
{
	return busy_slot(slab_of(object), object, slot);
}

// The same under the slab lock, which need not be an RCU read side (a
// caller's mutex): the lookup takes its own.  A slab found with a busy
// slot stays after it: only an empty slab is detached, under this lock.
Slab *Cache::lookup(SlabsHeld, void *object, unsigned *slot) const
{
	RcuReadSection rcu;

	return lookup_in_section(object, slot);
}

// --- the slab layer ---------------------------------------------------------

// Takes up to @n busy-marked slots from the cursor onward; bit k of
// *@unconstructed says objects[k] still needs its constructor.  Slab lock held.
unsigned Cache::take_slots(SlabsHeld, void **objects, unsigned n, u64 *unconstructed)
{
	unsigned k = 0;
	Slab *slab;

	*unconstructed = 0;
	while (k < n && (slab = slabs_.cursor())) {
		const unsigned slot = static_cast<unsigned>(slab->find_free(geometry_));

		XSC_ASSERT(!Slab::test(slab->busy_bits(), slot));
		Slab::set(slab->busy_bits(), slot);
		if (!Slab::test(slab->constructed_bits(geometry_), slot))
			*unconstructed |= 1ULL << k;
		write_once(slab->busy, slab->busy + 1);
		slabs_.rebin(slab);
		objects[k] = slab->object(geometry_, slot);
		hand_out(objects[k++]);
	}
	write_once(busy_, busy_ + k);
	return k;
}

// Frees the slot of @object if it is a busy slot of this cache.  Slab lock
// held.  Under the pre-2019 policy a slab that empties is detached at once
// (above the reservation) and queued on @emptied for free_slabs().
bool Cache::release_slot(SlabsHeld held, void *object, ListNode *emptied, bool user)
{
	unsigned slot;
	Slab *slab = lookup(held, object, &slot);
	Slab *old_cursor;

	// A user's object that is poisoned is free already: in a magazine.
	if (!slab || (user && poisoned(object)))
		return false;
	take_back(object);
	XSC_ASSERT(slab->busy > 0 && busy_ > 0);
	Slab::clear(slab->busy_bits(), slot);
	write_once(slab->busy, slab->busy - 1);
	write_once(busy_, busy_ - 1);
	old_cursor = slabs_.cursor();
	slabs_.rebin(slab);
	if (sparse_)
		sparse_changed(held, slab, old_cursor);
	if (xsc_unlikely(free_on_empty_) && !slab->busy &&
	    count_ >= static_cast<u64>(args_.reservation) + geometry_.objects) {
		slabs_.remove(slab);
		write_once(count_, count_ - geometry_.objects);
		write_once(slab_count_, slab_count_ - 1);
		slab->link.insert_before(emptied);
	}
	return true;
}

// Destructs and frees the detached slabs on @detached.  No lock held.
void Cache::free_slabs(ListNode *detached)
{
	while (!detached->empty()) {
		Slab *slab = container_of<Slab, &Slab::link>(detached->next);

		slab->link.unlink();
		free_slab(slab);
	}
}

// Runs the constructors that @unconstructed asks for, outside every lock,
// then records the results: constructed slots are marked, failed ones freed
// and squeezed out of @objects.  Returns how many objects are left.
unsigned Cache::construct(void **objects, unsigned n, u64 unconstructed, bool locked)
{
	u64 failed = 0;
	unsigned kept = 0;
	ListNode emptied;

	if (!unconstructed)
		return n;
	for (unsigned k = 0; k < n; k++) {
		if (!(unconstructed & (1ULL << k)) || !args_.ctor)
			continue;
		atomic_add<u64>(ctor_calls_, 1);
		if (args_.ctor(args_.arg, objects[k])) {
			atomic_add<u64>(ctor_failures_, 1);
			failed |= 1ULL << k;
		}
	}

	emptied.init();
	{
		SlabLock lock(*this, locked);

		for (unsigned k = 0; k < n; k++) {
			void *object = objects[k];

			if (failed & (1ULL << k)) {
				release_slot(lock.held(), object, &emptied, false);
				continue;
			}
			if (unconstructed & (1ULL << k)) {
				unsigned slot = 0;
				Slab *slab = lookup(lock.held(), object, &slot);

				Slab::set(slab->constructed_bits(geometry_), slot);
				slab->constructed++;
			}
			objects[kept++] = object;
		}
	}
	free_slabs(&emptied);
	return kept;
}

unsigned Cache::slab_get(void **objects, unsigned n, bool locked)
{
	unsigned got = 0;

	while (got < n) {
		const unsigned chunk = min(n - got, 64u);
		u64 unconstructed;
		unsigned taken, kept;

		{
			SlabLock lock(*this, locked);

			taken = take_slots(lock.held(), objects + got, chunk, &unconstructed);
		}
		if (!taken) {
			if (!grow(0, locked))
				break;
			continue;
		}
		kept = construct(objects + got, taken, unconstructed, locked);
		got += kept;
		// A constructor failed: hand out what was made.
		if (kept < taken)
			break;
	}
	atomic_add<u64>(get_slow_, got);
	// Objects in use are at most the busy slots: only when those exceed
	// the maximum is the sum over the CPUs worth computing.
	// Capped caches count in cap_handed_out(); sums of per-CPU counters
	// read while they move may be one high.
	if (!args_.cap && busy_unlocked() > read_once(in_use_max_))
		atomic_max(in_use_max_, in_use_now());
	return got;
}

// Returns @objects to their slabs; the first @trusted are known to be
// busy and not elsewhere (magazine contents, or checked by the caller), the
// others are a user's puts, refused if they are free already.
unsigned Cache::slab_put(void **objects, unsigned n, bool locked, unsigned trusted)
{
	unsigned accepted = 0;
	ListNode emptied;

	emptied.init();
	{
		SlabLock lock(*this, locked);

		for (unsigned i = 0; i < n; i++) {
			if (release_slot(lock.held(), objects[i], &emptied, i >= trusted))
				accepted++;
			else
				atomic_add<u64>(bad_puts_, 1);
		}
	}
	free_slabs(&emptied);
	if (accepted < n)
		warn_once(kWarnBadPut, "put of a pointer that is not a busy object of this cache",
			  static_cast<long>(read_once(bad_puts_)));
	return accepted;
}

bool Cache::grow(int may_sleep, bool locked)
{
	void *pages = xsc_pages_alloc(geometry_.order, may_sleep);
	Slab *slab;

	if (!pages)
		return false;
	slab = static_cast<Slab *>(xsc_meta_alloc(Slab::metadata_size(geometry_), may_sleep));
	if (!slab) {
		xsc_pages_free(pages, geometry_.order);
		return false;
	}
	new (slab) Slab{};
	slab->base = static_cast<char *>(pages);
	if (eager_ && !construct_all(slab)) {
		xsc_meta_free(slab);
		xsc_pages_free(pages, geometry_.order);
		return false;
	}
	slab->cache = this;
	if constexpr (kPoison)
		xsc_poison(pages, XSC_PAGE_SIZE << geometry_.order);
	// Lookups find the slab from here on; none of its slots is busy yet,
	// so each refuses its put until slab_get() hands the slot out.
	xsc_pages_set_owner(pages, geometry_.order, slab);

	SlabLock lock(*this, locked);

	slabs_.insert(slab);
	write_once(count_, count_ + geometry_.objects);
	write_once(slab_count_, slab_count_ + 1);
	write_once(slabs_max_, max(slabs_max_, slab_count_));
	return true;
}

// The original's policies of 2019 and before construct every slot of a new
// slab, before anyone can see it; a constructor failure fails the slab
// (what it constructed is destructed).
bool Cache::construct_all(Slab *slab)
{
	for (unsigned slot = 0; slot < geometry_.objects; slot++) {
		if (args_.ctor) {
			atomic_add<u64>(ctor_calls_, 1);
			if (args_.ctor(args_.arg, slab->object(geometry_, slot))) {
				atomic_add<u64>(ctor_failures_, 1);
				free_slab_objects(slab);
				return false;
			}
		}
		Slab::set(slab->constructed_bits(geometry_), slot);
		slab->constructed++;
	}
	return true;
}

// Unlinks an empty slab if that leaves at least @keep slots.  Slab lock held.
Slab *Cache::detach_empty_slab(SlabsHeld, u64 keep)
{
	Slab *slab = slabs_.first_empty();

	if (!slab || count_ < keep + geometry_.objects)
		return nullptr;
	slabs_.remove(slab);
	write_once(count_, count_ - geometry_.objects);
	write_once(slab_count_, slab_count_ - 1);
	return slab;
}

// Runs the destructor of every constructed slot of @slab.
void Cache::free_slab_objects(Slab *slab)
{
	const ulong *constructed = slab->constructed_bits(geometry_);

	// Checked builds: the dtors may touch the objects, and the pages go
	// back unpoisoned.
	if constexpr (kPoison)
		xsc_unpoison(slab->base, XSC_PAGE_SIZE << geometry_.order);
	if (!args_.dtor)
		return;
	for (unsigned slot = 0; slot < geometry_.objects; slot++) {
		if (Slab::test(constructed, slot)) {
			args_.dtor(args_.arg, slab->object(geometry_, slot));
			atomic_add<u64>(dtor_calls_, 1);
		}
	}
}

// Destructs and frees a detached empty slab.  Process context, no lock held.
//
// The order matters to puts running concurrently in CPU sections (RCU read
// sides), which may find the slab through its pages or their CPU's hint:
//  1. The page owner goes: later lookups find nothing (or, once the pages
//     are someone else's, whatever xsc_page_owner() makes of them: never
//     this slab).
//  2. The hints retire it (SlabHints::retire(), pairings 1 and 2): the
//     generation advances, so a slow put that reads the new generation
//     also sees step 1, and a hint taken from a lookup before step 1
//     carries an older generation and is not used by slow puts; then fast
//     puts of the slab stop on every CPU that hints it.
//  3. The pages go back: the owner was cleared before, as the platform
//     requires.  Puts that found the slab before step 1 read only its
//     metadata, never the pages, and refuse (the slab was detached empty,
//     and no slot of a detached slab becomes busy again).
//  4. The metadata goes after a grace period: every section that may still
//     hold the slab from step 1 or from a hint has ended by then (pairing 6).
void Cache::free_slab(Slab *slab)
{
	xsc_pages_clear_owner(slab->base, geometry_.order);
	hints_.retire(slab, cpus_, nr_cpus_);
	free_slab_objects(slab);
	xsc_pages_free(slab->base, geometry_.order);
	xsc_meta_free_deferred(slab);
}

// Frees empty slabs while at least @keep slots remain, up to @limit slabs.
unsigned Cache::free_empty_slabs(u64 keep, ulong limit)
{
	ListNode detached;
	unsigned freed = 0;
	Slab *slab;

	detached.init();
	{
		SlabLock lock(*this, false);

		while (freed < limit && (slab = detach_empty_slab(lock.held(), keep))) {
			slab->link.insert_before(&detached);
			freed++;
		}
	}
	free_slabs(&detached);
	return freed;
}

unsigned Cache::empty_slabs()
{
	SlabLock lock(*this, false);

	return slabs_.bin_length(0);
}

// Takes up to @n free slots whose constructor has run, marking them busy so
// that no get hands them out while their destructor runs.  Slab lock held.
unsigned Cache::take_constructed_free(SlabsHeld, void **objects, unsigned n)
{
	Slab *touched[64];
	unsigned k = 0, ntouched = 0;

	n = min(n, 64u);
	slabs_.for_each_in_order([&](Slab *slab, unsigned) {
		const ulong *busy = slab->busy_bits();
		const ulong *cons = slab->constructed_bits(geometry_);
		unsigned took = 0;

		if (k == n || slab->constructed == 0 || slab->busy == geometry_.objects)
			return;
		for (unsigned w = 0; w < geometry_.words && k < n; w++) {
			ulong bits = cons[w] & ~busy[w];

			while (bits && k < n) {
				const unsigned slot = w * kBitsPerLong + lowest_bit(bits);

				bits &= bits - 1;
				Slab::set(slab->busy_bits(), slot);
				objects[k] = slab->object(geometry_, slot);
				hand_out(objects[k++]);
				took++;
			}
		}
		if (took) {
			write_once(slab->busy, slab->busy + took);
			touched[ntouched++] = slab;
		}
	});
	// Rebinning moves slabs between the lists being walked: only afterwards.
	for (unsigned i = 0; i < ntouched; i++)
		slabs_.rebin(touched[i]);
	write_once(busy_, busy_ + k);
	return k;
}

// Slots whose constructor has run, in use or free.
u64 Cache::constructed_slots()
{
	SlabLock lock(*this, false);
	u64 n = 0;

	slabs_.for_each_in_order([&](Slab *slab, unsigned) { n += slab->constructed; });
	return n;
}

} // namespace xsc
