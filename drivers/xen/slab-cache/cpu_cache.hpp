// SPDX-License-Identifier: GPL-2.0
//
// The per-CPU front end's types: each CPU's magazines, hint and re-entry
// guard (CpuCache, on the entry points' struct xsc_cpu_front), and the hint
// protocol between the CPUs' hints and the slab layer's generation
// (SlabHints).  The fast paths that use them are in xsc_front.h (the
// inline part the entry points run) and fast_paths.hpp (the Cache's).
#ifndef XSC_CPU_CACHE_HPP
#define XSC_CPU_CACHE_HPP

#include "magazine.hpp"
#include "slab.hpp"

namespace xsc {

// The slabs a CPU's puts found last, for caches whose slabs hold one object
// (page-sized ones), where consecutive puts rarely hit the single hint: a
// two-way set-associative table from a slab's base to the slab, valid for
// one slab generation (SlabHints, pairing 7).  Only its CPU touches it.
// An entry is the slab itself (its base is in its metadata, which the
// lookup reads anyway).  1024 entries in 512 sets, two pages a CPU from the
// page allocator (xsc_pages_alloc(): no allocator header to round it up).
// Slabs' pages come from wherever the page allocator had them, so their
// sets are about random: direct-mapped, a working set of 385 slabs (the
// benchmark's producer/consumer) lost its entry to another slab in 4-20%
// of its puts, depending on the pages, each then a page-owner lookup; with
// two ways a slab leaves only when a third of its set comes (the least
// recent goes).  Without the pages (memory fragmented) a CPU has no table
// and looks every slab up.
struct SlabTable : xsc_slab_table {
	static constexpr unsigned kOrder = 1;
	static constexpr unsigned kEntries = XSC_SLAB_TABLE_ENTRIES;
	static constexpr unsigned kWays = XSC_SLAB_TABLE_WAYS;
	static constexpr unsigned kSets = XSC_SLAB_TABLE_SETS;

	// The set of the slab of 2^@shift bytes, naturally aligned, that
	// holds @address (the set xsc_slab_table_holds() reads too).
	xsc_slab **set_of(uptr address, unsigned shift)
	{
		return &entries[xsc_slab_table_set(address, shift)];
	}
	// The slab of the table whose base is @address's slab's, or nullptr.
	Slab *get(uptr address, unsigned shift)
	{
		const uptr base = address & ~((uptr(1) << shift) - 1);
		xsc_slab **set = set_of(address, shift);

		for (unsigned way = 0; way < kWays; way++) {
			Slab *slab = reinterpret_cast<Slab *>(set[way]);

			if (slab && reinterpret_cast<uptr>(slab->base) == base)
				return slab;
		}
		return nullptr;
	}
	// @slab first in its set; the one that was first goes second, the
	// second leaves.
	void set(Slab *slab, unsigned shift)
	{
		xsc_slab **set = set_of(reinterpret_cast<uptr>(slab->base), shift);
		xsc_slab *entry = reinterpret_cast<xsc_slab *>(slab);

		static_assert(kWays == 2, "the set's order is that of two ways");
		if (set[0] != entry) {
			set[1] = set[0];
			set[0] = entry;
		}
	}
	void clear()
	{
		for (xsc_slab *&e : entries)
			e = nullptr;
	}
};
static_assert(sizeof(SlabTable) == XSC_PAGE_SIZE << SlabTable::kOrder, "a table fills its pages");

// One CPU's front end: a loaded and a previous magazine.  The previous one is
// always full or empty, so after a depot visit at least a magazine's worth
// of gets or puts pass before the next one.  Only its own CPU touches it
// (with interrupts off, or preemption off in the fast paths), but for other
// CPUs clearing hint_span (SlabHints); the statistics are written only by
// that CPU.
//
// It begins with what the entry points' inline fast paths use (struct
// xsc_cpu_front, xsc_front.h): fast, the loaded magazine, or, in caches
// whose gets and puts may not take the loaded magazine inline (a cap, no
// magazines, checked builds), the cache's empty magazine of capacity 0,
// which no fast get or put can use, so the fast paths need no test of the
// cache's mode; the hint's base and span; the re-entry guard, after the
// kernel's local_trylock_t (6.16): a fast path takes it with
// xsc_front_trylock() around its magazine work, with preemption off and
// interrupts on, and an interrupt that lands inside finds it held and goes
// to the slabs (two stores, where disabling interrupts costs pushf; cli
// and popf, which are paravirt calls in a Xen PV domain); the slow paths
// and the monitor's flush, which run with interrupts off, only test it
// (guard_held()); and the CPU's statistics.
//
// The hint fields belong to the hint protocol: only SlabHints writes them;
// the fast and slow paths read them as SlabHints says.
//
// The first line is what the inline fast paths use (the hint, the slab
// table, the guard, the statistics); the second holds the magazines, which
// the owner's other paths use, and hint_slab, which other CPUs read when
// they clear spans, so that they do not pull the line every fast path
// writes.
struct alignas(XSC_CACHE_LINE) CpuCache : xsc_cpu_front {
	alignas(XSC_CACHE_LINE) Magazine *loaded;
	Magazine *previous;
	Slab *hint_slab;
	u64 hint_gen;	      // the generation hint_slab was found in
	u64 ops_at_last_pass; // gets + puts seen by the last monitor pass

	// The slab table (xsc_cpu_front::table), or nullptr: slabs of more
	// than one object.
	SlabTable *slab_table() const
	{
		return static_cast<SlabTable *>(table);
	}

	// With interrupts off on its CPU: a fast path of that CPU is under way.
	bool guard_held() const
	{
		return xsc_front_held(this);
	}
	void guard_unlock()
	{
		xsc_front_unlock(this);
	}
};
static_assert(sizeof(CpuCache) == 1UL << XSC_FRONT_CPU_SHIFT,
	      "the entry points find a CPU's front end by a shift");
static_assert(sizeof(xsc_cpu_front) == XSC_CACHE_LINE, "the inline fast paths read one line");

// The hint protocol: which slab each CPU's puts go to without a lookup, and
// the generation that keeps every such hint from outliving its slab.
//
// State.  The cache's generation (gen_), advanced by every slab free.  Each
// CPU's hint in its CpuCache: hint_slab, hint_base and hint_gen, written
// only by their CPU (publish()); hint_span, written by its CPU (publish(),
// set_span()) and cleared by any CPU (forget()).  A slow path trusts the
// hint while hint_gen equals the generation (trusted()); the fast put
// tests no generation, only hint_span.
//
// Every pairing:
//  1. publish() against retire() (a slab free), all four accesses
//     sequentially consistent: publish() stores hint_slab, then loads the
//     generation; retire() advances the generation, then forget() loads
//     every CPU's hint_slab.  Either retire() sees the new hint and clears
//     its span, or publish() sees the new generation and clears its own:
//     no CPU keeps a span over a freed slab.
//  2. retire()'s advance (so also a release; the page owner was cleared
//     before it, Cache::free_slab()) against snapshot() (an acquire, which
//     a slow path reads before its lookup or its run of puts): a path that
//     reads the new generation also sees the owner gone, so its lookup
//     cannot find the freed slab; a hint published from a lookup before
//     the free carries an older generation and is not trusted.
//  3. forget()'s clear (write_once, any CPU) against the fast put's read of
//     hint_span (read_once, in its CPU section): a fast put that read the
//     span before the clear reads nothing of the slab but hint_base; the
//     slab was detached empty, so such a put is of an object not handed
//     out, which the fast path does not test (a documented limit).
//  4. set_span(), the owner re-arming its span after a slow put found its
//     object busy in the hinted slab: not against retire(), because the
//     caller holds a busy object of the slab and only empty slabs are
//     freed; against forget() for sparseness (pairing 5) it may re-arm a
//     slab that has just turned sparse, which costs packing, not safety,
//     until that CPU's next slow put of the slab.
//  5. forget() by the slab layer, under the slab lock, when a slab turns
//     sparse or loses the cursor (Cache::sparse_changed()): a hint, not
//     a guarantee (pairing 4).
//  6. The metadata of a hinted slab (busy bits, read by trusted slow
//     paths) is freed a grace period after retire() (the platform's
//     deferred free): every CPU section that read the old generation has
//     ended by then.
//  7. The slab table (SlabTable), the slow paths' hints beyond the one
//     the fast put uses: entries are found (remember()) and used (find())
//     by their CPU only, under one generation, as pairing 2: find() with
//     a snapshot that differs from the table's generation empties the
//     table first, so no entry outlives a slab free that its CPU saw.  A
//     free after the snapshot is pairing 6: the entry's slab is still
//     readable in the section, and was detached empty, so its busy bits
//     refuse the put, which then takes the slow path.  The table never
//     sets hint_span: fast puts stay with pairings 1, 3 and 4.
class SlabHints {
public:
	// @cc hints no slab and trusts no entry of its table (whose pages
	// come uninitialised): a generation the cache never reaches.
	static void init(CpuCache &cc)
	{
		cc.hint_gen = ~0ULL;
		cc.table_gen = ~0ULL;
	}

	// The generation, before a lookup or a run of puts (pairing 2).
	u64 snapshot() const
	{
		return __atomic_load_n(&gen_, __ATOMIC_ACQUIRE);
	}

	// Whether a slow path that read @gen may use @cc's hint (pairing 2).
	static bool trusted(const CpuCache &cc, u64 gen)
	{
		return cc.hint_gen == gen;
	}

	// On @cc's CPU: @slab, found by a lookup after snapshot() returned
	// @gen, becomes the hint; fast puts take @span bytes of it (pairing 1).
	void publish(CpuCache &cc, Slab *slab, ulong span, u64 gen) const
	{
		// hint_span first: a forget() that sees the new hint_slab
		// clears this value, not an older one.
		write_once(cc.hint_span, span);
		cc.hint_base = reinterpret_cast<uptr>(slab->base);
		cc.hint_gen = gen;
		__atomic_store_n(&cc.hint_slab, slab, __ATOMIC_SEQ_CST);
		if (xsc_unlikely(__atomic_load_n(&gen_, __ATOMIC_SEQ_CST) != gen))
			write_once(cc.hint_span, 0UL);
	}

	// On @cc's CPU: the slab of @cc's table that may hold @object (whose
	// slab is 2^@shift bytes, naturally aligned), or nullptr (pairing 7).
	static Slab *find(CpuCache &cc, uptr object, unsigned shift, u64 gen)
	{
		if (xsc_unlikely(cc.table_gen != gen)) {
			cc.slab_table()->clear();
			cc.table_gen = gen;
			return nullptr;
		}
		return cc.slab_table()->get(object, shift);
	}

	// After find() with the same @gen: @slab, found by a lookup, goes into
	// @cc's table.
	static void remember(CpuCache &cc, Slab *slab, unsigned shift)
	{
		cc.slab_table()->set(slab, shift);
	}

	// On @cc's CPU, holding a busy object of the hinted slab: how far fast
	// puts take it from now on (pairing 4).
	static void set_span(CpuCache &cc, ulong span)
	{
		write_once(cc.hint_span, span);
	}

	// @slab is being freed; its page owner was cleared.  After this, no
	// slow path trusts a hint of it and no fast put takes its objects
	// (pairings 1 and 2); its metadata must outlive a grace period
	// (pairing 6).
	void retire(Slab *slab, CpuCache *cpus, unsigned nr_cpus)
	{
		__atomic_add_fetch(&gen_, 1, __ATOMIC_SEQ_CST);
		forget(slab, cpus, nr_cpus);
	}

	// Fast puts of objects of @slab stop on every CPU that hints it
	// (pairings 1, 3 and 5).  A CPU that hints another slab by now loses
	// nothing but a fast put.  Reads a line of every possible CPU: only
	// slab frees and slabs turning sparse come here.
	static void forget(Slab *slab, CpuCache *cpus, unsigned nr_cpus)
	{
		for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
			CpuCache &cc = cpus[cpu];

			if (__atomic_load_n(&cc.hint_slab, __ATOMIC_SEQ_CST) == slab)
				write_once(cc.hint_span, 0UL);
		}
	}

	// For the entry points' inline fast paths (xsc_front::gen), which
	// read it as snapshot() does.
	const u64 *generation() const
	{
		return &gen_;
	}

private:
	u64 gen_ = 0;
};

} // namespace xsc

#endif // XSC_CPU_CACHE_HPP
