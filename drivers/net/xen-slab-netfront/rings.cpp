// SPDX-License-Identifier: GPL-2.0
//
// The rx and tx rings of a netfront-style frontend, on xen_slab_cache.
//
// Rx buffers are page-sized, page-aligned objects of one cache; each posted
// request is tracked by a small object of a second cache, indexed by the
// request id.  A packet may span several slots (more_data) and carry a GSO
// extra-info slot.  Tx is built the same way on two caches of its own: a
// packet is copied into page-sized tx buffers, so a buffer granted once (the
// kept-grant mode) serves every packet it ever carries.  Responses are
// validated against a private copy before any buffer is touched; anything a
// correct backend never sends marks the ring broken and consuming stops.
//
// The code reaches the rings through the C accessors of xsn_platform.h and
// the backend through struct xsn_transport_ops: the same code runs against
// Xen (xen.c, vif.c) and against a test backend.  One translation unit.
#include "xen_slab_netfront.h"
#include "support.hpp"

namespace xsn {

constexpr u32 kMaxRing = 256;		// netif rx ring of one 4 KiB page
constexpr u32 kBatch = 64;		// buffers taken from the cache per bulk get
constexpr u32 kTableSize = 2048;	// persistent grant table slots (power of 2)
constexpr u32 kTableMax = kTableSize * 3 / 4;

// The bookkeeping of one posted request: an empty rx buffer, or one tx slot.
struct Request {
	void *buf;
	u32 gref;
	u16 len;	// tx: the packet's length on its first slot, else 0
	u16 extras;	// tx: extra-info slots after the first slot (their NULL responses)
};
static_assert(sizeof(Request) == 16, "256 requests fill one 4 KiB slab");
static_assert(XSN_TX_MAX_LEN <= 0xffff, "a packet's length fits Request::len");

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

// The grants of one queue's buffers.  In the kept mode a buffer is granted
// by its cache's constructor and the grant ends in its destructor (the
// table maps the buffer to its reference); in the per-request mode every
// posting grants and every response ends the grant.
class Grants {
public:
	int init(xsn_grant_mode mode, const xsn_transport_ops *ops, void *ctx)
	{
		mode_ = mode;
		ops_ = ops;
		ctx_ = ctx;
		if (!kept())
			return 0;
		table_ = static_cast<GrantTable *>(xsn_zalloc(sizeof(GrantTable)));
		lock_ = xsn_lock_alloc();
		return table_ && lock_ ? 0 : -XSN_ENOMEM;
	}

	void fini()
	{
		if (lock_)
			xsn_lock_free(lock_);
		xsn_free(table_);
		lock_ = nullptr;
		table_ = nullptr;
	}

	bool kept() const
	{
		return mode_ == XSN_GRANT_PERSISTENT;
	}

	// The buffer cache's constructor: a buffer is zeroed before the
	// backend first sees it (a fresh page holds old kernel data); in the
	// kept mode it is granted here, once.
	int construct(void *buf)
	{
		u32 ref;
		bool stored;

		xsn_clear_page(buf);
		if (!kept())
			return 0;
		const int err = ops_->grant(ctx_, buf, &ref);
		if (err)
			return err;
		atomic_add(made_, 1ULL);
		{
			LockGuard guard(lock_);
			stored = table_->insert(reinterpret_cast<uptr>(buf), ref);
		}
		if (!stored) {
			end(ref, buf);
			return -XSN_ENOMEM;
		}
		return 0;
	}

	// The buffer cache's destructor, when the cache frees the buffer's
	// page: the grant ends first; if the backend still uses it, the
	// transport keeps the page until it lets go.
	void destruct(void *buf)
	{
		u32 ref;
		bool found;

		if (!kept())
			return;
		{
			LockGuard guard(lock_);
			found = table_->erase(reinterpret_cast<uptr>(buf), &ref);
		}
		if (found)
			end(ref, buf);
	}

	// The reference to post with @buf: its kept grant, or a new one.
	bool take(void *buf, u32 *ref)
	{
		if (kept()) {
			LockGuard guard(lock_);
			return table_->lookup(reinterpret_cast<uptr>(buf), ref);
		}
		if (ops_->grant(ctx_, buf, ref))
			return false;
		atomic_add(made_, 1ULL);
		return true;
	}

	// take() for @n buffers under one acquisition of the table's lock;
	// returns how many (the first ones) have their reference in @refs.
	u32 take_bulk(void *const *bufs, u32 *refs, u32 n)
	{
		u32 i = 0;

		if (kept()) {
			LockGuard guard(lock_);

			while (i < n && table_->lookup(reinterpret_cast<uptr>(bufs[i]), &refs[i]))
				i++;
			return i;
		}
		while (i < n && take(bufs[i], &refs[i]))
			i++;
		return i;
	}

	// Ends a grant; 1 when the backend still used it (ended later).
	int end(u32 ref, void *buf)
	{
		const int busy = ops_->end_grant(ctx_, ref, buf);

		if (busy)
			atomic_add(ends_deferred_, 1ULL);
		else
			atomic_add(ends_, 1ULL);
		return busy;
	}

	// A grant is counted before it ends: ends are read first, then grants,
	// and every derived value comes from these three reads, so a racy
	// snapshot cannot make the active count wrap.
	void read(u64 *grants, u64 *ends, u64 *deferred, u64 *ops, u64 *active) const
	{
		*ends = read_once(ends_);
		*deferred = read_once(ends_deferred_);
		*grants = read_once(made_);
		const u64 ended = *ends + *deferred;

		*ops = *grants + ended;
		*active = *grants > ended ? *grants - ended : 0;
	}

private:
	xsn_grant_mode mode_;
	const xsn_transport_ops *ops_;
	void *ctx_;
	GrantTable *table_;
	xsn_lock *lock_;
	// Written from cache callbacks too (atomic_add()).
	u64 made_, ends_, ends_deferred_;
};

// An error pointer of xen_slab_cache_create() as an errno, else 0.
static int create_error(xen_slab_cache *cache)
{
	if (reinterpret_cast<unsigned long>(cache) >= static_cast<unsigned long>(-4095L))
		return static_cast<int>(reinterpret_cast<long>(cache));
	return 0;
}

static void copy_name(char *dst, const char *prefix, const char *suffix)
{
	unsigned n = 0;

	for (const char *p = prefix; *p && n < XEN_SLAB_CACHE_NAME_LEN - 1; p++)
		dst[n++] = *p;
	for (const char *p = suffix; *p && n < XEN_SLAB_CACHE_NAME_LEN - 1; p++)
		dst[n++] = *p;
	dst[n] = '\0';
}

// What the rx and tx queues share: a cache of page-sized buffers whose
// grants Grants keeps, a cache of request bookkeeping, the ids of the
// requests on the ring, the buffers whose grant the backend kept, and the
// broken mark.
class Queue {
public:
	xsn_broken broken() const
	{
		return static_cast<xsn_broken>(read_once(broken_));
	}

protected:
	// With ring_size_ set: the ids, the grants and both caches, named
	// @name followed by @buffers and @requests.
	int init_queue(const char *name, const char *buffers, const char *requests,
		       xsn_grant_mode mode, const xsn_transport_ops *ops, void *ctx,
		       u32 reservation);
	void mark_broken(xsn_broken why);
	// @req's buffer and bookkeeping back to their caches.
	void recycle(Request *req);
	// The same from the queue's poll, whose context has bottom halves off
	// (xsn_rx_poll(), xsn_tx_poll()): preemption is off, so the caches'
	// variants for that context serve it without the preemption counter.
	void recycle_in_poll(Request *req);
	// Gives @req a free id (nr_free_ids_ > 0), remembers it as posted at
	// ring index @idx and returns it.
	u16 post(Request *req, u32 idx);
	// The id last posted at ring index @idx.
	u16 id_at(u32 idx) const
	{
		return ids_by_index_[idx & (ring_size_ - 1)];
	}
	// The request a response's id names, its id free again; null when no
	// request with that id is outstanding.
	Request *complete(u16 id);
	// Per-request mode: ends @req's grant once its response came.  False
	// when the backend still uses it: @req stays out of the caches and
	// the queue is broken.
	bool end_request_grant(Request *req);
	// Teardown: every request still posted or kept goes back (per-request
	// grants ended), @buffers and @requests (if not null) receive the
	// caches' statistics, then the caches go (their destructor ends the
	// kept grants).
	void release(xen_slab_cache_stats *buffers, xen_slab_cache_stats *requests);
	void cache_stats(xen_slab_cache_stats *buffers, xen_slab_cache_stats *requests) const;

	u32 ring_size_;
	u32 nr_free_ids_;
	Grants grants_;
	xen_slab_cache *buffers_;
	xen_slab_cache *reqs_;

private:
	static int buffer_ctor(void *arg, void *object);
	static void buffer_dtor(void *arg, void *object);

	Request *slots_[kMaxRing];	// by request id; null: id free
	u16 free_ids_[kMaxRing];
	u16 ids_by_index_[kMaxRing];	// ring index -> id posted there
	Request *quarantine_[kMaxRing];	// buffers whose grant the backend kept
	u32 nr_quarantine_;
	u32 broken_;
};

int Queue::init_queue(const char *name, const char *buffers, const char *requests,
		      xsn_grant_mode mode, const xsn_transport_ops *ops, void *ctx,
		      u32 reservation)
{
	char cache_name[XEN_SLAB_CACHE_NAME_LEN];

	for (u32 i = 0; i < ring_size_; i++)
		free_ids_[i] = static_cast<u16>(ring_size_ - 1 - i);
	nr_free_ids_ = ring_size_;
	int err = grants_.init(mode, ops, ctx);
	if (err)
		return err;

	xen_slab_cache_args b = {};
	b.size = XSN_PAGE_SIZE;
	b.align = XSN_PAGE_SIZE;
	b.reservation = reservation ? reservation : ring_size_;
	b.ctor = buffer_ctor;
	b.dtor = buffer_dtor;
	b.arg = this;
	copy_name(cache_name, name, buffers);
	buffers_ = xen_slab_cache_create(cache_name, &b);
	err = create_error(buffers_);
	if (err) {
		buffers_ = nullptr;
		return err;
	}

	xen_slab_cache_args r = {};
	r.size = sizeof(Request);
	r.align = alignof(Request);
	r.reservation = ring_size_;
	copy_name(cache_name, name, requests);
	reqs_ = xen_slab_cache_create(cache_name, &r);
	err = create_error(reqs_);
	if (err) {
		reqs_ = nullptr;
		return err;
	}
	return 0;
}

int Queue::buffer_ctor(void *arg, void *object)
{
	return static_cast<Queue *>(arg)->grants_.construct(object);
}

void Queue::buffer_dtor(void *arg, void *object)
{
	static_cast<Queue *>(arg)->grants_.destruct(object);
}

void Queue::mark_broken(xsn_broken why)
{
	if (!read_once(broken_))
		write_once(broken_, static_cast<u32>(why));
}

void Queue::recycle(Request *req)
{
	xen_slab_cache_put(buffers_, req->buf, false);
	xen_slab_cache_put(reqs_, req, false);
}

void Queue::recycle_in_poll(Request *req)
{
	xen_slab_cache_put_direct(buffers_, req->buf, false);
	xen_slab_cache_put_direct(reqs_, req, false);
}

u16 Queue::post(Request *req, u32 idx)
{
	const u16 id = free_ids_[--nr_free_ids_];

	slots_[id] = req;
	ids_by_index_[idx & (ring_size_ - 1)] = id;
	return id;
}

Request *Queue::complete(u16 id)
{
	if (id >= ring_size_ || !slots_[id])
		return nullptr;
	Request *req = slots_[id];

	slots_[id] = nullptr;
	free_ids_[nr_free_ids_++] = id;
	return req;
}

bool Queue::end_request_grant(Request *req)
{
	if (grants_.kept() || !grants_.end(req->gref, req->buf))
		return true;
	quarantine_[nr_quarantine_++] = req;
	mark_broken(XSN_BROKEN_GRANT_BUSY);
	return false;
}

void Queue::cache_stats(xen_slab_cache_stats *buffers, xen_slab_cache_stats *requests) const
{
	if (buffers_)
		xen_slab_cache_get_stats(buffers_, buffers);
	if (reqs_)
		xen_slab_cache_get_stats(reqs_, requests);
}

void Queue::release(xen_slab_cache_stats *buffers, xen_slab_cache_stats *requests)
{
	for (u32 id = 0; id < ring_size_; id++) {
		Request *req = slots_[id];

		if (!req)
			continue;
		slots_[id] = nullptr;
		if (!grants_.kept())
			grants_.end(req->gref, req->buf);
		recycle(req);
	}
	for (u32 i = 0; i < nr_quarantine_; i++)
		recycle(quarantine_[i]);
	nr_quarantine_ = 0;
	if (buffers)
		cache_stats(buffers, requests);
	xen_slab_cache_destroy(buffers_);
	xen_slab_cache_destroy(reqs_);
	buffers_ = reqs_ = nullptr;
}

class Rx : public Queue {
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

private:
	u32 fill(u32 want);
	bool take_packet(u32 *cons, u32 prod);
	void recycle_held();

	xsn_rx_args args_;
	xsn_ring *ring_;
	u32 threshold_;

	// The packet being taken off the ring, and the requests whose slots
	// it used (data and extra-info slots); poll context only.
	xsn_packet pkt_;
	Request *held_[XSN_MAX_SLOTS + XSN_EXTRA_TYPE_MAX];
	u32 nr_held_;

	// Written by the poll context only (bump()), read by anyone.
	u64 packets_, bytes_, gso_packets_, requests_, refills_, notifies_, polls_, shortfalls_;
};


int Rx::init(const char *name, const xsn_rx_args *args)
{
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
		// release() walks slots_[0 .. ring_size_).
		ring_size_ = 0;
		return -XSN_EINVAL;
	}
	threshold_ = args_.refill_threshold ? min(args_.refill_threshold, ring_size_) : ring_size_ / 4;
	return init_queue(name, "-rx-buffers", "-rx-requests", args_.mode, args_.ops,
			  args_.ops_ctx, args_.reservation);
}

// Posts up to @want requests; returns how many.
u32 Rx::fill(u32 want)
{
	void *bufs[kBatch];
	void *reqs[kBatch];
	u32 refs[kBatch];
	u32 n, m, i;

	want = min(want, min(kBatch, nr_free_ids_));
	n = xen_slab_cache_get_bulk(buffers_, bufs, want, false);
	m = xen_slab_cache_get_bulk(reqs_, reqs, n, false);
	if (m < n) {
		xen_slab_cache_put_bulk(buffers_, bufs + m, n - m, false);
		n = m;
	}
	const u32 granted = grants_.take_bulk(bufs, refs, n);

	for (i = 0; i < granted; i++) {
		Request *req = static_cast<Request *>(reqs[i]);

		req->buf = bufs[i];
		req->gref = refs[i];
		req->len = 0;
		req->extras = 0;
		xsn_ring_post_request(ring_, post(req, xsn_ring_req_prod_pvt(ring_)), refs[i]);
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

void Rx::recycle_held()
{
	for (u32 i = 0; i < nr_held_; i++)
		recycle_in_poll(held_[i]);
	nr_held_ = 0;
}

// Takes the responses of one packet, from *@cons on, into pkt_ and held_:
// its first data slot, its extra-info slots, its further data slots.  A
// backend publishes a packet's responses together, so every one of them
// must lie below @prod.  Each data slot's request is found by the
// response's id; an extra-info slot has no id (the extra info is written
// over the response), so its request is the one posted at the same ring
// index, as xen-netfront finds it.  False when the ring is broken; what
// was taken is then back in its caches (or quarantined).
bool Rx::take_packet(u32 *cons, u32 prod)
{
	u32 idx = *cons;
	u32 extras = 0;
	bool more = true, extra_next = false;

	pkt_.len = 0;
	pkt_.flags = 0;
	pkt_.gso_type = XSN_GSO_NONE;
	pkt_.gso_size = 0;
	pkt_.nr_frags = 0;
	nr_held_ = 0;
	while (more || extra_next) {
		if (idx == prod) {
			mark_broken(XSN_BROKEN_PACKET);
			break;
		}
		if (extra_next) {
			xsn_extra ex;
			Request *req = complete(id_at(idx));

			xsn_ring_copy_extra(ring_, idx++, &ex);
			if (!req) {
				mark_broken(XSN_BROKEN_ID);
				break;
			}
			if (!end_request_grant(req))
				break;
			held_[nr_held_++] = req;
			if (ex.type == 0 || ex.type >= XSN_EXTRA_TYPE_MAX ||
			    ++extras >= XSN_EXTRA_TYPE_MAX) {
				mark_broken(XSN_BROKEN_PACKET);
				break;
			}
			if (ex.type == XSN_EXTRA_TYPE_GSO) {
				if (ex.gso_size == 0 ||
				    (ex.gso_type != XSN_GSO_TCPV4 && ex.gso_type != XSN_GSO_TCPV6)) {
					mark_broken(XSN_BROKEN_PACKET);
					break;
				}
				pkt_.gso_type = ex.gso_type;
				pkt_.gso_size = ex.gso_size;
			}
			// Other types (multicast, hash) are valid and unused.
			extra_next = ex.flags & XSN_EXTRA_FLAG_MORE;
			continue;
		}

		xsn_rsp rsp;

		xsn_ring_copy_response(ring_, idx++, &rsp);
		Request *req = complete(rsp.id);

		if (!req) {
			mark_broken(XSN_BROKEN_ID);
			break;
		}
		// Per-request mode ends the grant before the data is read: from
		// here on the backend cannot change it.
		if (!end_request_grant(req))
			break;
		held_[nr_held_++] = req;
		if (rsp.status <= 0) {
			mark_broken(XSN_BROKEN_STATUS);
			break;
		}
		const bool first = pkt_.nr_frags == 0;
		u32 bad = XSN_RXF_GSO_PREFIX;

		if (!args_.sg)
			bad |= XSN_RXF_MORE_DATA | XSN_RXF_EXTRA_INFO;
		else if (!first)
			bad |= XSN_RXF_EXTRA_INFO;
		if (rsp.flags & bad) {
			mark_broken(XSN_BROKEN_FLAGS);
			break;
		}
		const u32 len = static_cast<u32>(rsp.status);

		if (rsp.offset + len > XSN_PAGE_SIZE) {
			mark_broken(XSN_BROKEN_LENGTH);
			break;
		}
		if (pkt_.nr_frags == XSN_MAX_SLOTS) {
			mark_broken(XSN_BROKEN_PACKET);
			break;
		}
		pkt_.frags[pkt_.nr_frags].data = static_cast<const u8 *>(req->buf) + rsp.offset;
		pkt_.frags[pkt_.nr_frags].len = len;
		pkt_.nr_frags++;
		pkt_.len += len;
		if (first) {
			pkt_.flags = rsp.flags;
			extra_next = rsp.flags & XSN_RXF_EXTRA_INFO;
		}
		more = rsp.flags & XSN_RXF_MORE_DATA;
	}
	*cons = idx;
	if (!broken())
		return true;
	recycle_held();
	return false;
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
		if (!take_packet(&cons, prod))
			break;
		done++;
		// Counted before delivery: whoever sees the packet sees it counted.
		bump(packets_, 1ULL);
		bump(bytes_, static_cast<u64>(pkt_.len));
		if (pkt_.gso_type != XSN_GSO_NONE)
			bump(gso_packets_, 1ULL);
		args_.deliver(args_.deliver_arg, &pkt_);
		recycle_held();
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
	s->gso_packets = read_once(gso_packets_);
	grants_.read(&s->grants, &s->grant_ends, &s->grant_ends_deferred, &s->grant_ops,
		     &s->grants_active);
	s->requests = read_once(requests_);
	s->refills = read_once(refills_);
	s->notifies = read_once(notifies_);
	s->polls = read_once(polls_);
	s->outstanding = xsn_ring_req_prod_pvt(ring_) - xsn_ring_rsp_cons(ring_);
	s->buffer_shortfalls = read_once(shortfalls_);
	s->broken = broken();
	cache_stats(&s->buffers, &s->reqs);
}

// Every buffer still posted or quarantined goes back to its cache (its grant
// ended first in per-request mode), then the caches go: the buffer cache's
// destructor ends the persistent grants.
void Rx::destroy(xsn_rx_stats *final)
{
	xen_slab_cache_stats buffers = {}, reqs = {};
	const bool report = final && ring_;

	release(report ? &buffers : nullptr, &reqs);
	if (report) {
		get_stats(final);
		final->buffers = buffers;
		final->reqs = reqs;
	}
	if (ring_)
		xsn_ring_detach(ring_);
	grants_.fini();
}

// ---- tx -------------------------------------------------------------------

constexpr u32 kTxFlags = XSN_TXF_CSUM_BLANK | XSN_TXF_DATA_VALIDATED;

class Tx : public Queue {
public:
	int init(const char *name, const xsn_tx_args *args);
	void destroy(xsn_tx_stats *final);
	int send(const xsn_frag *frags, u32 nr_frags, u32 flags, u32 gso_type, u32 gso_size);
	bool push();
	int poll(int budget);
	bool rearm();
	bool has_work() const;
	u32 space() const;
	void get_stats(xsn_tx_stats *s) const;

private:
	xsn_tx_args args_;
	xsn_txring *ring_;

	// Written under the caller's lock (bump()), read by anyone.
	u64 packets_, bytes_, errors_, dropped_, requests_, gso_packets_, notifies_, polls_, full_,
		shortfalls_;
};

int Tx::init(const char *name, const xsn_tx_args *args)
{
	args_ = *args;
	if (!args_.sring || !args_.ops || !args_.ops->grant || !args_.ops->end_grant ||
	    !args_.ops->notify ||
	    (args_.mode != XSN_GRANT_PER_REQUEST && args_.mode != XSN_GRANT_PERSISTENT))
		return -XSN_EINVAL;
	if (args_.gso_types & ~((1U << XSN_GSO_TCPV4) | (1U << XSN_GSO_TCPV6)) ||
	    (args_.gso_types && !args_.sg))
		return -XSN_EINVAL;
	ring_ = xsn_txring_attach(args_.sring, args_.start);
	if (!ring_)
		return -XSN_ENOMEM;
	ring_size_ = xsn_txring_size(ring_);
	if (ring_size_ == 0 || ring_size_ > kMaxRing) {
		ring_size_ = 0;
		return -XSN_EINVAL;
	}
	return init_queue(name, "-tx-buffers", "-tx-requests", args_.mode, args_.ops,
			  args_.ops_ctx, args_.reservation);
}

u32 Tx::space() const
{
	if (broken())
		return 0;
	return ring_size_ - (xsn_txring_req_prod_pvt(ring_) - xsn_txring_rsp_cons(ring_));
}

// The packet is copied into buffers that stay granted in the kept mode: the
// backend reads them (the grants are read-only) and answers each slot; the
// buffers go back to the cache at the responses and carry the next packets.
int Tx::send(const xsn_frag *frags, u32 nr_frags, u32 flags, u32 gso_type, u32 gso_size)
{
	u64 total = 0;

	for (u32 i = 0; i < nr_frags; i++)
		total += frags[i].len;
	if (total == 0 || total > (args_.sg ? XSN_TX_MAX_LEN : XSN_PAGE_SIZE))
		return -XSN_EMSGSIZE;
	if ((flags & ~kTxFlags) || broken())
		return -XSN_EINVAL;
	if (gso_type != XSN_GSO_NONE &&
	    (gso_type > XSN_GSO_TCPV6 || !(args_.gso_types & (1U << gso_type)) ||
	     gso_size == 0 || gso_size > 0xffff))
		return -XSN_EINVAL;
	const u32 len = static_cast<u32>(total);
	const u32 data_slots = static_cast<u32>((len + XSN_PAGE_SIZE - 1) / XSN_PAGE_SIZE);
	const u32 extras = gso_type != XSN_GSO_NONE ? 1 : 0;

	if (space() < data_slots + extras || nr_free_ids_ < data_slots) {
		bump(full_, 1ULL);
		return -XSN_ENOSPC;
	}
	void *bufs[XSN_MAX_SLOTS];
	void *reqs[XSN_MAX_SLOTS];
	u32 refs[XSN_MAX_SLOTS];
	u32 n = xen_slab_cache_get_bulk(buffers_, bufs, data_slots, false);
	u32 m = xen_slab_cache_get_bulk(reqs_, reqs, n, false);
	u32 granted = 0;

	if (m == data_slots)
		granted = grants_.take_bulk(bufs, refs, m);
	if (granted < data_slots) {
		// Per-request grants made so far end unused.
		if (!grants_.kept()) {
			for (u32 i = 0; i < granted; i++)
				grants_.end(refs[i], bufs[i]);
		}
		xen_slab_cache_put_bulk(buffers_, bufs, n, false);
		xen_slab_cache_put_bulk(reqs_, reqs, m, false);
		bump(shortfalls_, 1ULL);
		return -XSN_ENOMEM;
	}

	// Gather: every slot but the last is filled to the page.
	u32 slot = 0, room = XSN_PAGE_SIZE;
	for (u32 i = 0; i < nr_frags; i++) {
		const u8 *src = static_cast<const u8 *>(frags[i].data);
		u32 left = frags[i].len;

		while (left) {
			if (!room) {
				slot++;
				room = XSN_PAGE_SIZE;
			}
			const u32 chunk = min(left, room);

			xsn_copy(static_cast<u8 *>(bufs[slot]) + (XSN_PAGE_SIZE - room), src, chunk);
			src += chunk;
			left -= chunk;
			room -= chunk;
		}
	}

	for (u32 i = 0; i < data_slots; i++) {
		Request *req = static_cast<Request *>(reqs[i]);
		const bool last = i == data_slots - 1;
		u32 f = last ? 0 : XSN_TXF_MORE_DATA;
		u32 size = last ? len - i * static_cast<u32>(XSN_PAGE_SIZE) : XSN_PAGE_SIZE;

		req->buf = bufs[i];
		req->gref = refs[i];
		req->len = 0;
		req->extras = 0;
		if (i == 0) {
			// The first slot carries the whole packet's size and flags.
			req->len = static_cast<u16>(len);
			req->extras = static_cast<u16>(extras);
			f |= flags | (extras ? XSN_TXF_EXTRA_INFO : 0);
			size = len;
		}
		xsn_txring_post_request(ring_, post(req, xsn_txring_req_prod_pvt(ring_)), refs[i],
					static_cast<u16>(f), static_cast<u16>(size));
		if (i == 0 && extras)
			xsn_txring_post_gso(ring_, gso_type, gso_size);
	}
	bump(requests_, static_cast<u64>(data_slots + extras));
	if (extras)
		bump(gso_packets_, 1ULL);
	return 0;
}

bool Tx::push()
{
	if (!xsn_txring_push_requests(ring_))
		return false;
	bump(notifies_, 1ULL);
	args_.ops->notify(args_.ops_ctx);
	return true;
}

int Tx::poll(int budget)
{
	bump(polls_, 1ULL);
	if (broken() || budget <= 0)
		return 0;
	const u32 prod = xsn_txring_read_rsp_prod(ring_);
	u32 cons = xsn_txring_rsp_cons(ring_);
	const u32 outstanding = xsn_txring_req_prod_pvt(ring_) - cons;

	if (xsn_txring_rsp_prod_overflow(ring_, prod) || prod - cons > outstanding) {
		mark_broken(XSN_BROKEN_PROD_OVERFLOW);
		return 0;
	}
	xsn_read_barrier();

	int done = 0;
	while (cons != prod && done < budget) {
		xsn_txrsp rsp;

		xsn_txring_copy_response(ring_, cons, &rsp);
		cons++;
		Request *req = complete(rsp.id);

		if (!req) {
			mark_broken(XSN_BROKEN_ID);
			break;
		}
		done++;
		// The backend has answered, so it must have let go of the page.
		if (!end_request_grant(req))
			break;
		const bool head = req->len != 0;

		if (rsp.status == XSN_RSP_OKAY) {
			if (head) {
				bump(packets_, 1ULL);
				bump(bytes_, static_cast<u64>(req->len));
			}
		} else if (rsp.status == XSN_RSP_ERROR) {
			if (head)
				bump(errors_, 1ULL);
		} else if (rsp.status == XSN_RSP_DROPPED) {
			if (head)
				bump(dropped_, 1ULL);
		} else {
			recycle_in_poll(req);
			mark_broken(XSN_BROKEN_TX_STATUS);
			break;
		}
		// The responses of the packet's extra-info slots follow its first
		// slot's response at once (netback writes them together).
		const u32 extras = req->extras;

		recycle_in_poll(req);
		for (u32 i = 0; i < extras; i++) {
			if (cons == prod) {
				mark_broken(XSN_BROKEN_TX_STATUS);
				break;
			}
			xsn_txring_copy_response(ring_, cons, &rsp);
			cons++;
			if (rsp.status != XSN_RSP_NULL) {
				mark_broken(XSN_BROKEN_TX_STATUS);
				break;
			}
		}
		if (broken())
			break;
	}
	xsn_txring_set_rsp_cons(ring_, cons);
	return done;
}

bool Tx::rearm()
{
	if (broken())
		return false;
	return xsn_txring_final_check(ring_) != 0;
}

bool Tx::has_work() const
{
	return !broken() && xsn_txring_has_responses(ring_);
}

void Tx::get_stats(xsn_tx_stats *s) const
{
	*s = xsn_tx_stats{};
	s->packets = read_once(packets_);
	s->bytes = read_once(bytes_);
	s->errors = read_once(errors_);
	s->dropped = read_once(dropped_);
	grants_.read(&s->grants, &s->grant_ends, &s->grant_ends_deferred, &s->grant_ops,
		     &s->grants_active);
	s->requests = read_once(requests_);
	s->gso_packets = read_once(gso_packets_);
	s->notifies = read_once(notifies_);
	s->polls = read_once(polls_);
	s->outstanding = xsn_txring_req_prod_pvt(ring_) - xsn_txring_rsp_cons(ring_);
	s->ring_full = read_once(full_);
	s->buffer_shortfalls = read_once(shortfalls_);
	s->broken = broken();
	cache_stats(&s->buffers, &s->reqs);
}

void Tx::destroy(xsn_tx_stats *final)
{
	xen_slab_cache_stats buffers = {}, reqs = {};
	const bool report = final && ring_;

	release(report ? &buffers : nullptr, &reqs);
	if (report) {
		get_stats(final);
		final->buffers = buffers;
		final->reqs = reqs;
	}
	if (ring_)
		xsn_txring_detach(ring_);
	grants_.fini();
}

} // namespace xsn

using xsn::Rx;
using xsn::Tx;

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

extern "C" int xsn_tx_create(const char *name, const xsn_tx_args *args, xsn_tx **out)
{
	void *mem = xsn_zalloc(sizeof(Tx));

	*out = nullptr;
	if (!mem)
		return -XSN_ENOMEM;
	Tx *tx = new (mem) Tx();
	const int err = tx->init(name, args);

	if (err) {
		tx->destroy(nullptr);
		xsn_free(mem);
		return err;
	}
	*out = reinterpret_cast<xsn_tx *>(tx);
	return 0;
}

extern "C" void xsn_tx_destroy(xsn_tx *tx, xsn_tx_stats *final)
{
	if (!tx)
		return;
	reinterpret_cast<Tx *>(tx)->destroy(final);
	xsn_free(tx);
}

extern "C" int xsn_tx_send_packet(xsn_tx *tx, const xsn_frag *frags, unsigned int nr_frags,
				  unsigned int flags, unsigned int gso_type, unsigned int gso_size)
{
	return reinterpret_cast<Tx *>(tx)->send(frags, nr_frags, flags, gso_type, gso_size);
}

extern "C" int xsn_tx_send(xsn_tx *tx, const void *data, unsigned int len, unsigned int flags)
{
	const xsn_frag frag = { data, len };

	return reinterpret_cast<Tx *>(tx)->send(&frag, 1, flags, XSN_GSO_NONE, 0);
}

extern "C" bool xsn_tx_push(xsn_tx *tx)
{
	return reinterpret_cast<Tx *>(tx)->push();
}

extern "C" int xsn_tx_poll(xsn_tx *tx, int budget)
{
	return reinterpret_cast<Tx *>(tx)->poll(budget);
}

extern "C" bool xsn_tx_rearm(xsn_tx *tx)
{
	return reinterpret_cast<Tx *>(tx)->rearm();
}

extern "C" bool xsn_tx_has_work(xsn_tx *tx)
{
	return reinterpret_cast<Tx *>(tx)->has_work();
}

extern "C" unsigned int xsn_tx_space(xsn_tx *tx)
{
	return reinterpret_cast<Tx *>(tx)->space();
}

extern "C" xsn_broken xsn_tx_broken(xsn_tx *tx)
{
	return reinterpret_cast<Tx *>(tx)->broken();
}

extern "C" void xsn_tx_get_stats(xsn_tx *tx, xsn_tx_stats *stats)
{
	reinterpret_cast<Tx *>(tx)->get_stats(stats);
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
	case XSN_BROKEN_TX_STATUS:
		return "bad-tx-status";
	case XSN_BROKEN_PACKET:
		return "bad-packet";
	}
	return "unknown";
}
