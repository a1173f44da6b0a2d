/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A netif rx backend for tests of xen_slab_netfront: BACK_RING over the
 * frontend's shared ring page, answering requests with known payloads.  How
 * a payload reaches the frontend's granted buffer (a direct copy in KUnit,
 * gnttab_batch_copy() under Xen) and how the frontend is kicked are the
 * user's callbacks.  Included by the KUnit suites and the Xen loopback test.
 */
#ifndef XSN_TEST_BACKEND_H
#define XSN_TEST_BACKEND_H

#include <linux/mm.h>
#include <linux/string.h>
#include <xen/interface/io/netif.h>
#include <xen/page.h>

#define XSN_TB_BATCH 64
#define XSN_TB_HELD 256

/* One copy of a payload into a frontend buffer; the callback sets @status. */
struct xsn_tb_copy {
	unsigned int gref;
	unsigned int offset;
	unsigned int len;
	void *src;		/* staging page + offset */
	int status;		/* 0 or negative */
};

struct xsn_tb {
	struct xen_netif_rx_back_ring back;
	struct xen_netif_rx_request held[XSN_TB_HELD];
	unsigned int held_head;
	unsigned int held_count;
	u64 next_seq;
	void *staging[XSN_TB_BATCH];
	struct xsn_tb_copy ops[XSN_TB_BATCH];
	void (*copy)(struct xsn_tb *tb, struct xsn_tb_copy *ops, unsigned int n);
	void (*notify)(struct xsn_tb *tb);
	void *ctx;
	u64 answered;
	u64 bytes;
	u64 copy_errors;
	u64 notifies;
	bool overflow;
};

/* Offset and length of packet @seq: 60 .. 1514 bytes, some whole pages. */
static inline void xsn_tb_shape(u64 seq, unsigned int *offset, unsigned int *len)
{
	if (seq % 101 == 0) {
		*offset = 0;
		*len = PAGE_SIZE;
		return;
	}
	*offset = (unsigned int)(seq * 64 % 512);
	*len = 60 + (unsigned int)(seq * 97 % 1455);
}

static inline u64 xsn_tb_word(u64 seq, unsigned int k)
{
	return (seq << 20) ^ ((u64)k * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

static inline void xsn_tb_fill(void *dst, u64 seq, unsigned int len)
{
	unsigned int k;
	u64 w;

	for (k = 0; k < len / 8; k++) {
		w = xsn_tb_word(seq, k);
		memcpy((u8 *)dst + 8 * k, &w, 8);
	}
	if (len % 8) {
		w = xsn_tb_word(seq, k);
		memcpy((u8 *)dst + 8 * k, &w, len % 8);
	}
}

/* True when @data/@len is exactly packet @seq. */
static inline bool xsn_tb_verify(const void *data, unsigned int len, u64 seq)
{
	unsigned int offset, want, k;
	u64 w, got;

	xsn_tb_shape(seq, &offset, &want);
	if (len != want)
		return false;
	for (k = 0; k < len / 8; k++) {
		memcpy(&got, (const u8 *)data + 8 * k, 8);
		if (got != xsn_tb_word(seq, k))
			return false;
	}
	if (len % 8) {
		w = xsn_tb_word(seq, k);
		got = 0;
		memcpy(&got, (const u8 *)data + 8 * k, len % 8);
		memset((u8 *)&w + len % 8, 0, 8 - len % 8);
		if (got != w)
			return false;
	}
	return true;
}

static inline void xsn_tb_attach(struct xsn_tb *tb, void *sring, unsigned int start)
{
	BACK_RING_ATTACH(&tb->back, (struct xen_netif_rx_sring *)sring, start, XEN_PAGE_SIZE);
}

/*
 * Takes up to @max new requests off the ring into the held queue; returns
 * how many.  A req_prod that claims more requests than the ring holds sets
 * @overflow and takes nothing.
 */
static inline unsigned int xsn_tb_take(struct xsn_tb *tb, unsigned int max)
{
	RING_IDX rc = tb->back.req_cons;
	RING_IDX rp = READ_ONCE(tb->back.sring->req_prod);
	unsigned int n = 0;

	if (RING_REQUEST_PROD_OVERFLOW(&tb->back, rp)) {
		tb->overflow = true;
		return 0;
	}
	virt_rmb();
	while (rc != rp && n < max && tb->held_count < XSN_TB_HELD) {
		struct xen_netif_rx_request *req =
			&tb->held[(tb->held_head + tb->held_count) % XSN_TB_HELD];

		RING_COPY_REQUEST(&tb->back, rc, req);
		rc++;
		tb->held_count++;
		n++;
	}
	tb->back.req_cons = rc;
	return n;
}

/* RING_FINAL_CHECK_FOR_REQUESTS: true when requests are waiting. */
static inline bool xsn_tb_final_check(struct xsn_tb *tb)
{
	int more;

	RING_FINAL_CHECK_FOR_REQUESTS(&tb->back, more);
	return more;
}

/*
 * Answers up to @max held requests with the next packets, in batches of
 * XSN_TB_BATCH copies; pushes the responses after each batch and notifies
 * when the frontend asked for it.  Returns how many were answered.
 */
static inline unsigned int xsn_tb_answer(struct xsn_tb *tb, unsigned int max)
{
	unsigned int done = 0;

	while (done < max && tb->held_count) {
		unsigned int n = 0, i;
		int notify;

		while (n < XSN_TB_BATCH && done + n < max && n < tb->held_count) {
			const struct xen_netif_rx_request *req =
				&tb->held[(tb->held_head + n) % XSN_TB_HELD];
			struct xsn_tb_copy *op = &tb->ops[n];
			u64 seq = tb->next_seq + n;

			xsn_tb_shape(seq, &op->offset, &op->len);
			op->gref = req->gref;
			op->src = (u8 *)tb->staging[n] + op->offset;
			op->status = 0;
			xsn_tb_fill(op->src, seq, op->len);
			n++;
		}
		tb->copy(tb, tb->ops, n);
		for (i = 0; i < n; i++) {
			const struct xen_netif_rx_request *req = &tb->held[tb->held_head];
			struct xen_netif_rx_response *rsp =
				RING_GET_RESPONSE(&tb->back, tb->back.rsp_prod_pvt);

			rsp->id = req->id;
			rsp->offset = tb->ops[i].offset;
			rsp->flags = 0;
			if (tb->ops[i].status) {
				tb->copy_errors++;
				rsp->status = XEN_NETIF_RSP_ERROR;
			} else {
				rsp->status = tb->ops[i].len;
				tb->bytes += tb->ops[i].len;
			}
			tb->back.rsp_prod_pvt++;
			tb->held_head = (tb->held_head + 1) % XSN_TB_HELD;
			tb->held_count--;
		}
		tb->next_seq += n;
		tb->answered += n;
		done += n;
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&tb->back, notify);
		if (notify) {
			tb->notifies++;
			tb->notify(tb);
		}
	}
	return done;
}

#endif /* XSN_TEST_BACKEND_H */
