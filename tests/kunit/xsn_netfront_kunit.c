// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the xen_slab_netfront rx and tx rings without Xen: each
 * runs against a test backend on the same shared ring page, with a fake
 * grant table (reference -> page) and direct copies.
 */
#include <kunit/test.h>
#include <linux/bottom_half.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/if_ether.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <xen/interface/io/netif.h>

#include "xen_slab_netfront.h"
#include "xsn_test_backend.h"

#define FAKE_REFS 4096
#define FAKE_FIRST_REF 8	/* Xen reserves the first entries */
#define RING 256		/* netif rx ring of one page */

struct fake {
	struct kunit *test;
	void *pages[FAKE_REFS];		/* granted page, NULL: free */
	bool mapped[FAKE_REFS];		/* the backend holds the grant */
	bool leaked[FAKE_REFS];		/* ended while mapped: never reused */
	unsigned int next_ref;
	unsigned int active;
	unsigned int grants;
	unsigned int ends;
	unsigned int deferred;
	unsigned int wrong_ends;	/* end of a reference that was not granted */
	bool grant_fails;		/* the grant table is out of references */
	unsigned int notifies;		/* frontend -> backend */
	unsigned int kicks;		/* backend -> frontend */
	struct xsn_tb tb;
	void *sring;
	struct xsn_rx *rx;
	u64 expect_seq;
	u64 delivered;
	u64 bad_payloads;
	/* Packets over several slots (sg_flow): what the last one looked like. */
	bool sg;
	u8 *gather;
	unsigned int last_frags;
	unsigned int last_gso_type;
	unsigned int last_gso_size;
	unsigned int last_flags;
};

/* Byte @i of multi-slot packet @seq. */
static u8 sg_byte(u64 seq, unsigned int i)
{
	return (u8)(seq * 13 + i * 5 + (i >> 12));
}

static int fake_grant(void *ctx, void *page, unsigned int *ref)
{
	struct fake *f = ctx;
	unsigned int i, r;

	if (f->grant_fails)
		return -ENOSPC;
	for (i = 0; i < FAKE_REFS - FAKE_FIRST_REF; i++) {
		r = FAKE_FIRST_REF + (f->next_ref + i) % (FAKE_REFS - FAKE_FIRST_REF);
		if (!f->pages[r] && !f->leaked[r]) {
			f->pages[r] = page;
			f->next_ref = r + 1 - FAKE_FIRST_REF;
			f->active++;
			f->grants++;
			*ref = r;
			return 0;
		}
	}
	return -ENOSPC;
}

static int fake_end_grant(void *ctx, unsigned int ref, void *page)
{
	struct fake *f = ctx;

	if (ref >= FAKE_REFS || f->pages[ref] != page) {
		f->wrong_ends++;
		return 0;
	}
	f->pages[ref] = NULL;
	f->active--;
	if (f->mapped[ref]) {
		f->leaked[ref] = true;
		f->deferred++;
		return 1;
	}
	f->ends++;
	return 0;
}

/*
 * The queues' polls, in the context they have in a driver: bottom halves
 * off (a NAPI poll), where their puts take xen_slab_cache_put_direct().
 */
static int rx_poll(struct xsn_rx *rx, int budget)
{
	int done;

	local_bh_disable();
	done = xsn_rx_poll(rx, budget);
	local_bh_enable();
	return done;
}

static int tx_poll(struct xsn_tx *tx, int budget)
{
	int done;

	local_bh_disable();
	done = xsn_tx_poll(tx, budget);
	local_bh_enable();
	return done;
}

static void fake_notify(void *ctx)
{
	struct fake *f = ctx;

	f->notifies++;
}

static const struct xsn_transport_ops fake_ops = {
	.grant = fake_grant,
	.end_grant = fake_end_grant,
	.notify = fake_notify,
};

/* The backend's copy: into whatever page the reference grants, if any. */
static void fake_copy(struct xsn_tb *tb, struct xsn_tb_copy *ops, unsigned int n)
{
	struct fake *f = tb->ctx;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct xsn_tb_copy *op = &ops[i];

		if (op->gref >= FAKE_REFS || !f->pages[op->gref] ||
		    op->offset + op->len > PAGE_SIZE) {
			op->status = -EINVAL;
			continue;
		}
		memcpy((u8 *)f->pages[op->gref] + op->offset, op->src, op->len);
	}
}

static void fake_kick(struct xsn_tb *tb)
{
	struct fake *f = tb->ctx;

	f->kicks++;
}

static void fake_deliver(void *arg, const struct xsn_packet *pkt)
{
	struct fake *f = arg;
	unsigned int i, off = 0;

	if (f->sg) {
		for (i = 0; i < pkt->nr_frags; i++) {
			memcpy(f->gather + off, pkt->frags[i].data, pkt->frags[i].len);
			off += pkt->frags[i].len;
		}
		for (i = 0; i < off; i++)
			if (f->gather[i] != sg_byte(f->expect_seq, i))
				break;
		if (off != pkt->len || i != off)
			f->bad_payloads++;
		f->last_frags = pkt->nr_frags;
		f->last_gso_type = pkt->gso_type;
		f->last_gso_size = pkt->gso_size;
		f->last_flags = pkt->flags;
		f->expect_seq++;
		f->delivered++;
		return;
	}

	if (pkt->nr_frags != 1 || pkt->len != pkt->frags[0].len ||
	    !xsn_tb_verify(pkt->frags[0].data, pkt->len, f->expect_seq))
		f->bad_payloads++;
	f->expect_seq++;
	f->delivered++;
}

static struct fake *fake_connect_sg(struct kunit *test, enum xsn_grant_mode mode,
				    unsigned int start, unsigned int threshold, bool sg)
{
	struct xsn_rx_args args = {
		.mode = mode,
		.start = start,
		.refill_threshold = threshold,
		.sg = sg,
		.ops = &fake_ops,
		.deliver = fake_deliver,
	};
	struct fake *f;
	unsigned int i;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->test = test;
	f->sring = (void *)get_zeroed_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->sring);
	for (i = 0; i < XSN_TB_BATCH; i++) {
		f->tb.staging[i] = (void *)__get_free_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f->tb.staging[i]);
	}
	xsn_sring_init(f->sring, start);
	xsn_tb_attach(&f->tb, f->sring, start);
	f->tb.copy = fake_copy;
	f->tb.notify = fake_kick;
	f->tb.ctx = f;
	args.sring = f->sring;
	args.ops_ctx = f;
	args.deliver_arg = f;
	if (sg) {
		f->sg = true;
		f->gather = kunit_kzalloc(test, XSN_MAX_SLOTS * PAGE_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f->gather);
	}
	KUNIT_ASSERT_EQ(test, xsn_rx_create("xsn-kunit", &args, &f->rx), 0);
	return f;
}

static struct fake *fake_connect(struct kunit *test, enum xsn_grant_mode mode,
				 unsigned int start, unsigned int threshold)
{
	return fake_connect_sg(test, mode, start, threshold, false);
}

static struct xsn_rx_stats stats(struct fake *f)
{
	struct xsn_rx_stats s;

	xsn_rx_get_stats(f->rx, &s);
	return s;
}

/* The frontend's NAPI loop: bounded batches until it re-arms with nothing left. */
static void front_poll(struct fake *f, int budget)
{
	unsigned int rounds = 0;
	int done;

	do {
		done = rx_poll(f->rx, budget);
		KUNIT_ASSERT_LE(f->test, done, budget);
		KUNIT_ASSERT_LT(f->test, ++rounds, 100000u);
	} while (done == budget || xsn_rx_rearm(f->rx));
}

/* @packets more packets from the backend, @chunk at a time, polled with @budget. */
static void pump(struct fake *f, u64 packets, unsigned int chunk, int budget)
{
	u64 target = f->tb.answered + packets;

	while (f->tb.answered < target) {
		xsn_tb_take(&f->tb, XSN_TB_HELD);
		if (!xsn_tb_answer(&f->tb, min_t(u64, chunk, target - f->tb.answered)))
			break;
		front_poll(f, budget);
	}
	KUNIT_EXPECT_EQ(f->test, f->tb.answered, target);
}

/* Teardown; checks that every grant ended and every object went back. */
static void fake_disconnect(struct fake *f, struct xsn_rx_stats *final)
{
	struct kunit *test = f->test;
	unsigned int i;

	xsn_rx_destroy(f->rx, final);
	f->rx = NULL;
	KUNIT_EXPECT_EQ(test, f->active, 0u);
	KUNIT_EXPECT_EQ(test, f->wrong_ends, 0u);
	KUNIT_EXPECT_EQ(test, final->grants_active, 0ULL);
	KUNIT_EXPECT_EQ(test, final->grants, (u64)f->grants);
	KUNIT_EXPECT_EQ(test, final->grant_ends + final->grant_ends_deferred,
			(u64)(f->ends + f->deferred));
	KUNIT_EXPECT_EQ(test, final->buffers.in_use, 0ULL);
	KUNIT_EXPECT_EQ(test, final->reqs.in_use, 0ULL);
	KUNIT_EXPECT_EQ(test, final->buffers.bad_puts, 0ULL);
	KUNIT_EXPECT_EQ(test, final->reqs.bad_puts, 0ULL);
	for (i = 0; i < XSN_TB_BATCH; i++)
		free_page((unsigned long)f->tb.staging[i]);
	free_page((unsigned long)f->sring);
}

static void normal_flow(struct kunit *test, enum xsn_grant_mode mode, unsigned int start)
{
	const u64 n = 6400;	/* whole refill batches: the ring ends full */
	struct xsn_rx_stats s, final;
	u64 half_grant_ops, half_ctor_calls;
	struct fake *f;

	/*
	 * One CPU for the whole run: objects left in another CPU's magazine
	 * would make the cache construct more, and the persistent mode's
	 * steady state below is exact.
	 */
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id())), 0);
	f = fake_connect(test, mode, start, 0);
	xsn_rx_refill(f->rx);
	s = stats(f);
	KUNIT_EXPECT_EQ(test, s.outstanding, (u64)RING);
	KUNIT_EXPECT_EQ(test, s.requests, (u64)RING);
	KUNIT_EXPECT_EQ(test, f->notifies, 1u);

	pump(f, n / 2, 64, 64);
	s = stats(f);
	half_grant_ops = s.grant_ops;
	half_ctor_calls = s.buffers.ctor_calls;
	pump(f, n / 2, 64, 64);
	s = stats(f);
	KUNIT_EXPECT_EQ(test, f->delivered, n);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
	KUNIT_EXPECT_EQ(test, f->tb.copy_errors, 0ULL);
	KUNIT_EXPECT_FALSE(test, f->tb.overflow);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)XSN_OK);
	KUNIT_EXPECT_EQ(test, s.packets, n);
	KUNIT_EXPECT_EQ(test, s.bytes, f->tb.bytes);
	KUNIT_EXPECT_EQ(test, s.requests, n + RING);
	KUNIT_EXPECT_EQ(test, s.outstanding, (u64)RING);
	KUNIT_EXPECT_EQ(test, s.buffers.in_use, (u64)RING);
	KUNIT_EXPECT_EQ(test, s.reqs.in_use, (u64)RING);
	if (mode == XSN_GRANT_PER_REQUEST) {
		/* A grant at refill and an end at the response, per packet. */
		KUNIT_EXPECT_EQ(test, s.grants, n + RING);
		KUNIT_EXPECT_EQ(test, s.grant_ends, n);
		KUNIT_EXPECT_EQ(test, s.grants_active, (u64)RING);
	} else {
		/*
		 * Each buffer slot was granted once, by the ctor (never more
		 * grants than slots), and recycled buffers cost nothing: the
		 * second half of the traffic constructs and grants nothing.
		 */
		KUNIT_EXPECT_EQ(test, s.grants, s.buffers.ctor_calls);
		KUNIT_EXPECT_EQ(test, s.grant_ends, s.buffers.dtor_calls);
		KUNIT_EXPECT_LE(test, s.grants, s.buffers.count);
		KUNIT_EXPECT_EQ(test, s.buffers.ctor_calls, half_ctor_calls);
		KUNIT_EXPECT_EQ(test, s.grant_ops, half_grant_ops);
	}
	KUNIT_EXPECT_EQ(test, s.grants_active, (u64)f->active);

	fake_disconnect(f, &final);
	KUNIT_EXPECT_EQ(test, final.grant_ends_deferred, 0ULL);
	if (mode == XSN_GRANT_PER_REQUEST)
		KUNIT_EXPECT_EQ(test, final.grant_ends, n + RING);
	else
		KUNIT_EXPECT_EQ(test, final.grant_ends, final.grants);
}

static void xsn_normal_flow_per_request(struct kunit *test)
{
	normal_flow(test, XSN_GRANT_PER_REQUEST, 0);
}

static void xsn_normal_flow_persistent(struct kunit *test)
{
	normal_flow(test, XSN_GRANT_PERSISTENT, 0);
}

/* Both ends attached just below 2^32: indices wrap during the run. */
static void xsn_index_wrap(struct kunit *test)
{
	const unsigned int start = 0xffffffffu - 300;
	unsigned int m;

	for (m = XSN_GRANT_PER_REQUEST; m <= XSN_GRANT_PERSISTENT; m++) {
		struct fake *f;
		struct xsn_rx_stats final;
		const struct xen_netif_rx_sring *s;

		normal_flow(test, m, start);
		/* And once more to look at the indices afterwards. */
		f = fake_connect(test, m, start, 0);
		xsn_rx_refill(f->rx);
		pump(f, 1000, 64, 64);
		s = f->sring;
		KUNIT_EXPECT_LT(test, s->req_prod, start);
		KUNIT_EXPECT_LT(test, s->rsp_prod, start);
		KUNIT_EXPECT_EQ(test, s->rsp_prod, start + 1000);
		KUNIT_EXPECT_EQ(test, f->delivered, 1000ULL);
		KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
		KUNIT_EXPECT_EQ(test, xsn_rx_broken(f->rx), XSN_OK);
		fake_disconnect(f, &final);
	}
}

/*
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: the backend gets an event only when
 * its req_event lies among the requests just pushed; the frontend gets one
 * only when its rsp_event does.
 */
static void xsn_notify_suppression(struct kunit *test)
{
	struct xsn_rx_stats final;
	struct fake *f = fake_connect(test, XSN_GRANT_PER_REQUEST, 0, 32);
	unsigned int notifies;

	/* SHARED_RING_INIT asks for an event on the first request. */
	xsn_rx_refill(f->rx);
	KUNIT_EXPECT_EQ(test, f->notifies, 1u);

	/* The backend works without asking again: refills cause no event. */
	KUNIT_EXPECT_EQ(test, xsn_tb_take(&f->tb, 64), 64u);
	KUNIT_EXPECT_EQ(test, xsn_tb_answer(&f->tb, 64), 64u);
	front_poll(f, 64);
	KUNIT_EXPECT_EQ(test, f->delivered, 64ULL);
	KUNIT_EXPECT_EQ(test, stats(f).refills, 2ULL);
	KUNIT_EXPECT_EQ(test, f->notifies, 1u);

	/* Below the refill threshold nothing is pushed at all. */
	xsn_tb_take(&f->tb, 16);
	xsn_tb_answer(&f->tb, 16);
	front_poll(f, 64);
	KUNIT_EXPECT_EQ(test, stats(f).refills, 2ULL);
	KUNIT_EXPECT_EQ(test, stats(f).outstanding, (u64)RING - 16);

	/* The backend consumes everything and asks for an event. */
	xsn_tb_take(&f->tb, XSN_TB_HELD);
	KUNIT_EXPECT_FALSE(test, xsn_tb_final_check(&f->tb));
	notifies = f->notifies;
	xsn_tb_answer(&f->tb, 32);
	front_poll(f, 64);
	KUNIT_EXPECT_EQ(test, stats(f).refills, 3ULL);
	KUNIT_EXPECT_EQ(test, f->notifies, notifies + 1);

	/* The frontend re-armed: one response, one kick; more without re-arm: none. */
	xsn_tb_take(&f->tb, XSN_TB_HELD);
	f->kicks = 0;
	xsn_tb_answer(&f->tb, 1);
	KUNIT_EXPECT_EQ(test, f->kicks, 1u);
	xsn_tb_answer(&f->tb, 1);
	KUNIT_EXPECT_EQ(test, f->kicks, 1u);
	front_poll(f, 64);
	xsn_tb_answer(&f->tb, 1);
	KUNIT_EXPECT_EQ(test, f->kicks, 2u);
	front_poll(f, 64);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
	fake_disconnect(f, &final);
}

/* NAPI-like: a poll never handles more than its budget. */
static void xsn_bounded_batches(struct kunit *test)
{
	struct xsn_rx_stats final;
	struct fake *f = fake_connect(test, XSN_GRANT_PERSISTENT, 0, 0);

	xsn_rx_refill(f->rx);
	xsn_tb_take(&f->tb, XSN_TB_HELD);
	KUNIT_EXPECT_EQ(test, xsn_tb_answer(&f->tb, 200), 200u);
	KUNIT_EXPECT_TRUE(test, xsn_rx_has_work(f->rx));
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 16), 16);
	KUNIT_EXPECT_EQ(test, f->delivered, 16ULL);
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 100), 100);
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 100), 84);
	KUNIT_EXPECT_FALSE(test, xsn_rx_has_work(f->rx));
	KUNIT_EXPECT_FALSE(test, xsn_rx_rearm(f->rx));
	KUNIT_EXPECT_EQ(test, f->delivered, 200ULL);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
	fake_disconnect(f, &final);
}

enum hostile {
	H_UNKNOWN_ID,
	H_REPEATED_ID,
	H_NEGATIVE_STATUS,
	H_ZERO_STATUS,
	H_PAST_PAGE,
	H_BIG_OFFSET,
	H_FLAGS,
	H_PROD_JUMP,
	H_GRANT_KEPT,
};

/*
 * Answers the oldest held request with a response of the test's making (its
 * id may be another): that request is off the held queue, so the backend's
 * next regular answer carries a fresh, valid id.
 */
static void put_response(struct fake *f, u16 id, u16 offset, u16 flags, s16 status)
{
	struct xen_netif_rx_response *rsp = RING_GET_RESPONSE(&f->tb.back, f->tb.back.rsp_prod_pvt);

	KUNIT_ASSERT_GT(f->test, f->tb.held_count, 0u);
	f->tb.held_head = (f->tb.held_head + 1) % XSN_TB_HELD;
	f->tb.held_count--;
	rsp->id = id;
	rsp->offset = offset;
	rsp->flags = flags;
	rsp->status = status;
	f->tb.back.rsp_prod_pvt++;
	RING_PUSH_RESPONSES(&f->tb.back);
}

static void hostile(struct kunit *test, enum hostile what, enum xsn_grant_mode mode,
		    enum xsn_broken expect)
{
	struct xsn_rx_stats s, final;
	struct fake *f = fake_connect(test, mode, 0, 0);
	struct xen_netif_rx_sring *sring = f->sring;
	u64 outstanding, consumed;
	u16 id;

	xsn_rx_refill(f->rx);
	pump(f, 10, 10, 64);
	KUNIT_ASSERT_EQ(test, f->delivered, 10ULL);
	xsn_tb_take(&f->tb, XSN_TB_HELD);
	id = f->tb.held[f->tb.held_head].id;
	/* 10 slots free, below the refill threshold: nothing is posted below. */
	outstanding = stats(f).outstanding;
	KUNIT_ASSERT_EQ(test, outstanding, (u64)RING - 10);

	switch (what) {
	case H_UNKNOWN_ID:
		put_response(f, RING + 3, 0, 0, 100);
		break;
	case H_REPEATED_ID:
		xsn_tb_answer(&f->tb, 1);
		put_response(f, id, 0, 0, 100);
		break;
	case H_NEGATIVE_STATUS:
		put_response(f, id, 0, 0, XEN_NETIF_RSP_ERROR);
		break;
	case H_ZERO_STATUS:
		put_response(f, id, 0, 0, 0);
		break;
	case H_PAST_PAGE:
		put_response(f, id, 0, 0, PAGE_SIZE + 1);
		break;
	case H_BIG_OFFSET:
		put_response(f, id, PAGE_SIZE - 10, 0, 11);
		break;
	case H_FLAGS:
		put_response(f, id, 0, XEN_NETRXF_more_data, 100);
		break;
	case H_PROD_JUMP:
		WRITE_ONCE(sring->rsp_prod, f->tb.back.rsp_prod_pvt + RING + 1);
		break;
	case H_GRANT_KEPT:
		/* The backend keeps the buffer's grant (mapped) as it answers. */
		f->mapped[f->tb.held[f->tb.held_head].gref] = true;
		xsn_tb_answer(&f->tb, 1);
		break;
	}
	/*
	 * A valid response (a fresh id) after the bad one must not be
	 * consumed either: consuming stops right after the bad response
	 * (before it, for a jump of rsp_prod).
	 */
	if (what != H_PROD_JUMP)
		xsn_tb_answer(&f->tb, 1);
	consumed = what == H_PROD_JUMP ? 0 : what == H_REPEATED_ID ? 2 : 1;
	front_poll(f, 64);
	s = stats(f);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)expect);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
	KUNIT_EXPECT_EQ(test, f->delivered, what == H_REPEATED_ID ? 11ULL : 10ULL);
	KUNIT_EXPECT_EQ(test, s.outstanding, outstanding - consumed);
	/* Broken stays broken: nothing more is consumed or posted. */
	xsn_tb_answer(&f->tb, 5);
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 64), 0);
	KUNIT_EXPECT_FALSE(test, xsn_rx_rearm(f->rx));
	KUNIT_EXPECT_FALSE(test, xsn_rx_has_work(f->rx));
	KUNIT_EXPECT_EQ(test, stats(f).packets, f->delivered);
	KUNIT_EXPECT_EQ(test, stats(f).requests, s.requests);

	fake_disconnect(f, &final);
	KUNIT_EXPECT_EQ(test, final.grant_ends_deferred, what == H_GRANT_KEPT ? 1ULL : 0ULL);
	KUNIT_EXPECT_EQ(test, (u64)f->deferred, final.grant_ends_deferred);
}

static void xsn_hostile_unknown_id(struct kunit *test)
{
	hostile(test, H_UNKNOWN_ID, XSN_GRANT_PER_REQUEST, XSN_BROKEN_ID);
	hostile(test, H_UNKNOWN_ID, XSN_GRANT_PERSISTENT, XSN_BROKEN_ID);
}

static void xsn_hostile_repeated_id(struct kunit *test)
{
	hostile(test, H_REPEATED_ID, XSN_GRANT_PER_REQUEST, XSN_BROKEN_ID);
	hostile(test, H_REPEATED_ID, XSN_GRANT_PERSISTENT, XSN_BROKEN_ID);
}

static void xsn_hostile_status(struct kunit *test)
{
	hostile(test, H_NEGATIVE_STATUS, XSN_GRANT_PER_REQUEST, XSN_BROKEN_STATUS);
	hostile(test, H_NEGATIVE_STATUS, XSN_GRANT_PERSISTENT, XSN_BROKEN_STATUS);
	hostile(test, H_ZERO_STATUS, XSN_GRANT_PER_REQUEST, XSN_BROKEN_STATUS);
	hostile(test, H_ZERO_STATUS, XSN_GRANT_PERSISTENT, XSN_BROKEN_STATUS);
}

static void xsn_hostile_length(struct kunit *test)
{
	hostile(test, H_PAST_PAGE, XSN_GRANT_PER_REQUEST, XSN_BROKEN_LENGTH);
	hostile(test, H_PAST_PAGE, XSN_GRANT_PERSISTENT, XSN_BROKEN_LENGTH);
	hostile(test, H_BIG_OFFSET, XSN_GRANT_PER_REQUEST, XSN_BROKEN_LENGTH);
	hostile(test, H_BIG_OFFSET, XSN_GRANT_PERSISTENT, XSN_BROKEN_LENGTH);
}

static void xsn_hostile_flags(struct kunit *test)
{
	hostile(test, H_FLAGS, XSN_GRANT_PER_REQUEST, XSN_BROKEN_FLAGS);
	hostile(test, H_FLAGS, XSN_GRANT_PERSISTENT, XSN_BROKEN_FLAGS);
}

static void xsn_hostile_prod_jump(struct kunit *test)
{
	hostile(test, H_PROD_JUMP, XSN_GRANT_PER_REQUEST, XSN_BROKEN_PROD_OVERFLOW);
	hostile(test, H_PROD_JUMP, XSN_GRANT_PERSISTENT, XSN_BROKEN_PROD_OVERFLOW);
}

/*
 * Per-request mode only: a persistent buffer stays granted across responses,
 * so a backend keeping it mapped is not a protocol error there (its end is
 * deferred at teardown instead: see xsn_teardown_backend_gone).
 */
static void xsn_hostile_grant_kept(struct kunit *test)
{
	hostile(test, H_GRANT_KEPT, XSN_GRANT_PER_REQUEST, XSN_BROKEN_GRANT_BUSY);
}

/* rsp_prod ahead of the requests outstanding, though within the ring size. */
static void xsn_hostile_prod_ahead(struct kunit *test)
{
	struct xsn_rx_stats final;
	/* A threshold of the whole ring: no refill until the ring is empty. */
	struct fake *f = fake_connect(test, XSN_GRANT_PERSISTENT, 0, RING);
	struct xen_netif_rx_sring *sring = f->sring;

	xsn_rx_refill(f->rx);
	xsn_tb_take(&f->tb, XSN_TB_HELD);
	xsn_tb_answer(&f->tb, 100);
	front_poll(f, 64);
	KUNIT_ASSERT_EQ(test, f->delivered, 100ULL);
	KUNIT_ASSERT_EQ(test, stats(f).outstanding, (u64)RING - 100);
	/* 200 responses claimed: fewer than RING, more than the 156 outstanding. */
	WRITE_ONCE(sring->rsp_prod, sring->rsp_prod + 200);
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 64), 0);
	KUNIT_EXPECT_EQ(test, xsn_rx_broken(f->rx), XSN_BROKEN_PROD_OVERFLOW);
	KUNIT_EXPECT_EQ(test, f->delivered, 100ULL);
	fake_disconnect(f, &final);
}

/* Teardown with requests posted, taken and answered but not consumed. */
static void teardown_in_flight(struct kunit *test, enum xsn_grant_mode mode)
{
	struct xsn_rx_stats final;
	struct fake *f = fake_connect(test, mode, 0, 0);

	xsn_rx_refill(f->rx);
	pump(f, 320, 64, 64);
	xsn_tb_take(&f->tb, 100);
	xsn_tb_answer(&f->tb, 50);
	KUNIT_EXPECT_TRUE(test, xsn_rx_has_work(f->rx));
	KUNIT_EXPECT_EQ(test, stats(f).outstanding, (u64)RING);
	fake_disconnect(f, &final);
	KUNIT_EXPECT_EQ(test, final.grant_ends_deferred, 0ULL);
	KUNIT_EXPECT_EQ(test, f->delivered, 320ULL);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
}

static void xsn_teardown_in_flight(struct kunit *test)
{
	teardown_in_flight(test, XSN_GRANT_PER_REQUEST);
	teardown_in_flight(test, XSN_GRANT_PERSISTENT);
}

/*
 * The backend vanished holding every grant: teardown still ends each one,
 * deferred.  Per-request mode: the grants of the requests outstanding;
 * persistent mode: the grant of every buffer the cache holds.
 */
static void teardown_backend_gone(struct kunit *test, enum xsn_grant_mode mode)
{
	struct xsn_rx_stats s, final;
	struct fake *f = fake_connect(test, mode, 0, 0);
	unsigned int i, mapped = 0;

	xsn_rx_refill(f->rx);
	pump(f, 100, 64, 64);
	s = stats(f);
	KUNIT_EXPECT_GT(test, s.outstanding, 0ULL);
	for (i = 0; i < FAKE_REFS; i++) {
		f->mapped[i] = f->pages[i] != NULL;
		mapped += f->mapped[i];
	}
	if (mode == XSN_GRANT_PER_REQUEST)
		KUNIT_EXPECT_EQ(test, (u64)mapped, s.outstanding);
	else
		KUNIT_EXPECT_EQ(test, (u64)mapped, s.grants_active);
	KUNIT_EXPECT_GE(test, (u64)mapped, s.outstanding);
	fake_disconnect(f, &final);
	KUNIT_EXPECT_EQ(test, final.grant_ends_deferred, (u64)mapped);
	KUNIT_EXPECT_EQ(test, (u64)f->deferred, (u64)mapped);
}

static void xsn_teardown_backend_gone(struct kunit *test)
{
	teardown_backend_gone(test, XSN_GRANT_PER_REQUEST);
	teardown_backend_gone(test, XSN_GRANT_PERSISTENT);
}

/*
 * The grant table runs out while the backend answers everything: the ring
 * drains, no request is posted, so no event would ever come.  The queue
 * says so (xsn_rx_starved(), on which the Xen transport arms its refill
 * timer), and the retry, once grants work again, gets rx going.
 */
static void xsn_refill_retry(struct kunit *test)
{
	struct xsn_rx_stats s, final;
	struct fake *f = fake_connect(test, XSN_GRANT_PER_REQUEST, 0, 0);
	u64 requests;

	xsn_rx_refill(f->rx);
	pump(f, 64, 64, 64);
	KUNIT_EXPECT_FALSE(test, xsn_rx_starved(f->rx));

	f->grant_fails = true;
	xsn_tb_take(&f->tb, XSN_TB_HELD);
	KUNIT_EXPECT_EQ(test, xsn_tb_answer(&f->tb, XSN_TB_HELD), (unsigned int)RING);
	front_poll(f, 64);
	s = stats(f);
	KUNIT_EXPECT_EQ(test, f->delivered, 64ULL + RING);
	KUNIT_EXPECT_EQ(test, s.outstanding, 0ULL);
	KUNIT_EXPECT_GT(test, s.buffer_shortfalls, 0ULL);
	KUNIT_EXPECT_TRUE(test, xsn_rx_starved(f->rx));
	/* A retry while the grants still fail changes nothing. */
	requests = s.requests;
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 64), 0);
	KUNIT_EXPECT_EQ(test, stats(f).requests, requests);
	KUNIT_EXPECT_TRUE(test, xsn_rx_starved(f->rx));

	/* The retry after the grant table recovered posts the whole ring. */
	f->grant_fails = false;
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 64), 0);
	KUNIT_EXPECT_EQ(test, stats(f).outstanding, (u64)RING);
	KUNIT_EXPECT_FALSE(test, xsn_rx_starved(f->rx));
	pump(f, 640, 64, 64);
	KUNIT_EXPECT_EQ(test, f->delivered, 64ULL + RING + 640);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
	KUNIT_EXPECT_EQ(test, xsn_rx_broken(f->rx), XSN_OK);
	fake_disconnect(f, &final);
}

/*
 * After traffic and monitor passes both caches are back to their reservation.
 * On one CPU: if the test thread moved while it pumped, requests cached in
 * the first CPU's magazine would send the second CPU's gets to a new slab,
 * the ring's 256 requests in use could end up spread over two slabs, and no
 * pass frees a slab with objects in use (seen on 7.3 with 4 vCPUs).
 */
static void back_to_reservation(struct kunit *test, enum xsn_grant_mode mode)
{
	struct xsn_rx_stats s, final;
	struct fake *f;
	unsigned int pass;
	cpumask_var_t saved;

	KUNIT_ASSERT_TRUE(test, alloc_cpumask_var(&saved, GFP_KERNEL));
	cpumask_copy(saved, current->cpus_ptr);
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id())), 0);
	f = fake_connect(test, mode, 0, 0);

	xsn_rx_refill(f->rx);
	pump(f, 3200, 64, 64);
	for (pass = 0; pass < 10; pass++) {
		xsn_rx_trim(f->rx);
		s = stats(f);
		if (s.buffers.count == s.buffers.reservation && s.reqs.count == s.reqs.reservation)
			break;
	}
	KUNIT_EXPECT_EQ(test, s.buffers.count, s.buffers.reservation);
	KUNIT_EXPECT_EQ(test, s.reqs.count, s.reqs.reservation);
	KUNIT_EXPECT_EQ(test, s.buffers.in_use, s.outstanding);
	KUNIT_EXPECT_EQ(test, s.reqs.in_use, s.outstanding);
	KUNIT_EXPECT_EQ(test, s.buffers.cached, 0ULL);
	if (mode == XSN_GRANT_PERSISTENT) {
		/* Freed buffers ended their grants; the rest stay granted. */
		KUNIT_EXPECT_EQ(test, s.grants - s.grant_ends, s.buffers.ctor_calls - s.buffers.dtor_calls);
		KUNIT_EXPECT_EQ(test, s.grants_active, (u64)f->active);
	}
	fake_disconnect(f, &final);
	KUNIT_EXPECT_EQ(test, final.buffers.in_use, 0ULL);
	KUNIT_EXPECT_EQ(test, final.buffers.count, final.buffers.reservation);
	set_cpus_allowed_ptr(current, saved);
	free_cpumask_var(saved);
}

static void xsn_back_to_reservation(struct kunit *test)
{
	back_to_reservation(test, XSN_GRANT_PER_REQUEST);
	back_to_reservation(test, XSN_GRANT_PERSISTENT);
}

/* The payload check the Xen runs rely on notices every kind of damage. */
static void xsn_payload_check(struct kunit *test)
{
	static const u64 seqs[] = { 0, 1, 7, 101, 4242, 99999 };
	unsigned int i, offset, len, pos;
	u8 *page = (u8 *)get_zeroed_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < ARRAY_SIZE(seqs); i++) {
		xsn_tb_shape(seqs[i], &offset, &len);
		KUNIT_EXPECT_LE(test, offset + len, (unsigned int)PAGE_SIZE);
		KUNIT_EXPECT_GE(test, len, 60u);
		xsn_tb_fill(page + offset, seqs[i], len);
		KUNIT_EXPECT_TRUE(test, xsn_tb_verify(page + offset, len, seqs[i]));
		KUNIT_EXPECT_FALSE(test, xsn_tb_verify(page + offset, len, seqs[i] + 1));
		KUNIT_EXPECT_FALSE(test, xsn_tb_verify(page + offset, len - 1, seqs[i]));
		for (pos = 0; pos < len; pos += len / 3) {
			page[offset + pos] ^= 0x10;
			KUNIT_EXPECT_FALSE(test, xsn_tb_verify(page + offset, len, seqs[i]));
			page[offset + pos] ^= 0x10;
		}
		page[offset + len - 1] ^= 1;
		KUNIT_EXPECT_FALSE(test, xsn_tb_verify(page + offset, len, seqs[i]));
		page[offset + len - 1] ^= 1;
	}
	xsn_tb_shape(101, &offset, &len);
	KUNIT_EXPECT_EQ(test, len, (unsigned int)PAGE_SIZE);
	free_page((unsigned long)page);
}

/* ---- rx: packets over several slots, GSO ------------------------------ */

/* The shape of multi-slot packet @seq: 1 .. 18 data slots, GSO on most big ones. */
static unsigned int sg_slots(u64 seq)
{
	return 1 + (unsigned int)(seq % XSN_MAX_SLOTS);
}

static unsigned int sg_len(u64 seq)
{
	return (sg_slots(seq) - 1) * PAGE_SIZE + 1 + (unsigned int)((seq * 131) % PAGE_SIZE);
}

static unsigned int sg_gso(u64 seq)
{
	if (sg_slots(seq) == 1 || seq % 3 == 0)
		return XEN_NETIF_GSO_TYPE_NONE;
	return seq % 2 ? XEN_NETIF_GSO_TYPE_TCPV4 : XEN_NETIF_GSO_TYPE_TCPV6;
}

/* The oldest held request, off the held queue. */
static struct xen_netif_rx_request sg_next_held(struct fake *f)
{
	struct xen_netif_rx_request req = f->tb.held[f->tb.held_head];

	KUNIT_ASSERT_GT(f->test, f->tb.held_count, 0u);
	f->tb.held_head = (f->tb.held_head + 1) % XSN_TB_HELD;
	f->tb.held_count--;
	return req;
}

/* Writes a data slot's response (and its bytes, through the fake grant table). */
static void sg_put_data(struct fake *f, u64 seq, unsigned int pos, unsigned int len, u16 flags)
{
	struct xen_netif_rx_request req = sg_next_held(f);
	struct xen_netif_rx_response *rsp = RING_GET_RESPONSE(&f->tb.back, f->tb.back.rsp_prod_pvt);
	u8 *page = req.gref < FAKE_REFS ? f->pages[req.gref] : NULL;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(f->test, page);
	for (i = 0; i < len; i++)
		page[i] = sg_byte(seq, pos + i);
	rsp->id = req.id;
	rsp->offset = 0;
	rsp->flags = flags;
	rsp->status = len;
	f->tb.back.rsp_prod_pvt++;
}

/* Writes an extra-info slot over the response at the next index, as netback does. */
static void sg_put_extra(struct fake *f, u8 type, u8 flags, u16 gso_size, u8 gso_type)
{
	struct xen_netif_extra_info *extra =
		(void *)RING_GET_RESPONSE(&f->tb.back, f->tb.back.rsp_prod_pvt);

	sg_next_held(f);
	memset(extra, 0, sizeof(*extra));
	extra->type = type;
	extra->flags = flags;
	if (type == XEN_NETIF_EXTRA_TYPE_GSO) {
		extra->u.gso.size = gso_size;
		extra->u.gso.type = gso_type;
	}
	f->tb.back.rsp_prod_pvt++;
}

/*
 * Answers packet @seq as xen-netback does: the first data slot (csum_blank,
 * more_data, extra_info), the GSO slot, the other data slots; each slot but
 * the last is full.  @slots and @gso override the shape when not 0.
 */
static void sg_put_packet(struct fake *f, u64 seq, unsigned int slots, unsigned int len,
			  unsigned int gso)
{
	unsigned int k, pos = 0;

	xsn_tb_take(&f->tb, XSN_TB_HELD);
	KUNIT_ASSERT_GE(f->test, f->tb.held_count, slots + 1);
	for (k = 0; k < slots; k++) {
		unsigned int n = min_t(unsigned int, len - pos, PAGE_SIZE);
		u16 flags = k + 1 < slots ? XEN_NETRXF_more_data : 0;

		if (k == 0)
			flags |= XEN_NETRXF_csum_blank | XEN_NETRXF_data_validated |
				 (gso ? XEN_NETRXF_extra_info : 0);
		sg_put_data(f, seq, pos, n, flags);
		pos += n;
		if (k == 0 && gso)
			sg_put_extra(f, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, gso);
	}
	RING_PUSH_RESPONSES(&f->tb.back);
}

/* 200 packets of 1 .. 18 slots, most big ones GSO: every byte arrives, nothing leaks. */
static void sg_flow(struct kunit *test, enum xsn_grant_mode mode)
{
	struct xsn_rx_stats s, final;
	u64 seq, slots = 0, bytes = 0;
	struct fake *f;

	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id())), 0);
	f = fake_connect_sg(test, mode, 0xffffff00u, 0, true);
	xsn_rx_refill(f->rx);
	for (seq = 0; seq < 200; seq++) {
		unsigned int gso = sg_gso(seq);

		sg_put_packet(f, seq, sg_slots(seq), sg_len(seq), gso);
		slots += sg_slots(seq) + (gso ? 1 : 0);
		bytes += sg_len(seq);
		front_poll(f, 64);
		KUNIT_ASSERT_EQ(test, f->delivered, seq + 1);
		KUNIT_EXPECT_EQ(test, f->last_frags, sg_slots(seq));
		KUNIT_EXPECT_EQ(test, f->last_gso_type, gso);
		KUNIT_EXPECT_EQ(test, f->last_gso_size, gso ? 1448u : 0u);
		KUNIT_EXPECT_TRUE(test, f->last_flags & XEN_NETRXF_csum_blank);
	}
	s = stats(f);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)XSN_OK);
	KUNIT_EXPECT_EQ(test, s.packets, 200ULL);
	KUNIT_EXPECT_EQ(test, s.bytes, bytes);
	/* Every slot taken (the GSO ones too) was posted again. */
	KUNIT_EXPECT_EQ(test, s.requests, s.outstanding + slots);
	if (mode == XSN_GRANT_PER_REQUEST)
		KUNIT_EXPECT_EQ(test, s.grant_ends, slots);
	else
		KUNIT_EXPECT_LT(test, s.grants, slots / 4);
	fake_disconnect(f, &final);
}

static void xsn_sg_flow_per_request(struct kunit *test)
{
	sg_flow(test, XSN_GRANT_PER_REQUEST);
}

static void xsn_sg_flow_persistent(struct kunit *test)
{
	sg_flow(test, XSN_GRANT_PERSISTENT);
}

enum sg_hostile {
	SG_PARTIAL,		/* more_data on the last published response */
	SG_EXTRA_MISSING,	/* extra_info on the last published response */
	SG_TOO_MANY,		/* 19 data slots */
	SG_GSO_SIZE,		/* GSO extra info of size 0 */
	SG_GSO_TYPE,		/* GSO extra info of an unknown GSO type */
	SG_EXTRA_TYPE,		/* extra info of type 0 */
	SG_EXTRA_LOOP,		/* extra slots chained without end */
	SG_LATE_EXTRA,		/* extra_info on a packet's second slot */
	SG_NO_SG,		/* more_data without sg */
};

/* A packet that is not whole or not valid: broken, nothing delivered or leaked. */
static void sg_hostile(struct kunit *test, enum sg_hostile what, enum xsn_broken expect)
{
	struct fake *f = fake_connect_sg(test, XSN_GRANT_PER_REQUEST, 0, 0, what != SG_NO_SG);
	struct xsn_rx_stats s, final;
	unsigned int k;

	if (what == SG_NO_SG) {
		f->sg = true;
		f->gather = kunit_kzalloc(test, XSN_MAX_SLOTS * PAGE_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f->gather);
	}
	xsn_rx_refill(f->rx);
	/* Two good packets first. */
	sg_put_packet(f, 0, 3, 3 * PAGE_SIZE - 5, XEN_NETIF_GSO_TYPE_NONE);
	if (what != SG_NO_SG)
		sg_put_packet(f, 1, 5, 5 * PAGE_SIZE, XEN_NETIF_GSO_TYPE_TCPV4);
	else
		sg_put_packet(f, 1, 1, 100, XEN_NETIF_GSO_TYPE_NONE);
	f->sg = what != SG_NO_SG;
	front_poll(f, 64);
	KUNIT_ASSERT_EQ(test, f->delivered, what == SG_NO_SG ? 0ULL : 2ULL);
	if (what == SG_NO_SG)
		goto check;
	xsn_tb_take(&f->tb, XSN_TB_HELD);
	switch (what) {
	case SG_PARTIAL:
		sg_put_data(f, 2, 0, PAGE_SIZE, XEN_NETRXF_more_data);
		break;
	case SG_EXTRA_MISSING:
		sg_put_data(f, 2, 0, PAGE_SIZE, XEN_NETRXF_extra_info);
		break;
	case SG_TOO_MANY:
		for (k = 0; k < XSN_MAX_SLOTS + 1; k++)
			sg_put_data(f, 2, k * PAGE_SIZE, PAGE_SIZE,
				    k < XSN_MAX_SLOTS ? XEN_NETRXF_more_data : 0);
		break;
	case SG_GSO_SIZE:
		sg_put_data(f, 2, 0, 100, XEN_NETRXF_extra_info);
		sg_put_extra(f, XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
		break;
	case SG_GSO_TYPE:
		sg_put_data(f, 2, 0, 100, XEN_NETRXF_extra_info);
		sg_put_extra(f, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, 7);
		break;
	case SG_EXTRA_TYPE:
		sg_put_data(f, 2, 0, 100, XEN_NETRXF_extra_info);
		sg_put_extra(f, 0, 0, 0, 0);
		break;
	case SG_EXTRA_LOOP:
		sg_put_data(f, 2, 0, 100, XEN_NETRXF_extra_info);
		for (k = 0; k < 8; k++)
			sg_put_extra(f, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
		break;
	case SG_LATE_EXTRA:
		sg_put_data(f, 2, 0, PAGE_SIZE, XEN_NETRXF_more_data);
		sg_put_data(f, 2, PAGE_SIZE, 100, XEN_NETRXF_extra_info);
		sg_put_extra(f, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4);
		break;
	case SG_NO_SG:
		break;
	}
	RING_PUSH_RESPONSES(&f->tb.back);
	front_poll(f, 64);
check:
	s = stats(f);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)expect);
	KUNIT_EXPECT_EQ(test, f->bad_payloads, 0ULL);
	KUNIT_EXPECT_EQ(test, s.packets, f->delivered);
	KUNIT_EXPECT_EQ(test, rx_poll(f->rx, 64), 0);
	fake_disconnect(f, &final);
	KUNIT_EXPECT_EQ(test, final.grant_ends_deferred, 0ULL);
}

static void xsn_sg_hostile_partial(struct kunit *test)
{
	sg_hostile(test, SG_PARTIAL, XSN_BROKEN_PACKET);
}

static void xsn_sg_hostile_extra_missing(struct kunit *test)
{
	sg_hostile(test, SG_EXTRA_MISSING, XSN_BROKEN_PACKET);
}

static void xsn_sg_hostile_too_many(struct kunit *test)
{
	sg_hostile(test, SG_TOO_MANY, XSN_BROKEN_PACKET);
}

static void xsn_sg_hostile_gso_size(struct kunit *test)
{
	sg_hostile(test, SG_GSO_SIZE, XSN_BROKEN_PACKET);
}

static void xsn_sg_hostile_gso_type(struct kunit *test)
{
	sg_hostile(test, SG_GSO_TYPE, XSN_BROKEN_PACKET);
}

static void xsn_sg_hostile_extra_type(struct kunit *test)
{
	sg_hostile(test, SG_EXTRA_TYPE, XSN_BROKEN_PACKET);
}

static void xsn_sg_hostile_extra_loop(struct kunit *test)
{
	sg_hostile(test, SG_EXTRA_LOOP, XSN_BROKEN_PACKET);
}

static void xsn_sg_hostile_late_extra(struct kunit *test)
{
	sg_hostile(test, SG_LATE_EXTRA, XSN_BROKEN_FLAGS);
}

static void xsn_sg_hostile_no_sg(struct kunit *test)
{
	sg_hostile(test, SG_NO_SG, XSN_BROKEN_FLAGS);
}

/* ---- tx ------------------------------------------------------------------- */

#define TX_RING 256		/* netif tx ring of one page */

/*
 * A tx backend on the same ring page: it reads each request's packet through
 * the fake grant table (as netback's grant copy or map would), checks it
 * against what was sent and answers with the status asked for.
 */
struct txf {
	struct fake *f;
	void *sring;
	struct xen_netif_tx_back_ring back;
	struct xsn_tx *tx;
	u64 sent;		/* packets handed to xsn_tx_send() */
	u64 read;		/* requests the backend consumed */
	u64 bad_payloads;
	u64 bad_grants;		/* a request whose reference grants no page */
	u16 pending[TX_RING];	/* ids read and not yet answered */
	u8 pending_nulls[TX_RING];	/* NULL responses to write after each */
	unsigned int nr_pending;
	/* Multi-slot packets (tx_sg_flow): sizes of packet seq, checked by the reader. */
	bool sg;
	u64 gso_seen;
	u8 *frame;		/* the packet being sent */
};

/* The payload of packet @seq: its length and a byte pattern. */
static unsigned int tx_len(u64 seq)
{
	return ETH_HLEN + (unsigned int)((seq * 97) % (ETH_DATA_LEN + 1));
}

static u8 tx_byte(u64 seq, unsigned int i)
{
	return (u8)(seq * 31 + i * 7);
}

static struct txf *tx_connect_sg(struct kunit *test, enum xsn_grant_mode mode, bool sg)
{
	struct xsn_tx_args args = {
		.mode = mode,
		.sg = sg,
		.gso_types = sg ? (1U << XSN_GSO_TCPV4) | (1U << XSN_GSO_TCPV6) : 0,
		.ops = &fake_ops,
	};
	struct txf *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->f = kunit_kzalloc(test, sizeof(*t->f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->f);
	t->f->test = test;
	t->frame = kunit_kzalloc(test, ETH_FRAME_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->frame);
	t->sring = (void *)get_zeroed_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->sring);
	xsn_tx_sring_init(t->sring, 0);
	BACK_RING_INIT(&t->back, (struct xen_netif_tx_sring *)t->sring, PAGE_SIZE);
	args.sring = t->sring;
	args.ops_ctx = t->f;
	t->sg = sg;
	KUNIT_ASSERT_EQ(test, xsn_tx_create("xsn-kunit", &args, &t->tx), 0);
	return t;
}

static struct txf *tx_connect(struct kunit *test, enum xsn_grant_mode mode)
{
	return tx_connect_sg(test, mode, false);
}

/* Multi-slot tx packet @seq: 1 .. 65535 bytes, GSO for most big ones. */
static unsigned int tx_sg_len(u64 seq)
{
	return 1 + (unsigned int)((seq * 7919) % XSN_TX_MAX_LEN);
}

static unsigned int tx_sg_gso(u64 seq)
{
	if (tx_sg_len(seq) <= PAGE_SIZE || seq % 4 == 0)
		return XSN_GSO_NONE;
	return seq % 2 ? XSN_GSO_TCPV4 : XSN_GSO_TCPV6;
}

/* Sends packet number t->sent; returns xsn_tx_send()'s result. */
static int tx_send_next(struct txf *t)
{
	unsigned int len = tx_len(t->sent), i;
	int err;

	for (i = 0; i < len; i++)
		t->frame[i] = tx_byte(t->sent, i);
	err = xsn_tx_send(t->tx, t->frame, len, 0);
	if (!err)
		t->sent++;
	return err;
}

/* Checks @len bytes of @page against packet @seq from byte @pos on. */
static bool tx_page_ok(struct txf *t, const u8 *page, u64 seq, unsigned int pos, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (page[i] != tx_byte(seq, pos + i))
			return false;
	return true;
}

/*
 * The backend reads every pushed request and checks its packet, as netback
 * does: the first slot says the packet's size, an extra-info slot follows
 * it if flagged, further slots while more_data is set.
 */
static void tx_back_read(struct txf *t)
{
	RING_IDX prod = t->back.sring->req_prod;

	virt_rmb();
	while (t->back.req_cons != prod) {
		struct xen_netif_tx_request req;
		const u8 *page;
		u64 seq = t->read++;
		unsigned int want = t->sg ? tx_sg_len(seq) : tx_len(seq), pos = 0, size;
		bool first = true, more;

		do {
			KUNIT_ASSERT_NE(t->f->test, t->back.req_cons, prod);
			RING_COPY_REQUEST(&t->back, t->back.req_cons, &req);
			t->back.req_cons++;
			page = req.gref < FAKE_REFS ? t->f->pages[req.gref] : NULL;
			/* The first slot's size is the packet's; its own part fills the page. */
			size = first ? min_t(unsigned int, req.size, PAGE_SIZE) : req.size;
			if (!page || req.offset != 0 || (first && req.size != want) ||
			    pos + size > want || (req.flags & XEN_NETTXF_more_data && size != PAGE_SIZE))
				t->bad_grants++;
			else if (!tx_page_ok(t, page, seq, pos, size))
				t->bad_payloads++;
			pos += size;
			more = req.flags & XEN_NETTXF_more_data;
			t->pending_nulls[t->nr_pending] = 0;
			t->pending[t->nr_pending++] = req.id;
			if (first && (req.flags & XEN_NETTXF_extra_info)) {
				union {
					struct xen_netif_tx_request req;
					struct xen_netif_extra_info extra;
				} u;

				KUNIT_ASSERT_NE(t->f->test, t->back.req_cons, prod);
				RING_COPY_REQUEST(&t->back, t->back.req_cons, &u.req);
				t->back.req_cons++;
				if (u.extra.type != XEN_NETIF_EXTRA_TYPE_GSO || u.extra.flags ||
				    u.extra.u.gso.type != tx_sg_gso(seq) || u.extra.u.gso.size != 1448)
					t->bad_grants++;
				t->gso_seen++;
				t->pending_nulls[t->nr_pending - 1] = 1;
			} else if (first && t->sg && tx_sg_gso(seq)) {
				t->bad_grants++;
			}
			first = false;
		} while (more);
		if (pos != want)
			t->bad_grants++;
	}
}

/* Answers @n of the pending requests (oldest first) with @status. */
static void tx_back_answer(struct txf *t, unsigned int n, s16 status)
{
	unsigned int i;
	int notify;

	n = min(n, t->nr_pending);
	for (i = 0; i < n; i++) {
		struct xen_netif_tx_response *rsp = RING_GET_RESPONSE(&t->back, t->back.rsp_prod_pvt);
		unsigned int k;

		rsp->id = t->pending[i];
		rsp->status = status;
		t->back.rsp_prod_pvt++;
		/* As netback: the extra slots' NULL responses right after. */
		for (k = 0; k < t->pending_nulls[i]; k++) {
			rsp = RING_GET_RESPONSE(&t->back, t->back.rsp_prod_pvt);
			rsp->id = 0xdead;
			rsp->status = XEN_NETIF_RSP_NULL;
			t->back.rsp_prod_pvt++;
		}
	}
	memmove(t->pending, t->pending + n, (t->nr_pending - n) * sizeof(t->pending[0]));
	memmove(t->pending_nulls, t->pending_nulls + n, t->nr_pending - n);
	t->nr_pending -= n;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&t->back, notify);
	if (notify)
		t->f->kicks++;
}

static struct xsn_tx_stats tx_stats(struct txf *t)
{
	struct xsn_tx_stats s;

	xsn_tx_get_stats(t->tx, &s);
	return s;
}

static void tx_disconnect(struct txf *t, struct xsn_tx_stats *final)
{
	struct kunit *test = t->f->test;

	xsn_tx_destroy(t->tx, final);
	t->tx = NULL;
	KUNIT_EXPECT_EQ(test, t->f->active, 0u);
	KUNIT_EXPECT_EQ(test, t->f->wrong_ends, 0u);
	KUNIT_EXPECT_EQ(test, final->grants_active, 0ULL);
	KUNIT_EXPECT_EQ(test, final->grants, (u64)t->f->grants);
	KUNIT_EXPECT_EQ(test, final->grant_ends + final->grant_ends_deferred,
			(u64)(t->f->ends + t->f->deferred));
	KUNIT_EXPECT_EQ(test, final->buffers.in_use, 0ULL);
	KUNIT_EXPECT_EQ(test, final->reqs.in_use, 0ULL);
	KUNIT_EXPECT_EQ(test, final->buffers.bad_puts, 0ULL);
	KUNIT_EXPECT_EQ(test, final->reqs.bad_puts, 0ULL);
	free_page((unsigned long)t->sring);
}

static void tx_flow(struct kunit *test, enum xsn_grant_mode mode)
{
	const u64 n = 20000;
	struct xsn_tx_stats s, final;
	u64 bytes = 0, i;
	struct txf *t = tx_connect(test, mode);

	while (t->sent < n) {
		/* Bursts of up to 100 packets, pushed once. */
		for (i = 0; i < 100 && t->sent < n; i++) {
			bytes += tx_len(t->sent);
			KUNIT_ASSERT_EQ(test, tx_send_next(t), 0);
		}
		xsn_tx_push(t->tx);
		tx_back_read(t);
		tx_back_answer(t, t->nr_pending, XEN_NETIF_RSP_OKAY);
		KUNIT_ASSERT_EQ(test, tx_poll(t->tx, INT_MAX), (int)i);
		KUNIT_ASSERT_FALSE(test, xsn_tx_rearm(t->tx));
	}
	s = tx_stats(t);
	KUNIT_EXPECT_EQ(test, t->read, n);
	KUNIT_EXPECT_EQ(test, t->bad_grants, 0ULL);
	KUNIT_EXPECT_EQ(test, t->bad_payloads, 0ULL);
	KUNIT_EXPECT_EQ(test, s.packets, n);
	KUNIT_EXPECT_EQ(test, s.bytes, bytes);
	KUNIT_EXPECT_EQ(test, s.requests, n);
	KUNIT_EXPECT_EQ(test, s.outstanding, 0ULL);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)XSN_OK);
	KUNIT_EXPECT_EQ(test, xsn_tx_space(t->tx), (unsigned int)TX_RING);
	if (mode == XSN_GRANT_PERSISTENT)
		/* Each buffer granted once: at most one per ring slot. */
		KUNIT_EXPECT_LE(test, s.grants, (u64)TX_RING);
	else
		KUNIT_EXPECT_EQ(test, s.grant_ops, 2 * n);
	tx_disconnect(t, &final);
	KUNIT_EXPECT_EQ(test, final.packets, n);
}

static void xsn_tx_flow_per_request(struct kunit *test)
{
	tx_flow(test, XSN_GRANT_PER_REQUEST);
}

static void xsn_tx_flow_persistent(struct kunit *test)
{
	tx_flow(test, XSN_GRANT_PERSISTENT);
}

/* A full ring refuses with -ENOSPC until responses free slots; bad input is refused. */
static void xsn_tx_full_and_bad_input(struct kunit *test)
{
	struct txf *t = tx_connect(test, XSN_GRANT_PERSISTENT);
	struct xsn_tx_stats s, final;
	u8 byte = 0;
	int i;

	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, &byte, 0, 0), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, &byte, PAGE_SIZE + 1, 0), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, &byte, 1, XEN_NETTXF_more_data), -EINVAL);
	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, &byte, 1, XEN_NETTXF_extra_info), -EINVAL);
	for (i = 0; i < TX_RING; i++)
		KUNIT_ASSERT_EQ(test, tx_send_next(t), 0);
	KUNIT_EXPECT_EQ(test, xsn_tx_space(t->tx), 0u);
	KUNIT_EXPECT_EQ(test, tx_send_next(t), -ENOSPC);
	xsn_tx_push(t->tx);
	tx_back_read(t);
	tx_back_answer(t, 10, XEN_NETIF_RSP_OKAY);
	tx_back_answer(t, 1, XEN_NETIF_RSP_ERROR);
	tx_back_answer(t, 1, XEN_NETIF_RSP_DROPPED);
	KUNIT_EXPECT_EQ(test, tx_poll(t->tx, 5), 5);
	KUNIT_EXPECT_EQ(test, tx_poll(t->tx, INT_MAX), 7);
	KUNIT_EXPECT_EQ(test, xsn_tx_space(t->tx), 12u);
	KUNIT_EXPECT_EQ(test, tx_send_next(t), 0);
	s = tx_stats(t);
	KUNIT_EXPECT_EQ(test, s.packets, 10ULL);
	KUNIT_EXPECT_EQ(test, s.errors, 1ULL);
	KUNIT_EXPECT_EQ(test, s.dropped, 1ULL);
	KUNIT_EXPECT_EQ(test, s.ring_full, 1ULL);
	KUNIT_EXPECT_EQ(test, s.outstanding, (u64)TX_RING - 11);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)XSN_OK);
	/* The backend goes away with 245 packets on the ring. */
	tx_disconnect(t, &final);
}

/* Sends multi-slot packet t->sent in pieces of odd sizes. */
static int tx_sg_send_next(struct txf *t, u8 *frame)
{
	unsigned int len = tx_sg_len(t->sent), i, nr = 0, off = 0;
	struct xsn_frag frags[8];
	int err;

	for (i = 0; i < len; i++)
		frame[i] = tx_byte(t->sent, i);
	/* A head of up to 100 bytes, then pieces that cross page boundaries. */
	while (off < len && nr < ARRAY_SIZE(frags)) {
		unsigned int n = nr == 0 ? min(len, 1 + (unsigned int)(t->sent % 100)) :
			 nr == ARRAY_SIZE(frags) - 1 ? len - off :
			 min(len - off, 3000 + 1777 * nr);

		frags[nr].data = frame + off;
		frags[nr++].len = n;
		off += n;
	}
	err = xsn_tx_send_packet(t->tx, frags, nr, XSN_TXF_CSUM_BLANK | XSN_TXF_DATA_VALIDATED,
				 tx_sg_gso(t->sent), tx_sg_gso(t->sent) ? 1448 : 0);
	if (!err)
		t->sent++;
	return err;
}

/* 2000 packets of 1 .. 65535 bytes over 1 .. 16 slots, GSO on most big ones. */
/* What tx_sg_flow() moved, as both ends counted it (a frame of its own). */
static noinline void tx_sg_flow_check(struct kunit *test, struct txf *t, enum xsn_grant_mode mode,
				      u64 n, u64 bytes, u64 slots, u64 gso)
{
	struct xsn_tx_stats s = tx_stats(t);

	KUNIT_EXPECT_EQ(test, t->read, n);
	KUNIT_EXPECT_EQ(test, t->bad_grants, 0ULL);
	KUNIT_EXPECT_EQ(test, t->bad_payloads, 0ULL);
	KUNIT_EXPECT_EQ(test, t->gso_seen, gso);
	KUNIT_EXPECT_EQ(test, s.packets, n);
	KUNIT_EXPECT_EQ(test, s.bytes, bytes);
	KUNIT_EXPECT_EQ(test, s.gso_packets, gso);
	KUNIT_EXPECT_EQ(test, s.requests, slots);
	KUNIT_EXPECT_EQ(test, s.outstanding, 0ULL);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)XSN_OK);
	if (mode == XSN_GRANT_PER_REQUEST)
		KUNIT_EXPECT_EQ(test, s.grant_ops, 2 * (slots - gso));
	else
		KUNIT_EXPECT_LT(test, s.grants, (slots - gso) / 4);
}

static void tx_sg_flow(struct kunit *test, enum xsn_grant_mode mode)
{
	const u64 n = 2000;
	struct xsn_tx_stats final;
	u64 bytes = 0, slots = 0, gso = 0, i;
	struct txf *t = tx_connect_sg(test, mode, true);
	u8 *frame = kunit_kmalloc(test, XSN_TX_MAX_LEN, GFP_KERNEL);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, frame);
	while (t->sent < n) {
		/* Send until the ring is full, then the backend answers everything. */
		for (i = 0; t->sent < n; i++) {
			unsigned int len = tx_sg_len(t->sent), g = tx_sg_gso(t->sent) ? 1 : 0;

			err = tx_sg_send_next(t, frame);
			if (err == -ENOSPC) {
				KUNIT_ASSERT_LT(test, xsn_tx_space(t->tx), DIV_ROUND_UP(len, PAGE_SIZE) + g);
				break;
			}
			KUNIT_ASSERT_EQ(test, err, 0);
			bytes += len;
			slots += DIV_ROUND_UP(len, PAGE_SIZE) + g;
			gso += g;
		}
		xsn_tx_push(t->tx);
		tx_back_read(t);
		tx_back_answer(t, t->nr_pending, XEN_NETIF_RSP_OKAY);
		tx_poll(t->tx, INT_MAX);
		KUNIT_ASSERT_FALSE(test, xsn_tx_rearm(t->tx));
		KUNIT_ASSERT_EQ(test, xsn_tx_space(t->tx), (unsigned int)TX_RING);
	}
	tx_sg_flow_check(test, t, mode, n, bytes, slots, gso);
	tx_disconnect(t, &final);
}

static void xsn_tx_sg_flow_per_request(struct kunit *test)
{
	tx_sg_flow(test, XSN_GRANT_PER_REQUEST);
}

static void xsn_tx_sg_flow_persistent(struct kunit *test)
{
	tx_sg_flow(test, XSN_GRANT_PERSISTENT);
}

/* What the multi-slot sends refuse, and refuse without taking anything. */
/* The refusals of xsn_tx_sg_bad_input() (a frame of their own). */
static noinline void tx_sg_refusals(struct kunit *test, struct txf *plain, struct txf *t, u8 *frame)
{
	struct xsn_tx_args args = { .mode = XSN_GRANT_PER_REQUEST, .ops = &fake_ops };
	struct xsn_frag two[2];
	struct xsn_tx_stats s;
	struct xsn_tx *tx;

	/* GSO needs sg; only TCPv4 and TCPv6 exist. */
	args.sring = t->sring;
	args.gso_types = 1U << XSN_GSO_TCPV4;
	KUNIT_EXPECT_EQ(test, xsn_tx_create("xsn-kunit", &args, &tx), -EINVAL);
	args.sg = true;
	args.gso_types = 1U << 5;
	KUNIT_EXPECT_EQ(test, xsn_tx_create("xsn-kunit", &args, &tx), -EINVAL);

	KUNIT_EXPECT_EQ(test, xsn_tx_send(plain->tx, frame, PAGE_SIZE + 1, 0), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(plain->tx, two, 0, 0, XSN_GSO_NONE, 0), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(plain->tx, two, 0, 0, XSN_GSO_NONE, 0), -EMSGSIZE);
	two[0].data = frame;
	two[0].len = 100;
	two[1].data = frame;
	two[1].len = 100;
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(plain->tx, two, 2, 0, XSN_GSO_TCPV4, 1448), -EINVAL);
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(plain->tx, two, 2, 0, XSN_GSO_NONE, 0), 0);
	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, frame, XSN_TX_MAX_LEN + 1, 0), -EMSGSIZE);
	two[0].len = XSN_TX_MAX_LEN;
	two[1].len = 1;
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(t->tx, two, 2, 0, XSN_GSO_NONE, 0), -EMSGSIZE);
	two[0].len = 5000;
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(t->tx, two, 2, 0, XSN_GSO_TCPV4, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(t->tx, two, 2, 0, 3, 1448), -EINVAL);
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(t->tx, two, 2, XEN_NETTXF_more_data,
						 XSN_GSO_NONE, 0), -EINVAL);
	s = tx_stats(t);
	KUNIT_EXPECT_EQ(test, s.requests, 0ULL);
	KUNIT_EXPECT_EQ(test, xsn_tx_space(t->tx), (unsigned int)TX_RING);
}

static void xsn_tx_sg_bad_input(struct kunit *test)
{
	struct txf *plain = tx_connect(test, XSN_GRANT_PER_REQUEST);
	struct txf *t = tx_connect_sg(test, XSN_GRANT_PER_REQUEST, true);
	u8 *frame = kunit_kzalloc(test, 2 * XSN_TX_MAX_LEN, GFP_KERNEL);
	struct xsn_frag two[2] = { { .data = frame }, { .data = frame, .len = 1 } };
	struct xsn_tx_stats s, final;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, frame);
	tx_sg_refusals(test, plain, t, frame);

	/* 15 packets of 17 slots fill 255 slots: the 16th does not fit, a 1-slot one does. */
	two[0].len = XSN_TX_MAX_LEN - 1;
	for (i = 0; i < 15; i++)
		KUNIT_ASSERT_EQ(test, xsn_tx_send_packet(t->tx, two, 2, 0, XSN_GSO_TCPV4, 1448), 0);
	KUNIT_EXPECT_EQ(test, xsn_tx_space(t->tx), 1u);
	KUNIT_EXPECT_EQ(test, xsn_tx_send_packet(t->tx, two, 2, 0, XSN_GSO_TCPV4, 1448), -ENOSPC);
	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, frame, 60, 0), 0);
	s = tx_stats(t);
	KUNIT_EXPECT_EQ(test, s.requests, (u64)TX_RING);
	KUNIT_EXPECT_EQ(test, s.gso_packets, 15ULL);
	KUNIT_EXPECT_EQ(test, s.ring_full, 1ULL);
	/* The backend goes away with everything on the ring. */
	tx_disconnect(t, &final);
	tx_disconnect(plain, &final);
}

/*
 * A GSO packet's first slot answered without the NULL response of its extra
 * slot: either nothing follows, or another response takes its place.
 */
static void tx_sg_null_missing(struct kunit *test, bool another)
{
	struct txf *t = tx_connect_sg(test, XSN_GRANT_PER_REQUEST, true);
	u8 *frame = kunit_kzalloc(test, 2 * PAGE_SIZE, GFP_KERNEL);
	struct xen_netif_tx_response *rsp;
	struct xsn_tx_stats s, final;
	int notify;

	KUNIT_ASSERT_NOT_NULL(test, frame);
	KUNIT_ASSERT_EQ(test, xsn_tx_send_packet(t->tx, &(struct xsn_frag){ frame, 5000 }, 1,
						 XSN_TXF_CSUM_BLANK, XSN_GSO_TCPV4, 1448), 0);
	xsn_tx_push(t->tx);
	KUNIT_ASSERT_EQ(test, tx_stats(t).requests, 3ULL);
	/* The backend's view: slot 0, the GSO slot, slot 1. */
	KUNIT_ASSERT_EQ(test, t->back.sring->req_prod, 3u);
	rsp = RING_GET_RESPONSE(&t->back, 0);
	rsp->id = RING_GET_REQUEST(&t->back, 0)->id;
	rsp->status = XEN_NETIF_RSP_OKAY;
	t->back.rsp_prod_pvt = 1;
	if (another) {
		rsp = RING_GET_RESPONSE(&t->back, 1);
		rsp->id = RING_GET_REQUEST(&t->back, 2)->id;
		rsp->status = XEN_NETIF_RSP_OKAY;
		t->back.rsp_prod_pvt = 2;
	}
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&t->back, notify);
	tx_poll(t->tx, INT_MAX);
	s = tx_stats(t);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)XSN_BROKEN_TX_STATUS);
	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, frame, 60, 0), -EINVAL);
	tx_disconnect(t, &final);
	KUNIT_EXPECT_EQ(test, final.grant_ends_deferred, 0ULL);
}

static void xsn_tx_sg_null_missing(struct kunit *test)
{
	tx_sg_null_missing(test, false);
}

static void xsn_tx_sg_null_replaced(struct kunit *test)
{
	tx_sg_null_missing(test, true);
}

enum tx_hostile {
	TX_UNKNOWN_ID,
	TX_REPEATED_ID,
	TX_NULL_STATUS,
	TX_BAD_STATUS,
	TX_PROD_JUMP,
	TX_GRANT_KEPT,
};

/* One hostile response after a few good ones: broken, nothing leaked. */
static void tx_hostile(struct kunit *test, enum tx_hostile what, enum xsn_broken expect)
{
	struct txf *t = tx_connect(test, XSN_GRANT_PER_REQUEST);
	struct xen_netif_tx_response *rsp;
	struct xsn_tx_stats s, final;
	int i, notify;

	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_EQ(test, tx_send_next(t), 0);
	xsn_tx_push(t->tx);
	tx_back_read(t);
	if (what == TX_REPEATED_ID)
		t->pending[1] = t->pending[0];
	tx_back_answer(t, 1, XEN_NETIF_RSP_OKAY);
	rsp = RING_GET_RESPONSE(&t->back, t->back.rsp_prod_pvt);
	rsp->id = t->pending[0];
	rsp->status = XEN_NETIF_RSP_OKAY;
	switch (what) {
	case TX_UNKNOWN_ID:
		rsp->id = TX_RING + 3;
		break;
	case TX_REPEATED_ID:
		break;
	case TX_NULL_STATUS:
		rsp->status = XEN_NETIF_RSP_NULL;
		break;
	case TX_BAD_STATUS:
		rsp->status = -77;
		break;
	case TX_PROD_JUMP:
		t->back.rsp_prod_pvt += 100;
		break;
	case TX_GRANT_KEPT:
		/* The backend answers but keeps the page mapped. */
		for (i = 0; i < FAKE_REFS; i++)
			if (t->f->pages[i])
				t->f->mapped[i] = true;
		break;
	}
	t->back.rsp_prod_pvt++;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&t->back, notify);
	tx_poll(t->tx, INT_MAX);
	s = tx_stats(t);
	KUNIT_EXPECT_EQ(test, s.broken, (u64)expect);
	KUNIT_EXPECT_EQ(test, xsn_tx_space(t->tx), 0u);
	KUNIT_EXPECT_EQ(test, xsn_tx_send(t->tx, &notify, 4, 0), -EINVAL);
	KUNIT_EXPECT_FALSE(test, xsn_tx_has_work(t->tx));
	KUNIT_EXPECT_EQ(test, tx_poll(t->tx, INT_MAX), 0);
	tx_disconnect(t, &final);
	if (what == TX_GRANT_KEPT)
		KUNIT_EXPECT_GT(test, final.grant_ends_deferred, 0ULL);
	else
		KUNIT_EXPECT_EQ(test, final.grant_ends_deferred, 0ULL);
	KUNIT_EXPECT_EQ(test, t->bad_payloads, 0ULL);
}

static void xsn_tx_hostile_unknown_id(struct kunit *test)
{
	tx_hostile(test, TX_UNKNOWN_ID, XSN_BROKEN_ID);
}

static void xsn_tx_hostile_repeated_id(struct kunit *test)
{
	tx_hostile(test, TX_REPEATED_ID, XSN_BROKEN_ID);
}

static void xsn_tx_hostile_null_status(struct kunit *test)
{
	tx_hostile(test, TX_NULL_STATUS, XSN_BROKEN_TX_STATUS);
}

static void xsn_tx_hostile_bad_status(struct kunit *test)
{
	tx_hostile(test, TX_BAD_STATUS, XSN_BROKEN_TX_STATUS);
}

static void xsn_tx_hostile_prod_jump(struct kunit *test)
{
	tx_hostile(test, TX_PROD_JUMP, XSN_BROKEN_PROD_OVERFLOW);
}

static void xsn_tx_hostile_grant_kept(struct kunit *test)
{
	tx_hostile(test, TX_GRANT_KEPT, XSN_BROKEN_GRANT_BUSY);
}

static struct kunit_case xsn_tx_cases[] = {
	KUNIT_CASE(xsn_tx_flow_per_request),
	KUNIT_CASE(xsn_tx_flow_persistent),
	KUNIT_CASE(xsn_tx_full_and_bad_input),
	KUNIT_CASE(xsn_tx_hostile_unknown_id),
	KUNIT_CASE(xsn_tx_hostile_repeated_id),
	KUNIT_CASE(xsn_tx_hostile_null_status),
	KUNIT_CASE(xsn_tx_hostile_bad_status),
	KUNIT_CASE(xsn_tx_hostile_prod_jump),
	KUNIT_CASE(xsn_tx_hostile_grant_kept),
	KUNIT_CASE(xsn_tx_sg_flow_per_request),
	KUNIT_CASE(xsn_tx_sg_flow_persistent),
	KUNIT_CASE(xsn_tx_sg_bad_input),
	KUNIT_CASE(xsn_tx_sg_null_missing),
	KUNIT_CASE(xsn_tx_sg_null_replaced),
	{}
};

static struct kunit_suite xsn_tx_suite = {
	.name = "xen_slab_netfront_tx",
	.test_cases = xsn_tx_cases,
};

static struct kunit_case xsn_cases[] = {
	KUNIT_CASE(xsn_payload_check),
	KUNIT_CASE(xsn_normal_flow_per_request),
	KUNIT_CASE(xsn_normal_flow_persistent),
	KUNIT_CASE(xsn_index_wrap),
	KUNIT_CASE(xsn_notify_suppression),
	KUNIT_CASE(xsn_bounded_batches),
	KUNIT_CASE(xsn_hostile_unknown_id),
	KUNIT_CASE(xsn_hostile_repeated_id),
	KUNIT_CASE(xsn_hostile_status),
	KUNIT_CASE(xsn_hostile_length),
	KUNIT_CASE(xsn_hostile_flags),
	KUNIT_CASE(xsn_hostile_prod_jump),
	KUNIT_CASE(xsn_hostile_prod_ahead),
	KUNIT_CASE(xsn_hostile_grant_kept),
	KUNIT_CASE(xsn_teardown_in_flight),
	KUNIT_CASE(xsn_teardown_backend_gone),
	KUNIT_CASE(xsn_back_to_reservation),
	KUNIT_CASE(xsn_refill_retry),
	KUNIT_CASE(xsn_sg_flow_per_request),
	KUNIT_CASE(xsn_sg_flow_persistent),
	KUNIT_CASE(xsn_sg_hostile_partial),
	KUNIT_CASE(xsn_sg_hostile_extra_missing),
	KUNIT_CASE(xsn_sg_hostile_too_many),
	KUNIT_CASE(xsn_sg_hostile_gso_size),
	KUNIT_CASE(xsn_sg_hostile_gso_type),
	KUNIT_CASE(xsn_sg_hostile_extra_type),
	KUNIT_CASE(xsn_sg_hostile_extra_loop),
	KUNIT_CASE(xsn_sg_hostile_late_extra),
	KUNIT_CASE(xsn_sg_hostile_no_sg),
	{}
};

static struct kunit_suite xsn_suite = {
	.name = "xen_slab_netfront",
	.test_cases = xsn_cases,
};
kunit_test_suites(&xsn_suite, &xsn_tx_suite);

MODULE_DESCRIPTION("KUnit tests of the xen_slab_netfront rx and tx rings");
MODULE_LICENSE("GPL");
