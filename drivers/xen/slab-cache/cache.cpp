// SPDX-License-Identifier: GPL-2.0
//
// The cache: creation and destruction, the orchestration of gets and puts
// (the CPU's magazines, the depot, the slabs), the cap, statistics and the
// audit.  Part of the core's one translation unit (core.cpp).

namespace xsc {

namespace {

constexpr ulong kDefaultAlign = 8;

// The original's per-CPU magazine (XENBUS_CACHE): six slots.
constexpr unsigned kOriginalMagazineSlots = 6;

// The policies, indexed by xen_slab_cache_args.policy.  Reclaim follows the
// front end: a single magazine (the original's) is never flushed, the
// monitor halves the excess per pass, and the shrinker leaves it alone.
constexpr Policy kPolicies[] = {
	// XEN_SLAB_CACHE_POLICY_DEFAULT: ours.
	{ kMagazines, 0, /*shared_counter*/ false, /*eager*/ false, /*free_on_empty*/ false,
	  /*least_occupied_first*/ false, /*sparse_rule*/ true },
	// XEN_SLAB_CACHE_POLICY_2019: the original from 2019 to 2022.
	{ kSingleMagazine, kOriginalMagazineSlots, true, true, false, false, false },
	// XEN_SLAB_CACHE_POLICY_PRE2019: the original before 2019.
	{ kSingleMagazine, kOriginalMagazineSlots, true, true, true, true, false },
	// XEN_SLAB_CACHE_POLICY_NO_MAGAZINES: ours without a front end.
	{ kBypass, 0, false, false, false, false, false },
};
static_assert(XEN_SLAB_CACHE_POLICY_DEFAULT == 0 && XEN_SLAB_CACHE_POLICY_2019 == 1 &&
		      XEN_SLAB_CACHE_POLICY_PRE2019 == 2 && XEN_SLAB_CACHE_POLICY_NO_MAGAZINES == 3 &&
		      sizeof(kPolicies) / sizeof(kPolicies[0]) == 4,
	      "one row per policy, in the order of enum xen_slab_cache_policy");

// Page-sized objects (one a slab, a page each) get magazines as deep as
// page_pool's per-pool cache is (128 pages) for two of them: what a CPU
// frees in a NAPI poll's batch (64) fits one magazine.
unsigned magazine_capacity_for(ulong stride)
{
	if (stride <= 512)
		return 32;
	if (stride < XSC_PAGE_SIZE)
		return 16;
	if (stride == XSC_PAGE_SIZE)
		return 64;
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
	const Policy &policy = kPolicies[args_.policy];

	mode_ = policy.front;
	magazine_capacity_ = policy.magazine_slots ? policy.magazine_slots
						   : magazine_capacity_for(geometry_.stride);
	shared_counter_ = policy.shared_counter;
	eager_ = policy.eager;
	free_on_empty_ = policy.free_on_empty;
	// Strict puts: every put reaches the slab bitmaps, where a double put
	// is always seen.
	if (xsc_strict_puts())
		mode_ = kBypass;
	// Checked builds poison free objects: their gets and puts take the
	// slow paths, which unpoison, check and poison.
	fast_ = mode_ != kBypass && !args_.cap && !kPoison;
	// The original's shared counter is charged on the slow paths.
	in_section_ = fast_ && !shared_counter_;
	no_magazine_ = Magazine{};
	span_ = static_cast<ulong>(geometry_.objects) * geometry_.stride;
	// The sparse-slab rule is ours: a busy slab is never sparse at 0.
	sparse_ = policy.sparse_rule && mode_ == kMagazines ? geometry_.objects / 2 : 0;
	{
		SlabLock alone(*this, SlabLock::Exclusive{});

		slabs_.init(&geometry_, policy.least_occupied_first);
	}

	if (!depot_.init() || (!args_.acquire_lock && !own_lock_.init(XSC_LOCK_SLAB)))
		return -XSC_ENOMEM;

	// Magazine space for every possible CPU, each CPU on its own cache lines.
	nr_cpus_ = xsc_nr_cpu_ids();
	cpus_memory_ = xsc_meta_alloc(nr_cpus_ * sizeof(CpuCache) + XSC_CACHE_LINE, 1);
	if (!cpus_memory_)
		return -XSC_ENOMEM;
	cpus_ = reinterpret_cast<CpuCache *>(
		round_up(reinterpret_cast<uptr>(cpus_memory_), XSC_CACHE_LINE));
	// What the entry points' inline fast paths read (xsc_front.h).
	xsc_front::cpus = reinterpret_cast<char *>(static_cast<xsc_cpu_front *>(cpus_));
	xsc_front::reciprocal = geometry_.reciprocal;
	xsc_front::gen = hints_.generation();
	xsc_front::shift = geometry_.shift;
	for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
		CpuCache *cc = new (&cpus_[cpu]) CpuCache{};

		SlabHints::init(*cc);
		cc->fast = &no_magazine_;
		if (geometry_.objects == 1 && mode_ == kMagazines)
			cc->table = static_cast<SlabTable *>(xsc_pages_alloc(SlabTable::kOrder, 1));
		cc->loaded = Magazine::create(magazine_capacity_, 1);
		loaded_changed(*cc);
		if (mode_ != kSingleMagazine)
			cc->previous = Magazine::create(magazine_capacity_, 1);
		if (!cc->loaded || (mode_ != kSingleMagazine && !cc->previous))
			return -XSC_ENOMEM;
	}

	while (count_unlocked() < args_.reservation) {
		if (!grow(1, false))
			return -XSC_ENOMEM;
	}
	if (xsc_registry_add(handle()))
		return -XSC_ENOMEM;
	return 0;
}

// Frees everything a cache holds, whatever stage init() reached.  Slabs with
// busy slots are leaked (their memory may still be in use).
void Cache::release_resources()
{
	Slab *slab;
	u64 busy;

	if (cpus_) {
		for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
			cpu_dead(cpu);
			xsc_meta_free(cpus_[cpu].loaded);
			xsc_meta_free(cpus_[cpu].previous);
			if (cpus_[cpu].table)
				xsc_pages_free(cpus_[cpu].table, SlabTable::kOrder);
		}
	}
	if (depot_.ready())
		trim_depot(true);

	{
		SlabLock alone(*this, SlabLock::Exclusive{});

		while ((slab = detach_empty_slab(alone.held(), 0)))
			free_slab(slab);

		busy = busy_;
		if (busy) {
			warn_once(kWarnDestroyBusy, "destroyed with objects in use, leaking their slabs",
				  static_cast<long>(busy));
			// The pages stay owned by no one: a cache created later
			// at this address must not take their objects for its
			// own.
			slabs_.for_each_in_order([&](Slab *s, unsigned) {
				xsc_pages_clear_owner(s->base, geometry_.order);
				xsc_meta_leak(s);
			});
		}
	}

	xsc_meta_free(cpus_memory_);
	own_lock_.free();
	depot_.release();
	this->~Cache();
	xsc_meta_free(this);
}

void Cache::destroy()
{
	xsc_might_sleep();
	xsc_registry_remove(handle());
	release_resources();
}

// --- the magazine layer -------------------------------------------------------

// The magazine layer serves every front end with magazines: the single
// magazine of the original's policies is the configuration without a
// previous magazine and without a depot (cc.previous is nullptr).

// Makes cc.loaded non-empty: from the previous magazine, else by trading the
// empty pair's previous for a full magazine of the depot.
bool Cache::load_nonempty(CpuCache &cc)
{
	Magazine *full;

	if (cc.loaded->count)
		return true;
	if (!cc.previous)
		return false;
	if (cc.previous->count) {
		swap(cc.loaded, cc.previous);
		loaded_changed(cc);
		return true;
	}
	full = depot_.trade_for_full(cc.previous);
	if (!full)
		return false;
	cc.previous = cc.loaded;
	cc.loaded = full;
	loaded_changed(cc);
	return true;
}

void *Cache::pop(CpuCache &cc)
{
	if (xsc_likely(cc.loaded->count) || load_nonempty(cc)) {
		XSC_ASSERT(cc.loaded->count <= cc.loaded->capacity);
		return cc.loaded->objects()[--cc.loaded->count];
	}
	return nullptr;
}

bool Cache::push(CpuCache &cc, void *object)
{
	Magazine *empty;

	if (xsc_unlikely(cc.loaded->full())) {
		if (!cc.previous)
			return false;
		if (!cc.previous->count) {
			swap(cc.loaded, cc.previous);
			loaded_changed(cc);
		} else {
			empty = depot_.take_empty();
			if (!empty)
				empty = Magazine::create(magazine_capacity_, 0);
			if (!empty)
				return false;
			depot_.give_full(cc.previous);
			cc.previous = cc.loaded;
			cc.loaded = empty;
			loaded_changed(cc);
		}
	}
	XSC_ASSERT(cc.loaded->count < cc.loaded->capacity);
	cc.loaded->objects()[cc.loaded->count++] = object;
	return true;
}

// A put of the object this CPU put last is a double put (the cheap check
// SLUB's freelist hardening also makes); older ones are not caught here.
bool Cache::on_top(CpuCache &cc, void *object)
{
	return cc.loaded->top() == object;
}

// --- get and put ------------------------------------------------------------

// A get that the loaded magazine could not serve inline, still in the fast
// path's section (preemption off, the CPU's guard held, interrupts on): from
// the previous magazine or a depot trade, without turning interrupts off
// (a paravirt call pair in a Xen PV domain).  An interrupt that lands here
// finds the guard held and leaves the magazines alone; the depot has its
// own lock.  nullptr: the slow path decides (the slabs, or caches that
// take no fast paths).
inline void *Cache::get_in_section(CpuCache &cc)
{
	void *object = nullptr;

	if (in_section_ && load_nonempty(cc)) {
		owner_inc(cc.get_fast);
		object = cc.loaded->objects()[--cc.loaded->count];
	}
	cc.guard_unlock();
	return object;
}

// A put that the loaded magazine could not take inline (an object outside
// the CPU's hinted span and not in its slab table, or a full magazine), in
// the same section: the lookup through the slab table or by the page owner
// (the section is an RCU read side; see lookup_on_cpu()), then the
// magazines and the depot.  false: the slow
// path decides, and reports what is wrong (a pointer that is not a busy
// object of this cache, a put of the object on top) or sends the object
// to its slab (a sparse slab's, or no magazine to be had).
inline int Cache::put_in_section(void *object, CpuCache &cc)
{
	unsigned slot;
	Slab *slab;
	int taken = 0;

	if (in_section_) {
		slab = lookup_on_cpu(cc, object, &slot);
		taken = xsc_likely(slab && !on_top(cc, object)) && set_hint_span(cc, slab) &&
			push(cc, object);
		if (taken)
			owner_inc(cc.put_fast);
	}
	cc.guard_unlock();
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
		if (xsc_likely(!cc.guard_held()))
			object = pop(cc);
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
		if (xsc_unlikely(cc.guard_held())) {
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
		// The hint is @slab, busy: its fast puts follow this one (a
		// single magazine has no sparse rule: always).
		pushed = set_hint_span(cc, slab) && push(cc, object);
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
		while (!cc.guard_held() && got < want &&
		       load_nonempty(cc)) {
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
		if (xsc_likely(!cc.guard_held())) {
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
	// hints do not pay; each object is looked up in the CPU's slab table,
	// else by its page.
	const bool single = geometry_.objects == 1;
	unsigned i, slot;
	Slab *slab;

	for (i = 0; i < n; i++) {
		// Checked builds check each object for poison on its own.
		if (xsc_likely(mode_ == kMagazines) && !kPoison) {
			const unsigned run = single ? put_run_remembered(cc, objects + i, n - i)
						    : put_run(cc, objects + i, n - i);

			i += run;
			*accepted += run;
			if (i == n)
				break;
		}
		slab = single ? lookup_remembered(cc, objects[i], &slot) : lookup_on_cpu(cc, objects[i], &slot);
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
		if (!push(cc, objects[i]))
			break;
		++*accepted;
	}
	owner_add<u64>(cc.put_fast, *accepted);
	return i;
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
	s->count = count_unlocked();
	s->reservation = args_.reservation;
	s->cap = args_.cap;
	s->slabs = slab_count_unlocked();
	s->slabs_max = slabs_max_unlocked();
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
		const u64 busy = busy_unlocked();

		s->cached = busy > s->in_use ? busy - s->in_use : 0;
	}
	depot_.lengths(&s->depot_full, &s->depot_empty);
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
			ok &= slab->bin == bin && bin == SlabSet::bin_of(slab->busy, geometry_.objects);
			ok &= slab->busy <= geometry_.objects;
			{
				RcuReadSection rcu;

				for (unsigned p = 0; p < (1U << geometry_.order); p++)
					ok &= xsc_page_owner(slab->base + p * XSC_PAGE_SIZE) == slab;
			}
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
	ok &= depot_.audit();
	if (args_.cap)
		ok &= read_once(cap_in_use_) <= args_.cap;
	return ok ? 0 : -XSC_EUCLEAN;
}

} // namespace xsc
