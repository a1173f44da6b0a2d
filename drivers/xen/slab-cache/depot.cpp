// SPDX-License-Identifier: GPL-2.0
//
// The depot (depot.hpp).  Part of the core's one translation unit (core.cpp).

namespace xsc {

bool Depot::init()
{
	return lock_.init(XSC_LOCK_DEPOT);
}

void Depot::release()
{
	Magazine *m;

	if (!lock_.ready())
		return;
	{
		LockGuard guard(lock_);

		while ((m = empty_.pop()))
			xsc_meta_free(m);
	}
	lock_.free();
}

Magazine *Depot::trade_for_full(Magazine *empty)
{
	LockGuard guard(lock_);
	Magazine *full = full_.pop();

	XSC_ASSERT(empty->count == 0);
	XSC_ASSERT(!full || (full->count > 0 && full->count <= full->capacity));
	if (full)
		empty_.push(empty);
	return full;
}

Magazine *Depot::take_empty()
{
	LockGuard guard(lock_);

	return empty_.pop();
}

void Depot::give_full(Magazine *full)
{
	LockGuard guard(lock_);

	XSC_ASSERT(full->count > 0 && full->count <= full->capacity);
	full_.push(full);
}

void Depot::detach(bool everything, Magazine **full, Magazine **empty)
{
	LockGuard guard(lock_);
	unsigned nfull = everything ? full_.length : full_.low_water;
	unsigned nempty = everything ? empty_.length : empty_.low_water;
	Magazine *m;

	*full = *empty = nullptr;
	while (nfull-- && (m = full_.pop())) {
		m->next = *full;
		*full = m;
	}
	while (nempty-- && (m = empty_.pop())) {
		m->next = *empty;
		*empty = m;
	}
	full_.low_water = full_.length;
	empty_.low_water = empty_.length;
}

ulong Depot::objects()
{
	LockGuard guard(lock_);
	ulong n = 0;

	for (Magazine *m = full_.head; m; m = m->next_magazine())
		n += m->count;
	return n;
}

void Depot::lengths(u64 *full, u64 *empty)
{
	LockGuard guard(lock_);

	*full = full_.length;
	*empty = empty_.length;
}

bool Depot::audit()
{
	LockGuard guard(lock_);
	unsigned nfull = 0, nempty = 0;
	bool ok = true;

	for (Magazine *m = full_.head; m; m = m->next_magazine()) {
		ok &= m->count > 0 && m->count <= m->capacity;
		nfull++;
	}
	for (Magazine *m = empty_.head; m; m = m->next_magazine()) {
		ok &= m->count == 0;
		nempty++;
	}
	return ok && nfull == full_.length && nempty == empty_.length;
}

} // namespace xsc
