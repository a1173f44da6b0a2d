// SPDX-License-Identifier: GPL-2.0
//
// The object cache.  Included once, by xen_slab_cache.cpp (one translation
// unit per module), and by the host tests.
//
// Lock order (outermost first), in the style of mm/slub.c:
//
//   1. xsc_caches_lock (a mutex in main.c: the list of caches).  CPU-dead
//      handling, debugfs and the shrinker call into caches under it (the
//      shrinker only trylocks it); the monitor pins one cache at a time
//      and trims it without it.
//   2. The slab lock: the cache's own spinlock (interrupts off), or the
//      caller's lock through acquire_lock/release_lock (held already when
//      an entry point says locked).  Guards the slabs, bins, cursor,
//      bitmaps and counts.  Nothing else of the cache is locked under it.
//   2'. The depot lock (a spinlock, interrupts off): the depot's full and
//      empty magazine lists.  Never held together with the slab lock.
//   3. A CPU section: xsc_cpu_enter() (interrupts off) around slow-path and
//      bulk magazine work, or the inline fast paths (preemption off and the
//      CPU's busy flag, which an interrupt that lands inside reads and then
//      serves itself from the slabs).  The depot lock may be taken inside
//      a section (exchanging magazines); the slab lock never is: the slow
//      paths leave the section before they reach the slabs.  flush_cpu()
//      runs in a section on its CPU and takes no lock.
//
// Constructors run with no lock of the cache held (the caller's, if it
// called with locked); destructors run with no lock at all, in process
// context (the monitor, the shrinker, purge, destroy), or in the context
// of the put that empties a slab under the pre-2019 policy.
#include "cache.hpp"

namespace xsc {

namespace {

constexpr ulong kDefaultAlign = 8;

// The original's per-CPU magazine (XENBUS_CACHE): six slots.
constexpr unsigned kOriginalMagazineSlots = 6;

unsigned magazine_capacity_for(ulong stride)
{
	if (stride <= 512)
		return 32;
	if (stride <= XSC_PAGE_SIZE)
		return 16;
	return 8;
}

} // namespace

// --- creation and destruction ------------------------------------------------

Cache *Cache::create(const char *name, const xen_slab_cache_args *args, int *error)
{
	void *mem;
	Cache *cache;

	if (!name || !args || args->size == 0 || args->size > XEN_SLAB_CACHE_MAX_SIZE ||
	    (args->align && (!is_power_of_2(args->align) || args->align > XSC_PAGE_SIZE)) ||
	    (args->cap && args->reservation > args->cap) ||
	    !args->acquire_lock != !args->release_lock ||
	    args->policy > XEN_SLAB_CACHE_POLICY_NO_MAGAZINES) {
		*error = -XSC_EINVAL;
		return nullptr;
	}

	mem = xsc_meta_alloc(sizeof(Cache), 1);
	if (!mem) {
		*error = -XSC_ENOMEM;
		return nullptr;
	}
	cache = new (mem) Cache();
	*error = cache->init(name, args);
	if (*error) {
		cache->release_resources();
		return nullptr;
	}
	return cache;
}

int Cache::init(const char *name, const xen_slab_cache_args *args)
{
	unsigned i;

	for (i = 0; i + 1 < sizeof(name_) && name[i]; i++)
		name_[i] = name[i];
	name_[i] = '\0';
	args_ = *args;
	if (!args_.align)
		args_.align = kDefaultAlign;
	// Checked builds: every slot starts on a poison granule.
	if constexpr (kPoison)
		args_.align = max<ulong>(args_.align, kPoisonGranule);
	if (!Geometry::compute(args_.size, args_.align, &geometry_))
		return -XSC_EINVAL;
	// A reservation is kept constructed for good: one that needs more
	// than half of memory fails here rather than push the system into
	// reclaim (and the monitor into refilling it each period).
	if ((static_cast<u64>(args_.reservation) + geometry_.objects - 1) / geometry_.objects
		    << geometry_.order > xsc_total_pages() / 2)
		return -XSC_ENOMEM;
	switch (args_.policy) {
	case XEN_SLAB_CACHE_POLICY_2019:
	case XEN_SLAB_CACHE_POLICY_PRE2019:
		mode_ = kSingleMagazine;
		magazine_capacity_ = kOriginalMagazineSlots;
		shared_counter_ = true;
		eager_ = true;
		free_on_empty_ = args_.policy == XEN_SLAB_CACHE_POLICY_PRE2019;
		break;
	case XEN_SLAB_CACHE_POLICY_NO_MAGAZINES:
		mode_ = kBypass;
		magazine_capacity_ = magazine_capacity_for(geometry_.stride);
		break;
	default:
		mode_ = kMagazines;
		magazine_capacity_ = magazine_capacity_for(geometry_.stride);
		break;
	}
	// Strict puts: every put reaches the slab bitmaps, where a double put
	// is always seen.
	if (xsc_strict_puts())
		mode_ = kBypass;
	// Checked builds poison free objects: their gets and puts take the
	// slow paths, which unpoison, check and poison.
	fast_ = mode_ != kBypass && !args_.cap && !kPoison;
	no_magazine_ = Magazine{};
	span_ = static_cast<ulong>(geometry_.objects) * geometry_.stride;
	// The sparse-slab rule is ours: a busy slab is never sparse at 0.
	sparse_ = mode_ == kMagazines ? geometry_.objects / 2 : 0;
	slabs_.init(&geometry_, args_.policy == XEN_SLAB_CACHE_POLICY_PRE2019);

	depot_.lock = xsc_lock_alloc(XSC_LOCK_DEPOT);
	if (!args_.acquire_lock)
		own_lock_ = xsc_lock_alloc(XSC_LOCK_SLAB);
	if (!depot_.lock || (!args_.acquire_lock && !own_lock_))
		return -XSC_ENOMEM;

	// Magazine space for every possible CPU, each CPU on its own cache lines.
	nr_cpus_ = xsc_nr_cpu_ids();
	cpus_memory_ = xsc_meta_alloc(nr_cpus_ * sizeof(CpuCache) + XSC_CACHE_LINE, 1);
	if (!cpus_memory_)
		return -XSC_ENOMEM;
	cpus_ = reinterpret_cast<CpuCache *>(
		round_up(reinterpret_cast<uptr>(cpus_memory_), XSC_CACHE_LINE));
	for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
		CpuCache *cc = new (&cpus_[cpu]) CpuCache{};

		cc->hint_gen = ~0ULL; // no hint
		cc->fast = &no_magazine_;
		cc->loaded = Magazine::create(magazine_capacity_, 1);
		loaded_changed(*cc);
		if (mode_ != kSingleMagazine)
			cc->previous = Magazine::create(magazine_capacity_, 1);
		if (!cc->loaded || (mode_ != kSingleMagazine && !cc->previous))
			return -XSC_ENOMEM;
	}

	while (count_ < args_.reservation) {
		if (!grow(1, false))
			return -XSC_ENOMEM;
	}
	if (xsc_registry_add(reinterpret_cast<xen_slab_cache *>(this)))
		return -XSC_ENOMEM;
	return 0;
}

// Frees everything a cache holds, whatever stage init() reached.  Slabs with
// busy slots are leaked (their memory may still be in use).
void Cache::release_resources()
{
	Magazine *m;
	Slab *slab;
	u64 busy;

	if (cpus_) {
		for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
			cpu_dead(cpu);
			xsc_meta_free(cpus_[cpu].loaded);
			xsc_meta_free(cpus_[cpu].previous);
		}
	}
	if (depot_.lock)
		trim_depot(true);
	while ((m = depot_.empty.pop()))
		xsc_meta_free(m);

	while ((slab = detach_empty_slab(0)))
		free_slab(slab);

	busy = busy_;
	if (busy) {
		warn_once(kWarnDestroyBusy, "destroyed with objects in use, leaking their slabs",
			  static_cast<long>(busy));
		// The pages stay owned by no one: a cache created later at this
		// address must not take their objects for its own.
		slabs_.for_each_in_order([&](Slab *s, unsigned) {
			xsc_pages_clear_owner(s->base, geometry_.order);
			xsc_meta_leak(s);
		});
	}

	xsc_meta_free(cpus_memory_);
	if (own_lock_)
		xsc_lock_free(own_lock_);
	if (depot_.lock)
		xsc_lock_free(depot_.lock);
	this->~Cache();
	xsc_meta_free(this);
}

void Cache::destroy()
{
	xsc_might_sleep();
	xsc_registry_remove(reinterpret_cast<xen_slab_cache *>(this));
	release_resources();
}

// --- the slab lock ---------------------------------------------------------

Cache::SlabLock::SlabLock(Cache &cache, bool locked) : cache_(cache), taken_(false), flags_(0)
{
	if (cache.own_lock_) {
		if (xsc_unlikely(locked))
			cache.warn_once(kWarnLockedWithoutCallbacks,
					"locked == true on a cache without lock callbacks", 0);
		flags_ = xsc_lock_irqsave(cache.own_lock_);
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
	if (cache_.own_lock_)
		xsc_unlock_irqrestore(cache_.own_lock_, flags_);
	else
		cache_.args_.release_lock(cache_.args_.arg);
}

// --- the magazine layer -------------------------------------------------------

// Makes cc.loaded non-empty: from the previous magazine, else by trading the
// empty pair's previous for a full magazine of the depot.
bool Cache::load_nonempty(CpuCache &cc)
{
	Magazine *full;

	if (cc.loaded->count)
		return true;
	if (cc.previous->count) {
		swap(cc.loaded, cc.previous);
		loaded_changed(cc);
		return true;
	}
	{
		LockGuard guard(depot_.lock);

		full = depot_.full.pop();
		if (!full)
			return false;
		depot_.empty.push(cc.previous);
	}
	cc.previous = cc.loaded;
	cc.loaded = full;
	loaded_changed(cc);
	return true;
}

void *Cache::pop(CpuCache &cc)
{
	if (xsc_likely(cc.loaded->count) || load_nonempty(cc))
		return cc.loaded->objects()[--cc.loaded->count];
	return nullptr;
}

bool Cache::push(CpuCache &cc, void *object)
{
	Magazine *empty;

	if (xsc_unlikely(cc.loaded->full())) {
		if (!cc.previous->count) {
			swap(cc.loaded, cc.previous);
			loaded_changed(cc);
		} else {
			{
				LockGuard guard(depot_.lock);

				empty = depot_.empty.pop();
			}
			if (!empty)
				empty = Magazine::create(magazine_capacity_, 0);
			if (!empty)
				return false;
			{
				LockGuard guard(depot_.lock);

				depot_.full.push(cc.previous);
			}
			cc.previous = cc.loaded;
			cc.loaded = empty;
			loaded_changed(cc);
		}
	}
	cc.loaded->objects()[cc.loaded->count++] = object;
	return true;
}

// A put of the object this CPU put last is a double put (the cheap check
// SLUB's freelist hardening also makes); older ones are not caught here.
bool Cache::on_top(CpuCache &cc, void *object)
{
	return cc.loaded->top() == object;
}

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
// with the RCU read side of a CPU section or under the slab lock, so its
// metadata stays valid until the caller's section ends (free_slab()).
inline Slab *Cache::slab_of(const void *object) const
{
	Slab *slab = static_cast<Slab *>(xsc_page_owner(object));

	return slab && read_once(slab->cache) == this ? slab : nullptr;
}

// The slab of a busy object of this cache and the object's slot, or nullptr.
// Needs the RCU read side of a CPU section or the slab lock.
Slab *Cache::lookup(void *object, unsigned *slot) const
{
	return busy_slot(slab_of(object), object, slot);
}

// The page owner lookup of a put whose object is not in the hinted slab; makes
// its slab the hint.  @gen was read before the lookup: a slab freed after
// that read advances the generation past it, so a stale hint is never used
// by the slow paths.  The fast put tests no generation: a slab free clears
// the hint_span of the CPUs that hint it (forget_fast_puts()).  Store of
// hint_slab then load of the generation here, advance of the generation
// then loads of hint_slab there, all sequentially consistent: either that
// pass sees this hint or this CPU sees the new generation and clears its
// own.
Slab *Cache::lookup_hint_miss(CpuCache &cc, void *object, u64 gen)
{
	Slab *slab = slab_of(object);

	if (slab) {
		// hint_span first: a pass that sees the new hint_slab clears
		// this value, not an older one.
		set_hint_span(cc, slab);
		cc.hint_base = reinterpret_cast<uptr>(slab->base);
		cc.hint_gen = gen;
		__atomic_store_n(&cc.hint_slab, slab, __ATOMIC_SEQ_CST);
		if (xsc_unlikely(__atomic_load_n(&slab_gen_, __ATOMIC_SEQ_CST) != gen))
			write_once(cc.hint_span, 0UL);
	}
	return slab;
}

// Fast puts of objects of @slab stop on every CPU: the slab is being freed
// (after the generation advanced; see lookup_hint_miss()) or has turned
// sparse.  A CPU that hints another slab by now loses nothing but a fast
// put.  Reads a line of every possible CPU: only slab frees and slabs
// turning sparse come here.
void Cache::forget_fast_puts(Slab *slab)
{
	for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
		CpuCache &cc = cpus_[cpu];

		if (__atomic_load_n(&cc.hint_slab, __ATOMIC_SEQ_CST) == slab)
			write_once(cc.hint_span, 0UL);
	}
}

// lookup() in the CPU section of @cc, through its hint.
inline Slab *Cache::lookup_on_cpu(CpuCache &cc, void *object, unsigned *slot)
{
	const u64 gen = __atomic_load_n(&slab_gen_, __ATOMIC_ACQUIRE);
	const uptr offset = reinterpret_cast<uptr>(object) - cc.hint_base;
	Slab *slab;
	long s;

	if (xsc_unlikely(offset >= span_ || cc.hint_gen != gen))
		return busy_slot(lookup_hint_miss(cc, object, gen), object, slot);
	slab = cc.hint_slab;
	// offset < span_, so the slot is below Geometry::objects.
	s = geometry_.slot_of(offset);
	if (s < 0 || !Slab::test(slab->busy_bits(), static_cast<unsigned>(s)))
		return nullptr;
	*slot = static_cast<unsigned>(s);
	return slab;
}

// --- get and put ------------------------------------------------------------

// A put of an object of a sparse slab goes back to the slab rather than
// into a magazine, unless the slab is the cursor (the one gets fill): so
// sparse slabs drain and are freed, and gets, from magazines or the
// cursor, pack objects into the fuller slabs.  A hint, read without the
// slab lock.
inline bool Cache::sparse(Slab *slab) const
{
	return read_once(slab->busy) <= sparse_ && slab != slabs_.cursor();
}

// Sets how far fast puts of @cc take objects of @slab, its hint, by the
// sparse-slab rule; true when the slab's puts go to magazines.
inline bool Cache::set_hint_span(CpuCache &cc, Slab *slab) const
{
	const bool magazines = !sparse(slab);

	write_once(cc.hint_span, magazines ? span_ : 0UL);
	return magazines;
}

// After a slot of @slab was freed and the slabs re-sorted (slab lock held):
// fast puts stop taking objects of a slab that has just turned sparse, by
// the slab itself or by losing the cursor (@old_cursor).  A slow put sets
// the span again when its slab is no longer sparse.
void Cache::sparse_changed(Slab *slab, Slab *old_cursor)
{
	Slab *cursor = slabs_.cursor();

	if (slab->busy == sparse_ && slab != cursor)
		forget_fast_puts(slab);
	if (old_cursor != cursor && old_cursor && old_cursor->busy <= sparse_)
		forget_fast_puts(old_cursor);
}

// The checks of put_on_cpu(), and the busy bit, over the first objects of
// @objects, as many as the loaded magazine takes in a row; returns how many.
// The hint, the geometry and the magazine stay in registers.
inline unsigned Cache::put_run(CpuCache &cc, void *const *objects, unsigned n)
{
	Magazine *m = cc.loaded;
	void **slots = m->objects();
	const unsigned start = m->count;
	const unsigned room = m->capacity - start;
	const uptr base = cc.hint_base;
	const ulong *busy = cc.hint_slab ? cc.hint_slab->busy_bits() : nullptr;
	const ulong span = read_once(cc.hint_span), stride = geometry_.stride;
	const u64 reciprocal = geometry_.reciprocal;
	const void *top = m->top();
	unsigned k = 0;

	if (cc.hint_gen != __atomic_load_n(&slab_gen_, __ATOMIC_ACQUIRE))
		return 0;
	for (n = min(n, room); k < n; k++) {
		void *object = objects[k];
		const uptr offset = reinterpret_cast<uptr>(object) - base;
		const ulong slot =
			static_cast<ulong>((static_cast<unsigned __int128>(offset) * reciprocal) >> 64);

		if (xsc_unlikely(offset >= span || slot * stride != offset ||
				 !Slab::test(busy, static_cast<unsigned>(slot)) || object == top))
			break;
		slots[start + k] = object;
		top = object;
	}
	m->count = start + k;
	return k;
}

// The fast paths, for the platform's entry points (xen_slab_cache_get()
// and xen_slab_cache_put(), which run them in a CPU section on @cpu and
// fall back to get_slow()/put_slow()): a get from the loaded magazine; a
// put into it of a slot start of the hinted slab while its hint_span allows,
// not on top of it.  Caches with a cap, no magazines, strict puts or
// poisoning have a fast magazine of capacity 0.
template <typename Miss> inline void *Cache::get_on_cpu(CpuCache &cc, Miss miss)
{
	Magazine *m = cc.fast;
	ulong top;

	// Empty: count - 1 borrows.
	if (xsc_unlikely(__builtin_sub_overflow(m->count, 1UL, &top)))
		return miss();
	m->count = top;
	owner_inc(cc.get_fast);
	return m->objects()[top];
}

template <typename Miss> inline bool Cache::put_on_cpu(CpuCache &cc, void *object, Miss miss)
{
	Magazine *m = cc.fast;
	const ulong count = m->count;
	const uptr offset = reinterpret_cast<uptr>(object) - cc.hint_base;

	// hint_span is 0 unless the hinted slab takes fast puts: it is
	// cleared on every CPU that hints a slab before the slab is freed, so
	// no generation is tested here.  offset < hint_span: the offset fits
	// multiple_of_stride().  Whether the slot is busy is not tested (it
	// would cost a third of the path): the slow paths, checked builds and
	// strict puts test it.
	if (xsc_unlikely(offset >= read_once(cc.hint_span) || count >= m->capacity ||
			 !geometry_.multiple_of_stride(offset) ||
			 m->objects()[static_cast<long>(count) - 1] == object))
		return miss();
	m->objects()[count] = object;
	m->count = count + 1;
	owner_inc(cc.put_fast);
	return true;
}

// The fast paths with preemption off and interrupts on: a fast path that an
// interrupt on this CPU interrupts is left alone (the interrupt's gets and
// puts decline here and go to the slabs from the slow paths).
inline void *Cache::get_interruptible(ulong cpu)
{
	CpuCache &cc = cpus_[cpu];
	void *object;

	if (xsc_unlikely(cc.busy))
		return nullptr;
	cc.busy = 1;
	compiler_barrier();
	object = get_on_cpu(cc, [] { return static_cast<void *>(nullptr); });
	compiler_barrier();
	cc.busy = 0;
	return object;
}

inline bool Cache::put_interruptible(void *object, ulong cpu)
{
	CpuCache &cc = cpus_[cpu];
	bool taken;

	if (xsc_unlikely(cc.busy))
		return false;
	cc.busy = 1;
	compiler_barrier();
	taken = put_on_cpu(cc, object, [] { return false; });
	compiler_barrier();
	cc.busy = 0;
	return taken;
}

void *Cache::get_slow(bool locked)
{
	unsigned granted;
	u64 reached = 0;
	void *object = nullptr;

	if (args_.cap && !cap_take(1, &granted, &reached)) {
		atomic_add<u64>(get_failures_, 1);
		return nullptr;
	}
	if (xsc_unlikely(shared_counter_))
		atomic_add<u64>(shared_in_use_, 1);
	if (xsc_likely(mode_ != kBypass)) {
		CpuSection section;
		CpuCache &cc = cpus_[section.cpu()];

		// Interrupted a fast path: the slabs serve.
		if (xsc_unlikely(cc.busy))
			object = nullptr;
		else if (xsc_likely(mode_ == kMagazines))
			object = pop(cc);
		else if (cc.loaded->count)
			object = cc.loaded->objects()[--cc.loaded->count];
		if (xsc_likely(object)) {
			owner_add<u64>(cc.get_fast, 1);
			hand_out(object);
			if (args_.cap)
				cap_handed_out(reached, 1, 1);
			return object;
		}
	}
	if (slab_get(&object, 1, locked)) {
		if (args_.cap)
			cap_handed_out(reached, 1, 1);
		return object;
	}
	if (args_.cap)
		cap_release(1);
	if (xsc_unlikely(shared_counter_))
		atomic_add<u64>(shared_in_use_, -1ULL);
	atomic_add<u64>(get_failures_, 1);
	return nullptr;
}

void Cache::put_slow(void *object, bool locked)
{
	bool checked = false;

	if (xsc_likely(mode_ != kBypass)) {
		CpuSection section;
		CpuCache &cc = cpus_[section.cpu()];
		unsigned slot;
		bool pushed;
		Slab *slab;

		// Interrupted a fast path: the slabs take the object and check
		// it (the magazine is only read: the top may be a step behind a
		// push under way).
		if (xsc_unlikely(cc.busy)) {
			if (xsc_unlikely(on_top(cc, object))) {
				bad_put(object);
				return;
			}
			goto to_slab;
		}
		checked = true;
		slab = lookup_on_cpu(cc, object, &slot);

		if (xsc_unlikely(!slab || on_top(cc, object) || poisoned(object))) {
			bad_put(object);
			return;
		}
		take_back(object);
		if (xsc_unlikely(shared_counter_))
			atomic_add<u64>(shared_in_use_, -1ULL);
		if (xsc_likely(mode_ == kMagazines)) {
			// The hint is @slab, busy: its fast puts follow this one.
			pushed = set_hint_span(cc, slab) && push(cc, object);
		} else {
			pushed = !cc.loaded->full();
			if (pushed)
				cc.loaded->objects()[cc.loaded->count++] = object;
		}
		if (xsc_likely(pushed)) {
			owner_add<u64>(cc.put_fast, 1);
			if (args_.cap)
				cap_release(1);
			return;
		}
	}
to_slab:
	if (slab_put(&object, 1, locked, checked ? 1 : 0)) {
		atomic_add<u64>(put_slow_, 1);
		if (args_.cap)
			cap_release(1);
	}
}

unsigned Cache::get_bulk(void **objects, unsigned n, bool locked)
{
	unsigned want = n, got = 0;
	u64 reached = 0;

	if (!n)
		return 0;
	if (args_.cap && !cap_take(n, &want, &reached)) {
		atomic_add<u64>(get_failures_, 1);
		return 0;
	}
	if (mode_ != kBypass) {
		CpuSection section;
		CpuCache &cc = cpus_[section.cpu()];

		// Unless it interrupted a fast path: the slabs serve then.
		while (!cc.busy && got < want &&
		       (mode_ == kMagazines ? load_nonempty(cc) : cc.loaded->count)) {
			Magazine *m = cc.loaded;
			const unsigned count = m->count;
			const unsigned take = min(count, want - got);
			void *const *top = m->objects() + count - 1;
			void **out = objects + got;

			for (unsigned i = 0; i < take; i++) {
				out[i] = top[-static_cast<long>(i)];
				hand_out(out[i]);
			}
			m->count = count - take;
			got += take;
		}
		owner_add<u64>(cc.get_fast, got);
	}
	if (got < want)
		got += slab_get(objects + got, want - got, locked);
	if (args_.cap) {
		cap_handed_out(reached, want, got);
		if (got < want)
			cap_release(want - got);
	}
	if (shared_counter_ && got)
		atomic_add<u64>(shared_in_use_, got);
	if (got < n)
		atomic_add<u64>(get_failures_, 1);
	return got;
}

void Cache::put_bulk(void **objects, unsigned n, bool locked)
{
	unsigned i = 0, accepted = 0;
	bool checked = false;

	// Checked objects of sparse slabs, for their slabs (the sparse-slab
	// rule, as in put_slow()).
	void *sparse[kSparseBatch];
	unsigned nr_sparse = 0;

	if (mode_ != kBypass) {
		CpuSection section;
		CpuCache &cc = cpus_[section.cpu()];

		// Interrupted a fast path: the slabs take (and check) them all.
		if (xsc_likely(!cc.busy)) {
			checked = true;
			i = put_bulk_on_cpu(cc, objects, n, &accepted, sparse, &nr_sparse);
		}
	}
	if (nr_sparse) {
		const unsigned slow = slab_put(sparse, nr_sparse, locked, nr_sparse);

		atomic_add<u64>(put_slow_, slow);
		accepted += slow;
	}
	if (i < n) {
		// objects[i] was checked when its push failed; the rest were not.
		const unsigned slow = slab_put(objects + i, n - i, locked, checked ? 1 : 0);

		atomic_add<u64>(put_slow_, slow);
		accepted += slow;
	}
	if (args_.cap)
		cap_release(accepted);
	if (shared_counter_ && accepted)
		atomic_add<u64>(shared_in_use_, -static_cast<u64>(accepted));
}

// The magazine part of put_bulk(): puts @objects into the magazines of @cc
// (refusing bad ones) until a push fails; an object of a sparse slab is
// checked and left in @sparse for its slab (kSparseBatch at most: then the
// loop stops).  Returns the index of the first object not taken, and the
// objects taken into magazines in *@accepted.
unsigned Cache::put_bulk_on_cpu(CpuCache &cc, void **objects, unsigned n, unsigned *accepted,
				void **sparse, unsigned *nr_sparse)
{
	// A slab of one object: the hint would name one object, so runs and
	// hints do not pay; each object is looked up by its page.
	const bool single = geometry_.objects == 1;
	unsigned i, slot;
	Slab *slab;

	for (i = 0; i < n; i++) {
		// Checked builds check each object for poison on its own.
		if (xsc_likely(mode_ == kMagazines) && !kPoison && !single) {
			const unsigned run = put_run(cc, objects + i, n - i);

			i += run;
			*accepted += run;
			if (i == n)
				break;
		}
		slab = single ? lookup(objects[i], &slot) : lookup_on_cpu(cc, objects[i], &slot);
		if (xsc_unlikely(!slab || on_top(cc, objects[i]) || poisoned(objects[i]))) {
			bad_put(objects[i]);
			continue;
		}
		// The hint is @slab (unless single): as in put_slow(), its fast
		// puts and runs follow its sparseness now, and an object of a
		// sparse slab goes back to the slab.
		if (!single && mode_ == kMagazines && !set_hint_span(cc, slab)) {
			if (*nr_sparse == kSparseBatch)
				break;
			take_back(objects[i]);
			sparse[(*nr_sparse)++] = objects[i];
			continue;
		}
		take_back(objects[i]);
		if (mode_ == kMagazines) {
			if (!push(cc, objects[i]))
				break;
		} else {
			if (cc.loaded->full())
				break;
			cc.loaded->objects()[cc.loaded->count++] = objects[i];
		}
		++*accepted;
	}
	owner_add<u64>(cc.put_fast, *accepted);
	return i;
}

// --- the slab layer ---------------------------------------------------------

// Takes up to @n busy-marked slots from the cursor onward; bit k of
// *@unconstructed says objects[k] still needs its constructor.  Slab lock held.
unsigned Cache::take_slots(void **objects, unsigned n, u64 *unconstructed)
{
	unsigned k = 0;
	Slab *slab;

	*unconstructed = 0;
	while (k < n && (slab = slabs_.cursor())) {
		const unsigned slot = static_cast<unsigned>(slab->find_free(geometry_));

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
bool Cache::release_slot(void *object, ListNode *emptied, bool user)
{
	unsigned slot;
	Slab *slab = lookup(object, &slot);
	Slab *old_cursor;

	// A user's object that is poisoned is free already: in a magazine.
	if (!slab || (user && poisoned(object)))
		return false;
	take_back(object);
	Slab::clear(slab->busy_bits(), slot);
	write_once(slab->busy, slab->busy - 1);
	write_once(busy_, busy_ - 1);
	old_cursor = slabs_.cursor();
	slabs_.rebin(slab);
	if (sparse_)
		sparse_changed(slab, old_cursor);
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
				release_slot(object, &emptied, false);
				continue;
			}
			if (unconstructed & (1ULL << k)) {
				unsigned slot;
				Slab *slab = lookup(object, &slot);

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

			taken = take_slots(objects + got, chunk, &unconstructed);
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
	if (!args_.cap && read_once(busy_) > read_once(in_use_max_))
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
			if (release_slot(objects[i], &emptied, i >= trusted))
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
Slab *Cache::detach_empty_slab(u64 keep)
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
//  2. The generation advances (sequentially consistent, so also a
//     release), so a slow put that reads the new generation (acquire) also
//     sees step 1, and a hint taken from a lookup before step 1 carries an
//     older generation and is not used by slow puts.  Then fast puts of the
//     slab stop on every CPU that hints it (forget_fast_puts(); a CPU that
//     hints it concurrently sees the new generation, see
//     lookup_hint_miss()).
//  3. The pages go back: the owner was cleared before, as the platform
//     requires.  Puts that found the slab before step 1 read only its
//     metadata, never the pages, and refuse (the slab was detached empty,
//     and no slot of a detached slab becomes busy again).
//  4. The metadata goes after a grace period: every section that may still
//     hold the slab from step 1 or from a hint has ended by then.
void Cache::free_slab(Slab *slab)
{
	xsc_pages_clear_owner(slab->base, geometry_.order);
	__atomic_add_fetch(&slab_gen_, 1, __ATOMIC_SEQ_CST);
	forget_fast_puts(slab);
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

		while (freed < limit && (slab = detach_empty_slab(keep))) {
			slab->link.insert_before(&detached);
			freed++;
		}
	}
	free_slabs(&detached);
	return freed;
}

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
	req->busy = cc.busy;
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
	Magazine *full = nullptr, *empty = nullptr, *m;

	{
		LockGuard guard(depot_.lock);
		unsigned nfull = everything ? depot_.full.length : depot_.full.low_water;
		unsigned nempty = everything ? depot_.empty.length : depot_.empty.low_water;

		while (nfull-- && (m = depot_.full.pop())) {
			m->next = full;
			full = m;
		}
		while (nempty-- && (m = depot_.empty.pop())) {
			m->next = empty;
			empty = m;
		}
		depot_.full.low_water = depot_.full.length;
		depot_.empty.low_water = depot_.empty.length;
	}
	while ((m = full)) {
		full = m->next;
		return_magazine_objects(m);
		xsc_meta_free(m);
	}
	while ((m = empty)) {
		empty = m->next;
		xsc_meta_free(m);
	}
}

void Cache::fill_reservation()
{
	while (read_once(count_) < args_.reservation) {
		if (!grow(1, false))
			break;
	}
}

unsigned Cache::empty_slabs()
{
	SlabLock lock(*this, false);

	return slabs_.bin_length(0);
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
		free_empty_slabs(max<u64>(args_.reservation, read_once(count_) / 2), ~0UL);
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

// Takes up to @n free slots whose constructor has run, marking them busy so
// that no get hands them out while their destructor runs.  Slab lock held.
unsigned Cache::take_constructed_free(void **objects, unsigned n)
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

			n = take_constructed_free(objects, 64);
		}
		for (unsigned k = 0; k < n && args_.dtor; k++) {
			args_.dtor(args_.arg, objects[k]);
			atomic_add<u64>(dtor_calls_, 1);
		}
		emptied.init();
		{
			SlabLock lock(*this, false);

			for (unsigned k = 0; k < n; k++) {
				unsigned slot;
				Slab *slab = lookup(objects[k], &slot);

				Slab::clear(slab->constructed_bits(geometry_), slot);
				slab->constructed--;
				release_slot(objects[k], &emptied, false);
			}
		}
		free_slabs(&emptied);
	} while (n);
	// Counted by slots, for the objects that went with a slab the purge
	// emptied (the original's policy before 2019 frees it at once) too.
	after = constructed_slots();
	return before > after ? before - after : 0;
}

// Slots whose constructor has run, in use or free.
u64 Cache::constructed_slots()
{
	SlabLock lock(*this, false);
	u64 n = 0;

	slabs_.for_each_in_order([&](Slab *slab, unsigned) { n += slab->constructed; });
	return n;
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
	ulong depot_objects = 0;
	u64 count = read_once(count_), spare;

	// The original does not react to memory pressure.
	if (mode_ == kSingleMagazine)
		return 0;
	{
		LockGuard guard(depot_.lock);

		for (Magazine *m = depot_.full.head; m; m = m->next)
			depot_objects += m->count;
	}
	// Whole empty slabs that can go without cutting into the reservation.
	spare = count > args_.reservation ? (count - args_.reservation) / geometry_.objects : 0;
	return depot_objects + static_cast<ulong>(min<u64>(spare, slabs_.bin_length(0)) *
						   geometry_.objects);
}

ulong Cache::shrink_scan(ulong nr_to_scan)
{
	const ulong slabs = nr_to_scan / geometry_.objects + (nr_to_scan % geometry_.objects != 0);

	if (mode_ == kSingleMagazine)
		return 0;
	trim_depot(true);
	return static_cast<ulong>(free_empty_slabs(args_.reservation, slabs)) * geometry_.objects;
}

// --- cap, statistics, audit ---------------------------------------------------

// Reserves up to @n objects against the cap; *@reached is the count with
// them.  The caller hands out what it can, gives the rest back with
// cap_release() and notes the high mark with cap_handed_out(), so that
// in_use_max never counts objects that a failed or short get kept.
bool Cache::cap_take(unsigned n, unsigned *granted, u64 *reached)
{
	u64 cur = read_once(cap_in_use_);
	u64 next;

	do {
		if (cur >= args_.cap)
			return false;
		*granted = static_cast<unsigned>(min<u64>(n, args_.cap - cur));
		next = cur + *granted;
	} while (!__atomic_compare_exchange_n(&cap_in_use_, &cur, next, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*reached = next;
	return true;
}

// @got of the @granted objects reserved up to @reached were handed out.
void Cache::cap_handed_out(u64 reached, unsigned granted, unsigned got)
{
	if (got)
		atomic_max(in_use_max_, reached - (granted - got));
}

void Cache::cap_release(unsigned n)
{
	atomic_add<u64>(cap_in_use_, -static_cast<u64>(n));
}

u64 Cache::in_use_now() const
{
	u64 gets = read_once(get_slow_), puts = read_once(put_slow_);

	for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
		gets += read_once(cpus_[cpu].get_fast);
		puts += read_once(cpus_[cpu].put_fast);
	}
	// Per-CPU counters read while they move may briefly disagree.
	return gets > puts ? gets - puts : 0;
}

void Cache::bad_put(void *object)
{
	(void)object;
	atomic_add<u64>(bad_puts_, 1);
	warn_once(kWarnBadPut, "put of a pointer that is not a busy object of this cache",
		  static_cast<long>(read_once(bad_puts_)));
}

void Cache::warn_once(Warning w, const char *what, long value)
{
	const unsigned bit = 1u << w;

	if (!(__atomic_fetch_or(&warned_, bit, __ATOMIC_RELAXED) & bit))
		xsc_warn(name_, what, value);
}

void Cache::read_stats(xen_slab_cache_stats *s)
{
	*s = xen_slab_cache_stats{};
	for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
		s->get_fast += read_once(cpus_[cpu].get_fast);
		s->put_fast += read_once(cpus_[cpu].put_fast);
	}
	s->get_slow = read_once(get_slow_);
	s->put_slow = read_once(put_slow_);
	s->in_use = s->get_fast + s->get_slow > s->put_fast + s->put_slow
			    ? s->get_fast + s->get_slow - s->put_fast - s->put_slow
			    : 0;
	if (!args_.cap)
		atomic_max(in_use_max_, s->in_use);
	s->in_use_max = read_once(in_use_max_);
	s->count = read_once(count_);
	s->reservation = args_.reservation;
	s->cap = args_.cap;
	s->slabs = read_once(slab_count_);
	s->slabs_max = read_once(slabs_max_);
	s->pages = s->slabs << geometry_.order;
	s->slab_objects = geometry_.objects;
	s->slab_order = geometry_.order;
	s->ctor_calls = read_once(ctor_calls_);
	s->ctor_failures = read_once(ctor_failures_);
	s->dtor_calls = read_once(dtor_calls_);
	s->get_failures = read_once(get_failures_);
	s->bad_puts = read_once(bad_puts_);
	s->policy = args_.policy;
	{
		const u64 busy = read_once(busy_);

		s->cached = busy > s->in_use ? busy - s->in_use : 0;
	}
	{
		LockGuard guard(depot_.lock);

		s->depot_full = depot_.full.length;
		s->depot_empty = depot_.empty.length;
	}
}

int Cache::audit()
{
	bool ok = true;
	u64 slabs = 0, count = 0, busy = 0;
	unsigned lengths[SlabSet::kBins] = {};

	{
		SlabLock lock(*this, false);

		slabs_.for_each_in_order([&](Slab *slab, unsigned bin) {
			const ulong *bits[2] = { slab->busy_bits(), slab->constructed_bits(geometry_) };
			const unsigned counted[2] = { slab->busy, slab->constructed };
			const unsigned tail = geometry_.objects % kBitsPerLong;

			for (unsigned b = 0; b < 2; b++) {
				unsigned pop = 0;

				for (unsigned w = 0; w < geometry_.words; w++)
					pop += popcount(bits[b][w]);
				ok &= pop == counted[b];
				if (tail)
					ok &= !(bits[b][geometry_.words - 1] >> tail);
			}
			ok &= slab->bin == bin && bin == slabs_.bin_of(slab->busy);
			ok &= slab->busy <= geometry_.objects;
			for (unsigned p = 0; p < (1U << geometry_.order); p++)
				ok &= xsc_page_owner(slab->base + p * XSC_PAGE_SIZE) == slab;
			ok &= slab->cache == this;
			ok &= (reinterpret_cast<uptr>(slab->base) & ((1UL << geometry_.shift) - 1)) == 0;
			lengths[bin]++;
			slabs++;
			count += geometry_.objects;
			busy += slab->busy;
		});
		for (unsigned b = 0; b < SlabSet::kBins; b++)
			ok &= lengths[b] == slabs_.bin_length(b);
		ok &= slabs == slab_count_ && count == count_ && busy == busy_;
		ok &= slab_count_ <= slabs_max_;
		ok &= slabs_.cursor() == slabs_.walk_cursor();
	}
	{
		LockGuard guard(depot_.lock);
		unsigned nfull = 0, nempty = 0;

		for (Magazine *m = depot_.full.head; m; m = m->next) {
			ok &= m->count > 0 && m->count <= m->capacity;
			nfull++;
		}
		for (Magazine *m = depot_.empty.head; m; m = m->next) {
			ok &= m->count == 0;
			nempty++;
		}
		ok &= nfull == depot_.full.length && nempty == depot_.empty.length;
	}
	if (args_.cap)
		ok &= read_once(cap_in_use_) <= args_.cap;
	return ok ? 0 : -XSC_EUCLEAN;
}

} // namespace xsc

// --- the C API ----------------------------------------------------------------

namespace {

inline xsc::Cache *to_cache(xen_slab_cache *cache)
{
	return reinterpret_cast<xsc::Cache *>(cache);
}

// ERR_PTR() without the kernel header: errors live in the last page.
inline bool is_error_or_null(const void *ptr)
{
	return !ptr || reinterpret_cast<xsc::uptr>(ptr) >= static_cast<xsc::uptr>(-4095L);
}

} // namespace

extern "C" {

struct xen_slab_cache *xen_slab_cache_create(const char *name,
					     const struct xen_slab_cache_args *args)
{
	int error = 0;
	xsc::Cache *cache = xsc::Cache::create(name, args, &error);

	if (!cache)
		return reinterpret_cast<xen_slab_cache *>(static_cast<long>(error));
	xsc_registry_set_creator(reinterpret_cast<xen_slab_cache *>(cache), args,
				 __builtin_return_address(0));
	return reinterpret_cast<xen_slab_cache *>(cache);
}

void xen_slab_cache_destroy(struct xen_slab_cache *cache)
{
	if (!is_error_or_null(cache))
		to_cache(cache)->destroy();
}

void *xsc_cache_get_on_cpu(struct xen_slab_cache *cache, unsigned long cpu)
{
	return to_cache(cache)->get_interruptible(cpu);
}

int xsc_cache_put_on_cpu(struct xen_slab_cache *cache, void *object, unsigned long cpu)
{
	return to_cache(cache)->put_interruptible(object, cpu);
}

void *xsc_cache_get_slow(struct xen_slab_cache *cache, int locked)
{
	return to_cache(cache)->get_slow(locked);
}

void xsc_cache_put_slow(struct xen_slab_cache *cache, void *object, int locked)
{
	to_cache(cache)->put_slow(object, locked);
}

#ifndef __KERNEL__
void *xsc_cache_get(struct xen_slab_cache *cache, bool locked, unsigned long cpu)
{
	xsc::Cache *c = to_cache(cache);

	return c->get_on_cpu(c->cpu_cache(cpu), [c, locked] { return c->get_slow(locked); });
}

void xsc_cache_put(struct xen_slab_cache *cache, void *object, bool locked, unsigned long cpu)
{
	xsc::Cache *c = to_cache(cache);

	c->put_on_cpu(c->cpu_cache(cpu), object, [c, object, locked] {
		c->put_slow(object, locked);
		return true;
	});
}
#endif

unsigned int xen_slab_cache_get_bulk(struct xen_slab_cache *cache, void **objects,
				     unsigned int n, bool locked)
{
	return to_cache(cache)->get_bulk(objects, n, locked);
}

void xen_slab_cache_put_bulk(struct xen_slab_cache *cache, void **objects, unsigned int n,
			     bool locked)
{
	to_cache(cache)->put_bulk(objects, n, locked);
}

void xen_slab_cache_trim(struct xen_slab_cache *cache)
{
	to_cache(cache)->trim();
}

unsigned long xen_slab_cache_purge(struct xen_slab_cache *cache)
{
	return to_cache(cache)->purge();
}

int xen_slab_cache_audit(struct xen_slab_cache *cache)
{
	return to_cache(cache)->audit();
}

void xen_slab_cache_get_stats(struct xen_slab_cache *cache, struct xen_slab_cache_stats *stats)
{
	to_cache(cache)->read_stats(stats);
}

const char *xsc_cache_name(struct xen_slab_cache *cache)
{
	return to_cache(cache)->name();
}

void xsc_cache_cpu_dead(struct xen_slab_cache *cache, unsigned int cpu)
{
	to_cache(cache)->cpu_dead(cpu);
}

unsigned long xsc_cache_shrink_count(struct xen_slab_cache *cache)
{
	return to_cache(cache)->shrink_count();
}

unsigned long xsc_cache_shrink_scan(struct xen_slab_cache *cache, unsigned long nr_to_scan)
{
	return to_cache(cache)->shrink_scan(nr_to_scan);
}

} // extern "C"
