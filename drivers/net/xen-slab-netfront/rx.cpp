// SPDX-License-Identifier: GPL-2.0
//
// The rx ring consumer of a netfront-style frontend, on xen_slab_cache.
//
// Rx buffers are page-sized, page-aligned objects of one cache; each posted
// request is tracked by a small object of a second cache, indexed by the
// request id.  Responses are validated against a private copy (id, status,
// offset, length, flags) before any buffer is touched; anything a correct
// backend never sends marks the connection broken and consuming stops.
//
// The consumer reaches the ring through the C accessors of xsn_platform.h
// and the backend through struct xsn_transport_ops: the same code runs
// against Xen (xen.c) and against a test backend.  One translation unit.
#include "xen_slab_netfront.h"
#include "support.hpp"

namespace xsn {

constexpr u32 kMaxRing = 256;		// netif rx ring of one 4 KiB page
constexpr u32 kBatch = 64;		// buffers taken from the cache per bulk get
constexpr u32 kTableSize = 2048;	// persistent grant table slots (power of 2)
constexpr u32 kTableMax = kTableSize * 3 / 4;

// The bookkeeping of one posted request.
struct Request {
	void *buf;
	u32 gref;
	u16 id;
};

// Persistent grants: buffer page -> grant reference, filled by the buffer
// cache's constructor and emptied by its destructor.  Linear probing with
// backward-shift deletion; the caller holds the table's lock.
class GrantTable {
public:
	bool insert(uptr key, u32 ref)
	{
		if (used_ >= kTableMax)
			return false;
		u32 i = slot(key);

		while (entries_[i].key)
			i = (i + 1) & (kTableSize - 1);
		entries_[i].key = key;
		entries_[i].ref = ref;
		used_++;
		return true;
	}

	bool lookup(uptr key, u32 *ref) const
	{
		for (u32 i = slot(key); entries_[i].key; i = (i + 1) & (kTableSize - 1)) {
			if (entries_[i].key == key) {
				*ref = entries_[i].ref;
				return true;
			}
		}
		return false;
	}

	bool erase(uptr key, u32 *ref)
	{
		u32 i = slot(key);

		while (entries_[i].key != key) {
			if (!entries_[i].key)
				return false;
			i = (i + 1) & (kTableSize - 1);
		}
		*ref = entries_[i].ref;
		used_--;
		// Move later entries of the cluster back into the hole if their
		// home slot does not lie cyclically between the hole and them.
		for (u32 j = (i + 1) & (kTableSize - 1); entries_[j].key; j = (j + 1) & (kTableSize - 1)) {
			const u32 home = slot(entries_[j].key);

			if (((j - home) & (kTableSize - 1)) >= ((j - i) & (kTableSize - 1))) {
				entries_[i] = entries_[j];
				i = j;
			}
		}
		entries_[i].key = 0;
		return true;
	}

	u32 used() const
	{
		return used_;
	}

private:
	static u32 slot(uptr key)
	{
		return static_cast<u32>(((key >> 12) * 0x9e3779b97f4a7c15ULL) >> 32) & (kTableSize - 1);
	}

	struct Entry {
		uptr key; // 0: free
		u32 ref;
	};
	Entry entries_[kTableSize];
	u32 used_;
};

class Rx {
public:
	int init(const char *name, const xsn_rx_args *args);
	void destroy(xsn_rx_stats *final);
	void refill();
	int poll(int budget);
	bool rearm();
	bool has_work() const;
	bool starved() const;
	void get_stats(xsn_rx_stats *s) const;
	void trim();

	xsn_broken broken() const
	{
		return static_cast<xsn_broken>(read_once(broken_));
	}

private:
	static int buffer_ctor(void *arg, void *object);
	static void buffer_dtor(void *arg, void *object);
	void mark_broken(xsn_broken why);
	void recycle(Request *req);
	int end_grant(u32 ref, void *buf);
	u32 fill(u32 want);

	xsn_rx_args args_;
	xsn_ring *ring_;
	u32 ring_size_;
	u32 threshold_;
	xen_slab_cache *buffers_;
	xen_slab_cache *reqs_;
	Request *slots_[kMaxRing];	// by request id; null: id free
	u16 free_ids_[kMaxRing];
	u32 nr_free_ids_;
	Request *quarantine_[kMaxRing];	// buffers whose grant the backend kept
	u32 nr_quarantine_;
	GrantTable *grants_;
	xsn_lock *grants_lock_;
	u32 broken_;

	// Written by the poll context only (bump()), read by anyone.
	u64 packets_, bytes_, requests_, refills_, notifies_, polls_, shortfalls_;
	// Written from cache callbacks too (atomic_add()).
	u64 grants_made_, grant_ends_, grant_ends_deferred_;
};

static void copy_name(char *dst, const char *prefix, const char *suffix)
{
	unsigned n = 0;

	for (const char *p = prefix; *p && n < XEN_SLAB_CACHE_NAME_LEN - 1; p++)
		dst[n++] = *p;
	for (const char *p = suffix; *p && n < XEN_SLAB_CACHE_NAME_LEN - 1; p++)
		dst[n++] = *p;
	dst[n] = '\0';
}

int Rx::init(const char *name, const xsn_rx_args *args)
{
	char cache_name[XEN_SLAB_CACHE_NAME_LEN];

	args_ = *args;
	if (!args_.sring || !args_.ops || !args_.ops->grant || !args_.ops->end_grant ||
	    !args_.ops->notify || !args_.deliver ||
	    (args_.mode != XSN_GRANT_PER_REQUEST && args_.mode != XSN_GRANT_PERSISTENT))
		return -XSN_EINVAL;
	ring_ = xsn_ring_attach(args_.sring, args_.start);
	if (!ring_)
		return -XSN_ENOMEM;
	ring_size_ = xsn_ring_size(ring_);
	if (ring_size_ == 0 || ring_size_ > kMaxRing) {
		// destroy() walks slots_[0 .. ring_size_).
		ring_size_ = 0;
		return -XSN_EINVAL;
	}
	threshold_ = args_.refill_threshold ? min(args_.refill_threshold, ring_size_) : ring_size_ / 4;
	for (u32 i = 0; i < ring_size_; i++)
		free_ids_[i] = static_cast<u16>(ring_size_ - 1 - i);
	nr_free_ids_ = ring_size_;

	if (args_.mode == XSN_GRANT_PERSISTENT) {
		grants_ = static_cast<GrantTable *>(xsn_zalloc(sizeof(GrantTable)));
		grants_lock_ = xsn_lock_alloc();
		if (!grants_ || !grants_lock_)
			return -XSN_ENOMEM;
	}

	xen_slab_cache_args b = {};
	b.size = XSN_PAGE_SIZE;
	b.align = XSN_PAGE_SIZE;
	b.reservation = args_.reservation ? args_.reservation : ring_size_;
	b.ctor = buffer_ctor;
	b.dtor = buffer_dtor;
	b.arg = this;
	copy_name(cache_name, name, "-rx-buffers");
	buffers_ = xen_slab_cache_create(cache_name, &b);
	if (reinterpret_cast<unsigned long>(buffers_) >= static_cast<unsigned long>(-4095L)) {
		const int err = static_cast<int>(reinterpret_cast<long>(buffers_));

		buffers_ = nullptr;
		return err;
	}

	xen_slab_cache_args r = {};
	r.size = sizeof(Request);
	r.align = alignof(Request);
	r.reservation = ring_size_;
	copy_name(cache_name, name, "-rx-requests");
	reqs_ = xen_slab_cache_create(cache_name, &r);
	if (reinterpret_cast<unsigned long>(reqs_) >= static_cast<unsigned long>(-4095L)) {
		const int err = static_cast<int>(reinterpret_cast<long>(reqs_));

		reqs_ = nullptr;
		return err;
	}
	return 0;
}

// A buffer is zeroed before the backend first sees it (a fresh page holds
// old kernel data); in persistent mode it is granted here, once.
int Rx::buffer_ctor(void *arg, void *object)
{
	Rx *rx = static_cast<Rx *>(arg);
	u32 ref;

	xsn_clear_page(object);
	if (rx->args_.mode != XSN_GRANT_PERSISTENT)
		return 0;
	int err = rx->args_.ops->grant(rx->args_.ops_ctx, object, &ref);
	if (err)
		return err;
	atomic_add(rx->grants_made_, 1ULL);
	bool stored;
	{
		LockGuard guard(rx->grants_lock_);
		stored = rx->grants_->insert(reinterpret_cast<uptr>(object), ref);
	}
	if (!stored) {
		rx->end_grant(ref, object);
		return -XSN_ENOMEM;
	}
	return 0;
}

// Runs when the cache frees the buffer's page: the grant ends first.  If the
// backend still uses it, the transport keeps the page until it lets go.
void Rx::buffer_dtor(void *arg, void *object)
{
	Rx *rx = static_cast<Rx *>(arg);
	u32 ref;
	bool found;

	if (rx->args_.mode != XSN_GRANT_PERSISTENT)
		return;
	{
		LockGuard guard(rx->grants_lock_);
		found = rx->grants_->erase(reinterpret_cast<uptr>(object), &ref);
	}
	if (found)
		rx->end_grant(ref, object);
}

int Rx::end_grant(u32 ref, void *buf)
{
	const int busy = args_.ops->end_grant(args_.ops_ctx, ref, buf);

	if (busy)
		atomic_add(grant_ends_deferred_, 1ULL);
	else
		atomic_add(grant_ends_, 1ULL);
	return busy;
}

void Rx::mark_broken(xsn_broken why)
{
	if (!read_once(broken_))
		write_once(broken_, static_cast<u32>(why));
}

void Rx::recycle(Request *req)
{
	xen_slab_cache_put(buffers_, req->buf, false);
	xen_slab_cache_put(reqs_, req, false);
}

// Posts up to @want requests; returns how many.
u32 Rx::fill(u32 want)
{
	void *bufs[kBatch];
	void *reqs[kBatch];
	u32 n, m, i;

	want = min(want, min(kBatch, nr_free_ids_));
	n = xen_slab_cache_get_bulk(buffers_, bufs, want, false);
	m = xen_slab_cache_get_bulk(reqs_, reqs, n, false);
	if (m < n) {
		xen_slab_cache_put_bulk(buffers_, bufs + m, n - m, false);
		n = m;
	}
	for (i = 0; i < n; i++) {
		Request *req = static_cast<Request *>(reqs[i]);
		u32 ref;
		bool ok;

		if (args_.mode == XSN_GRANT_PERSISTENT) {
			LockGuard guard(grants_lock_);
			ok = grants_->lookup(reinterpret_cast<uptr>(bufs[i]), &ref);
		} else {
			ok = args_.ops->grant(args_.ops_ctx, bufs[i], &ref) == 0;
			if (ok)
				atomic_add(grants_made_, 1ULL);
		}
		if (!ok)
			break;
		req->buf = bufs[i];
		req->gref = ref;
		req->id = free_ids_[--nr_free_ids_];
		slots_[req->id] = req;
		xsn_ring_post_request(ring_, req->id, ref);
		// Per post, right after its grant: grants and requests move together.
		bump(requests_, 1ULL);
	}
	if (i < n) {
		xen_slab_cache_put_bulk(buffers_, bufs + i, n - i, false);
		xen_slab_cache_put_bulk(reqs_, reqs + i, n - i, false);
	}
	return i;
}

// Posts buffers on free slots once at least threshold_ are free (or the ring
// ran dry), then pushes and notifies only if the backend asked for it.
void Rx::refill()
{
	if (broken())
		return;
	const u32 outstanding = xsn_ring_req_prod_pvt(ring_) - xsn_ring_rsp_cons(ring_);
	const u32 space = ring_size_ - outstanding;

	if (space == 0 || (space < threshold_ && outstanding))
		return;
	u32 posted = 0;
	while (posted < space) {
		const u32 got = fill(space - posted);

		posted += got;
		if (got == 0)
			break;
	}
	if (posted < space)
		bump(shortfalls_, 1ULL);
	if (!posted)
		return;
	bump(refills_, 1ULL);
	if (xsn_ring_push_requests(ring_)) {
		bump(notifies_, 1ULL);
		args_.ops->notify(args_.ops_ctx);
	}
}

int Rx::poll(int budget)
{
	bump(polls_, 1ULL);
	if (broken() || budget <= 0)
		return 0;

	// rsp_prod is read once; the backend may move it meanwhile, but only
	// this value is trusted, and only after checking it.
	const u32 prod = xsn_ring_read_rsp_prod(ring_);
	u32 cons = xsn_ring_rsp_cons(ring_);
	const u32 outstanding = xsn_ring_req_prod_pvt(ring_) - cons;

	if (xsn_ring_rsp_prod_overflow(ring_, prod) || prod - cons > outstanding) {
		mark_broken(XSN_BROKEN_PROD_OVERFLOW);
		return 0;
	}
	xsn_read_barrier();

	int done = 0;
	while (cons != prod && done < budget) {
		xsn_rsp rsp;

		xsn_ring_copy_response(ring_, cons, &rsp);
		cons++;
		if (rsp.id >= ring_size_ || !slots_[rsp.id]) {
			mark_broken(XSN_BROKEN_ID);
			break;
		}
		Request *req = slots_[rsp.id];

		slots_[rsp.id] = nullptr;
		free_ids_[nr_free_ids_++] = rsp.id;
		done++;

		// Per-request mode ends the grant before the data is read: from
		// here on the backend cannot change it.
		if (args_.mode == XSN_GRANT_PER_REQUEST && end_grant(req->gref, req->buf)) {
			quarantine_[nr_quarantine_++] = req;
			mark_broken(XSN_BROKEN_GRANT_BUSY);
			break;
		}
		if (rsp.status <= 0) {
			recycle(req);
			mark_broken(XSN_BROKEN_STATUS);
			break;
		}
		if (rsp.flags & (XSN_RXF_MORE_DATA | XSN_RXF_EXTRA_INFO | XSN_RXF_GSO_PREFIX)) {
			recycle(req);
			mark_broken(XSN_BROKEN_FLAGS);
			break;
		}
		const u32 len = static_cast<u32>(rsp.status);

		if (rsp.offset + len > XSN_PAGE_SIZE) {
			recycle(req);
			mark_broken(XSN_BROKEN_LENGTH);
			break;
		}
		// Counted before delivery: whoever sees the packet sees it counted.
		bump(packets_, 1ULL);
		bump(bytes_, static_cast<u64>(len));
		args_.deliver(args_.deliver_arg, static_cast<const u8 *>(req->buf) + rsp.offset, len,
			      rsp.flags);
		recycle(req);
	}
	xsn_ring_set_rsp_cons(ring_, cons);
	refill();
	return done;
}

bool Rx::rearm()
{
	if (broken())
		return false;
	return xsn_ring_final_check(ring_) != 0;
}

bool Rx::has_work() const
{
	// Hard irq context, while the poll may mark the connection broken.
	return !broken() && xsn_ring_has_responses(ring_);
}

// Nothing posted, so no response and no event will ever come: only a retry
// of the refill (the transport's timer) can get the ring going again.
bool Rx::starved() const
{
	return !broken() && xsn_ring_req_prod_pvt(ring_) == xsn_ring_rsp_cons(ring_);
}

void Rx::trim()
{
	xen_slab_cache_trim(buffers_);
	xen_slab_cache_trim(reqs_);
}

void Rx::get_stats(xsn_rx_stats *s) const
{
	*s = xsn_rx_stats{};
	s->packets = read_once(packets_);
	s->bytes = read_once(bytes_);
	// A grant is counted before it ends: ends are read first, then grants,
	// every derived value comes from these three reads, and a racy
	// snapshot cannot make grants_active wrap.
	s->grant_ends = read_once(grant_ends_);
	s->grant_ends_deferred = read_once(grant_ends_deferred_);
	s->grants = read_once(grants_made_);
	const u64 ended = s->grant_ends + s->grant_ends_deferred;

	s->grant_ops = s->grants + ended;
	s->grants_active = s->grants > ended ? s->grants - ended : 0;
	s->requests = read_once(requests_);
	s->refills = read_once(refills_);
	s->notifies = read_once(notifies_);
	s->polls = read_once(polls_);
	s->outstanding = xsn_ring_req_prod_pvt(ring_) - xsn_ring_rsp_cons(ring_);
	s->buffer_shortfalls = read_once(shortfalls_);
	s->broken = read_once(broken_);
	if (buffers_)
		xen_slab_cache_get_stats(buffers_, &s->buffers);
	if (reqs_)
		xen_slab_cache_get_stats(reqs_, &s->reqs);
}

// Every buffer still posted or quarantined goes back to its cache (its grant
// ended first in per-request mode), then the caches go: the buffer cache's
// destructor ends the persistent grants.
void Rx::destroy(xsn_rx_stats *final)
{
	xsn_rx_stats before_caches;

	for (u32 id = 0; id < ring_size_; id++) {
		Request *req = slots_[id];

		if (!req)
			continue;
		slots_[id] = nullptr;
		if (args_.mode == XSN_GRANT_PER_REQUEST)
			end_grant(req->gref, req->buf);
		recycle(req);
	}
	for (u32 i = 0; i < nr_quarantine_; i++)
		recycle(quarantine_[i]);
	nr_quarantine_ = 0;
	if (final && ring_)
		get_stats(&before_caches);
	xen_slab_cache_destroy(buffers_);
	xen_slab_cache_destroy(reqs_);
	buffers_ = reqs_ = nullptr;
	if (final && ring_) {
		get_stats(final);
		final->buffers = before_caches.buffers;
		final->reqs = before_caches.reqs;
	}
	if (ring_)
		xsn_ring_detach(ring_);
	if (grants_lock_)
		xsn_lock_free(grants_lock_);
	xsn_free(grants_);
}

} // namespace xsn

using xsn::Rx;

extern "C" int xsn_rx_create(const char *name, const xsn_rx_args *args, xsn_rx **out)
{
	void *mem = xsn_zalloc(sizeof(Rx));

	*out = nullptr;
	if (!mem)
		return -XSN_ENOMEM;
	Rx *rx = new (mem) Rx();
	const int err = rx->init(name, args);

	if (err) {
		rx->destroy(nullptr);
		xsn_free(mem);
		return err;
	}
	*out = reinterpret_cast<xsn_rx *>(rx);
	return 0;
}

extern "C" void xsn_rx_destroy(xsn_rx *rx, xsn_rx_stats *final)
{
	if (!rx)
		return;
	reinterpret_cast<Rx *>(rx)->destroy(final);
	xsn_free(rx);
}

extern "C" void xsn_rx_refill(xsn_rx *rx)
{
	reinterpret_cast<Rx *>(rx)->refill();
}

extern "C" int xsn_rx_poll(xsn_rx *rx, int budget)
{
	return reinterpret_cast<Rx *>(rx)->poll(budget);
}

extern "C" bool xsn_rx_rearm(xsn_rx *rx)
{
	return reinterpret_cast<Rx *>(rx)->rearm();
}

extern "C" bool xsn_rx_has_work(xsn_rx *rx)
{
	return reinterpret_cast<Rx *>(rx)->has_work();
}

extern "C" bool xsn_rx_starved(xsn_rx *rx)
{
	return reinterpret_cast<Rx *>(rx)->starved();
}

extern "C" xsn_broken xsn_rx_broken(xsn_rx *rx)
{
	return reinterpret_cast<Rx *>(rx)->broken();
}

extern "C" void xsn_rx_get_stats(xsn_rx *rx, xsn_rx_stats *stats)
{
	reinterpret_cast<Rx *>(rx)->get_stats(stats);
}

extern "C" void xsn_rx_trim(xsn_rx *rx)
{
	reinterpret_cast<Rx *>(rx)->trim();
}

extern "C" const char *xsn_broken_name(xsn_broken reason)
{
	switch (reason) {
	case XSN_OK:
		return "ok";
	case XSN_BROKEN_PROD_OVERFLOW:
		return "rsp_prod-overflow";
	case XSN_BROKEN_ID:
		return "bad-id";
	case XSN_BROKEN_STATUS:
		return "bad-status";
	case XSN_BROKEN_LENGTH:
		return "bad-length";
	case XSN_BROKEN_FLAGS:
		return "bad-flags";
	case XSN_BROKEN_GRANT_BUSY:
		return "grant-busy";
	}
	return "unknown";
}
