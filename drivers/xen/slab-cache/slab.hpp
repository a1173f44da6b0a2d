// SPDX-License-Identifier: GPL-2.0
//
// Slabs and the occupancy-sorted set of slabs of one cache.
#ifndef XSC_SLAB_HPP
#define XSC_SLAB_HPP

#include "support.hpp"
#include "xsc_front.h"

namespace xsc {

// How objects are laid out in a slab; fixed at cache creation.
struct Geometry {
	ulong size;	// object size asked for
	ulong stride;	// size rounded up to the alignment
	unsigned order; // pages per slab = 2^order
	unsigned objects; // slots per slab
	unsigned words;	// longs per bitmap
	unsigned shift;	// log2 of the slab's size in bytes
	u64 reciprocal; // ceil(2^64 / stride) mod 2^64: offset -> slot without a division

	// Smallest order whose unused tail is at most 1/8 of the slab.
	static bool compute(ulong size, ulong align, Geometry *g);

	// Whether @offset (below 2^32) is a multiple of the stride, by one
	// multiplication: n is divisible by d < 2^32 exactly when
	// n * ceil(2^64 / d) mod 2^64 < ceil(2^64 / d) (Lemire, Kaser and
	// Kurz, "Faster remainder by direct computation", 2019).  Always false
	// for a stride of 1, whose reciprocal is 0.
	bool multiple_of_stride(ulong offset) const
	{
		return offset * reciprocal < reciprocal;
	}

	// Slot of @offset bytes into a slab, or -1 when it is not a slot start.
	long slot_of(ulong offset) const
	{
		// reciprocal is 0 only for a stride of 1.
		const ulong slot = reciprocal ? static_cast<ulong>((static_cast<unsigned __int128>(offset) *
								     reciprocal) >> 64)
					      : offset;

		if (slot >= objects || slot * stride != offset)
			return -1;
		return static_cast<long>(slot);
	}
};

constexpr unsigned kMaxSlabObjects = 4096;
constexpr unsigned kMaxSlabOrder = 7;

// One slab: 2^order naturally aligned pages of objects.  The metadata lives
// outside the pages (the bitmaps follow this header in the same allocation),
// so a page-sized object fills a page alone.
//
// Invariants (checked by the audit):
//   busy == popcount(busy bitmap), constructed == popcount(constructed bitmap);
//   no bit is set at or beyond Geometry::objects;
//   the slab sits in the bin that SlabSet::bin_of(busy) names.
struct Slab {
	ListNode link;	 // in its occupancy bin
	char *base;	 // first object, page aligned
	const void *cache; // its Cache: page owners are global, not per cache
	unsigned busy;	 // slots handed out (to users or to magazines)
	unsigned constructed; // slots whose constructor has run
	unsigned bin;	 // occupancy bin it is linked into

	ulong *busy_bits()
	{
		return reinterpret_cast<ulong *>(this + 1);
	}

	ulong *constructed_bits(const Geometry &g)
	{
		return busy_bits() + g.words;
	}

	static ulong metadata_size(const Geometry &g)
	{
		return sizeof(Slab) + 2 * g.words * sizeof(ulong);
	}

	void *object(const Geometry &g, unsigned slot)
	{
		return base + static_cast<ulong>(slot) * g.stride;
	}

	static bool test(const ulong *bits, unsigned slot)
	{
		return read_once(bits[slot / kBitsPerLong]) & (1UL << (slot % kBitsPerLong));
	}

	// Written under the slab lock; the busy bits are also read without it
	// (a put checks that its object is busy), hence the untearable stores.
	static void set(ulong *bits, unsigned slot)
	{
		ulong &w = bits[slot / kBitsPerLong];

		write_once(w, w | 1UL << (slot % kBitsPerLong));
	}

	static void clear(ulong *bits, unsigned slot)
	{
		ulong &w = bits[slot / kBitsPerLong];

		write_once(w, w & ~(1UL << (slot % kBitsPerLong)));
	}

	// A free slot, constructed ones first; -1 when the slab is full.
	long find_free(const Geometry &g);
};

// The entry points' inline fast paths read a slab's base and busy bitmap
// through their C layout (xsc_slab_table_holds(), xsc_front.h).
static_assert(__builtin_offsetof(Slab, base) == XSC_SLAB_BASE_OFFSET &&
		      sizeof(Slab) == XSC_SLAB_BUSY_OFFSET,
	      "xsc_front.h's view of a slab");

// The slabs of a cache, sorted by occupancy into bins: bin 0 holds empty
// slabs, bin kFullBin full ones, the bins between partial slabs in rising
// occupancy (exactly one occupancy per bin when a slab holds at most 63
// objects).  The order "fullest first" is the bins from kFullBin down to 0.
// The cursor is the first slab of that order that is not full: the head of
// the highest non-empty bin below kFullBin.  Moving a slab between bins is
// O(1), so keeping the order costs no walk.
//
// With least_first (the original's policy before 2019) the order is the
// reverse, "least occupied first", and the cursor is the head of the lowest
// non-empty bin below kFullBin.
class SlabSet {
public:
	static constexpr unsigned kBins = 64;
	static constexpr unsigned kFullBin = kBins - 1;

	void init(const Geometry *g, bool least_first = false);

	// The bin of a slab of @objects slots with @busy of them busy.
	static unsigned bin_of(unsigned busy, unsigned objects)
	{
		if (busy == 0)
			return 0;
		if (busy >= objects)
			return kFullBin;
		return 1 + (busy - 1) * (kFullBin - 1) / (objects - 1);
	}
	unsigned bin_of(unsigned busy) const
	{
		return bin_of(busy, geometry_->objects);
	}

	// Written under the slab lock; read without it by puts (a hint only).
	Slab *cursor() const
	{
		return read_once(cursor_);
	}

	void insert(Slab *slab);
	void remove(Slab *slab);
	// After slab->busy changed.
	void rebin(Slab *slab);

	// An empty slab, or nullptr.
	Slab *first_empty()
	{
		return bins_[0].empty() ? nullptr : container_of<Slab, &Slab::link>(bins_[0].next);
	}

	template <typename Fn> void for_each_in_order(Fn fn)
	{
		for (unsigned i = 0; i < kBins; i++) {
			const unsigned bin = least_first_ ? i : kBins - 1 - i;

			for (ListNode *n = bins_[bin].next; n != &bins_[bin]; n = n->next)
				fn(container_of<Slab, &Slab::link>(n), bin);
		}
	}

	// The cursor as a walk in order finds it (for the audit).
	Slab *walk_cursor();

	unsigned bin_length(unsigned bin) const
	{
		return lengths_[bin];
	}
	// The same without the lock: a racy snapshot of a word (the stores
	// are plain, WRITE_ONCE cost the slab path 5% of its instructions),
	// for estimates only (the shrinker's count).
	unsigned bin_length_unlocked(unsigned bin) const
	{
		return read_once(lengths_[bin]);
	}

	// Fewest empty slabs since the last call: that many stayed empty, unused,
	// the whole time (the working-set low-water mark of Bonwick's depot,
	// applied to slabs).  Starts a new interval.
	unsigned take_empty_low_water()
	{
		const unsigned low = empty_low_;

		empty_low_ = lengths_[0];
		return low;
	}

private:
	void link(Slab *slab, unsigned bin);
	void unlink(Slab *slab);
	void update_cursor();

	const Geometry *geometry_;
	ListNode bins_[kBins];
	unsigned lengths_[kBins];
	u64 nonempty_; // bit b: bins_[b] is not empty
	Slab *cursor_;
	bool least_first_;
	unsigned empty_low_;
};

inline bool Geometry::compute(ulong size, ulong align, Geometry *g)
{
	g->size = size;
	g->stride = round_up(size, align);
	for (unsigned order = 0; order <= kMaxSlabOrder; order++) {
		const ulong bytes = XSC_PAGE_SIZE << order;
		const ulong objects = bytes / g->stride;

		if (objects == 0 || (bytes - objects * g->stride) * 8 > bytes)
			continue;
		g->order = order;
		g->objects = static_cast<unsigned>(min<ulong>(objects, kMaxSlabObjects));
		g->words = (g->objects + kBitsPerLong - 1) / kBitsPerLong;
		g->shift = XSC_PAGE_SHIFT + order;
		// ceil(2^64 / stride), computed without overflowing 64 bits.
		g->reciprocal = ~0ULL / g->stride + 1;
		return true;
	}
	return false;
}

inline long Slab::find_free(const Geometry &g)
{
	const ulong *busy = busy_bits();
	const ulong *cons = constructed_bits(g);
	const unsigned tail = g.objects % kBitsPerLong;
	long any = -1;

	for (unsigned w = 0; w < g.words; w++) {
		ulong free = ~busy[w];

		if (w == g.words - 1 && tail)
			free &= (1UL << tail) - 1;
		if (!free)
			continue;
		if (free & cons[w])
			return w * kBitsPerLong + lowest_bit(free & cons[w]);
		if (any < 0)
			any = w * kBitsPerLong + lowest_bit(free);
	}
	return any;
}

inline void SlabSet::init(const Geometry *g, bool least_first)
{
	geometry_ = g;
	least_first_ = least_first;
	for (unsigned b = 0; b < kBins; b++) {
		bins_[b].init();
		lengths_[b] = 0;
	}
	nonempty_ = 0;
	cursor_ = nullptr;
	empty_low_ = 0;
}

inline void SlabSet::link(Slab *slab, unsigned bin)
{
	slab->bin = bin;
	slab->link.insert_before(&bins_[bin]);
	lengths_[bin]++;
	nonempty_ |= 1ULL << bin;
}

inline void SlabSet::unlink(Slab *slab)
{
	slab->link.unlink();
	lengths_[slab->bin]--;
	if (bins_[slab->bin].empty())
		nonempty_ &= ~(1ULL << slab->bin);
	if (slab->bin == 0)
		empty_low_ = min(empty_low_, lengths_[0]);
}

inline void SlabSet::update_cursor()
{
	const u64 open = nonempty_ & ~(1ULL << kFullBin);
	unsigned bin;

	if (!open) {
		write_once<Slab *>(cursor_, nullptr);
		return;
	}
	bin = least_first_ ? lowest_bit(open) : highest_bit(open);
	write_once(cursor_, container_of<Slab, &Slab::link>(bins_[bin].next));
}

inline void SlabSet::insert(Slab *slab)
{
	link(slab, bin_of(slab->busy));
	update_cursor();
}

inline void SlabSet::remove(Slab *slab)
{
	unlink(slab);
	update_cursor();
}

inline void SlabSet::rebin(Slab *slab)
{
	const unsigned bin = bin_of(slab->busy);

	XSC_ASSERT(slab->busy <= geometry_->objects);
	if (bin != slab->bin) {
		unlink(slab);
		link(slab, bin);
	}
	XSC_ASSERT(slab->bin == bin && lengths_[bin] > 0);
	update_cursor();
}

inline Slab *SlabSet::walk_cursor()
{
	Slab *found = nullptr;

	for_each_in_order([&](Slab *slab, unsigned) {
		if (!found && slab->busy < geometry_->objects)
			found = slab;
	});
	return found;
}

} // namespace xsc

#endif // XSC_SLAB_HPP
