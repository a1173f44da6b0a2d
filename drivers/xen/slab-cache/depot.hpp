// SPDX-License-Identifier: GPL-2.0
//
// The depot: full (non-empty) and empty magazines shared by all CPUs of a
// cache, under its own lock (Bonwick and Adams, 2001; SLUB's barn).  It
// knows magazines, never the objects in them nor the slabs: what a caller
// takes out of it, the caller empties or frees outside the lock.
#ifndef XSC_DEPOT_HPP
#define XSC_DEPOT_HPP

#include "magazine.hpp"

namespace xsc {

// A stack of magazines.
struct MagazineList {
	Magazine *head = nullptr;
	unsigned length = 0;
	// Fewest magazines on the list since the last working-set update: that
	// many were not needed during the interval.
	unsigned low_water = 0;

	void push(Magazine *m)
	{
		m->next = head;
		head = m;
		length++;
	}

	Magazine *pop()
	{
		Magazine *m = head;

		if (m) {
			head = m->next_magazine();
			m->next = nullptr;
			length--;
			low_water = min(low_water, length);
		}
		return m;
	}
};

class Depot {
public:
	// The lock; false when it could not be allocated.
	bool init();
	// Frees the empty magazines and the lock; full ones must have been
	// taken out (detach()) and emptied.  Whatever init() reached.
	void release();
	bool ready() const
	{
		return lock_.ready();
	}

	// A full magazine in exchange for @empty, or nullptr (then @empty
	// stays the caller's).
	Magazine *trade_for_full(Magazine *empty);
	// An empty magazine, or nullptr.
	Magazine *take_empty();
	void give_full(Magazine *full);

	// Takes out, as lists linked through Magazine::next, every magazine
	// (@everything) or those the last interval did not need (its
	// low-water marks), and starts a new interval.
	void detach(bool everything, Magazine **full, Magazine **empty);

	// Objects in the full magazines.
	ulong objects();
	void lengths(u64 *full, u64 *empty);
	// Magazine counts and list lengths agree.
	bool audit();

private:
	SpinLock lock_;
	MagazineList full_ XSC_GUARDED_BY(lock_);
	MagazineList empty_ XSC_GUARDED_BY(lock_);
};

} // namespace xsc

#endif // XSC_DEPOT_HPP
