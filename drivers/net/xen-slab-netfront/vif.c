// SPDX-License-Identifier: GPL-2.0
/*
 * xen_slab_vif: a xenbus frontend for Xen "vif" devices whose rx and tx
 * rings run on xen_slab_cache (xsn_rx and xsn_tx of xen_slab_netfront), for
 * the stock xen-netback or any backend that speaks the netif protocol.
 *
 * One queue, one event channel for both rings, NAPI for rx and for tx
 * completions.  Negotiated: request-rx-copy (required), feature-rx-notify,
 * checksum offload in both directions (IPv4; IPv6 too when the backend
 * offers feature-ipv6-csum-offload), scatter-gather and TCP GSO: received
 * packets of several slots with GSO extra info (feature-sg,
 * feature-gso-tcpv4/-tcpv6 always written), sent ones when the backend
 * offers feature-sg and feature-gso-tcpv4/-tcpv6.  Not offered: split event
 * channels, multiple queues, XDP, the control ring, an MTU over 1500.
 *
 * The xenbus state machine is xen-netfront's: connect when the backend
 * waits (InitWait), close when it closes; in addition a frontend that the
 * backend left connects again when the backend comes back (InitWait after
 * Closed), and a rebound device starts over from Initialising.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/if_ether.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <net/tcp.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/platform_pci.h>
#include <xen/xen.h>
#include <xen/xenbus.h>
#include <xen/interface/io/netif.h>

#include <xsc_compat.h>

#include "xsn_xen.h"

static bool persistent_grants = true;
module_param(persistent_grants, bool, 0644);
MODULE_PARM_DESC(persistent_grants,
		 "grant rx and tx buffers once, when their cache constructs them (Y, default), or per packet (N); read at each connect");

/* How long remove() waits for each backend state change, as xen-netfront. */
#define XSV_TIMEOUT_MS 5000
#define XSV_CLOSE_TRIES 3
/* Refill retry when the rx ring ran dry for want of buffers. */
#define XSV_REFILL_RETRY (HZ / 10)

struct xsv_info {
	struct xenbus_device *xdev;
	struct net_device *dev;
	struct napi_struct napi;
	/* Serialises xsn_tx_send/push/poll/rearm and the tx pointer. */
	spinlock_t tx_lock;
	/* Guards rx/tx against the stats reader while (dis)connecting. */
	spinlock_t stats_lock;
	struct xsn_rx *rx;
	struct xsn_tx *tx;
	void *rx_sring;
	void *tx_sring;
	grant_ref_t rx_ref;
	grant_ref_t tx_ref;
	evtchn_port_t port;
	int irq;
	char *irq_name;
	struct timer_list refill_timer;
	enum xsn_grant_mode mode;
	/* The backend takes and sends IPv6 frames with a blank checksum. */
	bool ipv6_csum;
	/* The backend takes packets over several slots, and GSO packets. */
	bool can_sg;
	bool gso_tcpv4;
	bool gso_tcpv6;
	/* Counters of earlier connections, folded in at disconnect. */
	struct rtnl_link_stats64 base;
	atomic64_t rx_dropped;
	atomic64_t tx_dropped;
	atomic64_t irqs;
	atomic64_t spurious;
	unsigned int connects;
	bool poked;		/* Initialising said again once (backend_changed) */
	struct dentry *debugfs;
};

/* /sys/kernel/debug/xen_slab_vif/: one file per device, its rings' counters. */
static struct dentry *xsv_debugfs_dir;

static int xsv_grant(void *ctx, void *page, unsigned int *ref)
{
	struct xsv_info *info = ctx;

	return xsn_grant_page(info->xdev->otherend_id, page, false, ref);
}

static int xsv_grant_ro(void *ctx, void *page, unsigned int *ref)
{
	struct xsv_info *info = ctx;

	return xsn_grant_page(info->xdev->otherend_id, page, true, ref);
}

static int xsv_end_grant(void *ctx, unsigned int ref, void *page)
{
	return xsn_end_grant_page(ref, page);
}

static void xsv_notify(void *ctx)
{
	struct xsv_info *info = ctx;

	notify_remote_via_irq(info->irq);
}

static const struct xsn_transport_ops xsv_rx_ops = {
	.grant = xsv_grant,
	.end_grant = xsv_end_grant,
	.notify = xsv_notify,
};

static const struct xsn_transport_ops xsv_tx_ops = {
	.grant = xsv_grant_ro,
	.end_grant = xsv_end_grant,
	.notify = xsv_notify,
};

/* Bytes of a received packet copied into the skb's head; the rest goes to frags. */
#define XSV_RX_HEAD 256U

/* Copies @len bytes from offset @off of @pkt's slots to @dst. */
static void xsv_copy_out(const struct xsn_packet *pkt, unsigned int off, void *dst,
			 unsigned int len)
{
	unsigned int i = 0;

	while (off >= pkt->frags[i].len) {
		off -= pkt->frags[i].len;
		i++;
	}
	while (len) {
		unsigned int n = min(len, pkt->frags[i].len - off);

		memcpy(dst, (const u8 *)pkt->frags[i].data + off, n);
		dst += n;
		len -= n;
		off = 0;
		i++;
	}
}

/*
 * A new frag of @len bytes (at most a page) at the end of @skb, taken from
 * the CPU's NAPI fragment cache (a page allocation per 32 KiB rather than
 * per frag, as drivers that copy do); its data, for the caller to fill, or
 * NULL without memory or frags.
 */
static void *xsv_new_frag(struct sk_buff *skb, unsigned int len)
{
	struct page *page;
	void *data;

	if (skb_shinfo(skb)->nr_frags == MAX_SKB_FRAGS)
		return NULL;
	data = napi_alloc_frag(len);
	if (!data)
		return NULL;
	page = virt_to_head_page(data);
	skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, data - page_address(page), len,
			SKB_DATA_ALIGN(len));
	return data;
}

/* A frag of @skb holding a copy of @len bytes at @src; false without memory. */
static bool xsv_add_frag(struct sk_buff *skb, const void *src, unsigned int len)
{
	void *data = xsv_new_frag(skb, len);

	if (!data)
		return false;
	memcpy(data, src, len);
	return true;
}

/*
 * Called by xsn_rx_poll() for each valid packet, in NAPI context.  A copy:
 * in the kept-grant mode the backend can still write the buffers, and they
 * go back to their cache when this returns.  A packet up to a page goes
 * whole into the skb's head; a bigger one has its first XSV_RX_HEAD bytes
 * there (taken across slots if the first is shorter, so that the Ethernet
 * header is always in the head) and each slot's data (the first slot's
 * rest) in a frag of its own, or, when the first slot is shorter than the
 * head or there are more slots than an skb has frags, the rest packed a
 * page per frag; frags come from the NAPI fragment cache (xsv_new_frag()).
 */
static void xsv_deliver(void *arg, const struct xsn_packet *pkt)
{
	struct xsv_info *info = arg;
	unsigned int len = pkt->len, head, off, i;
	const struct xsn_frag *f0 = &pkt->frags[0];
	struct sk_buff *skb;

	if (len < ETH_HLEN)
		goto drop;
	head = len <= PAGE_SIZE ? len : XSV_RX_HEAD;
	skb = napi_alloc_skb(&info->napi, head);
	if (!skb)
		goto drop;
	xsv_copy_out(pkt, 0, skb_put(skb, head), head);
	if (head == len) {
		/* Whole in the head. */
	} else if (head <= f0->len && pkt->nr_frags - (head == f0->len) <= MAX_SKB_FRAGS) {
		if (head < f0->len &&
		    !xsv_add_frag(skb, (const u8 *)f0->data + head, f0->len - head))
			goto free;
		for (i = 1; i < pkt->nr_frags; i++)
			if (!xsv_add_frag(skb, pkt->frags[i].data, pkt->frags[i].len))
				goto free;
	} else {
		for (off = head; off < len; off += PAGE_SIZE) {
			unsigned int n = min_t(unsigned int, len - off, PAGE_SIZE);
			void *data = xsv_new_frag(skb, n);

			if (!data)
				goto free;
			xsv_copy_out(pkt, off, data, n);
		}
	}
	skb->protocol = eth_type_trans(skb, info->dev);
	/* skb_checksum_setup() finds the IP header through it. */
	skb_reset_network_header(skb);
	if (pkt->gso_type) {
		skb_shinfo(skb)->gso_size = pkt->gso_size;
		skb_shinfo(skb)->gso_type = pkt->gso_type == XSN_GSO_TCPV4 ? SKB_GSO_TCPV4 :
									  SKB_GSO_TCPV6;
		/* The stack checks the headers and counts the segments. */
		skb_shinfo(skb)->gso_type |= SKB_GSO_DODGY;
		skb_shinfo(skb)->gso_segs = 0;
	}
	if (pkt->flags & XEN_NETRXF_csum_blank) {
		skb->ip_summed = CHECKSUM_PARTIAL;
		if (skb_checksum_setup(skb, false))
			goto free;
	} else if (pkt->gso_type) {
		/*
		 * A GSO packet whose checksum the backend validated but did not
		 * blank (LRO by its NIC): the stack needs a partial one, so the
		 * pseudo-header checksum is computed here, as xen-netfront does.
		 */
		skb->ip_summed = CHECKSUM_PARTIAL;
		if (skb_checksum_setup(skb, true))
			goto free;
	} else if (pkt->flags & XEN_NETRXF_data_validated) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
	napi_gro_receive(&info->napi, skb);
	return;
free:
	kfree_skb(skb);
drop:
	atomic64_inc(&info->rx_dropped);
}

/* Tx completions: recycle buffers, wake the queue once there is room. */
static void xsv_tx_complete(struct xsv_info *info)
{
	spin_lock(&info->tx_lock);
	xsn_tx_poll(info->tx, INT_MAX);
	if (netif_queue_stopped(info->dev) && xsn_tx_space(info->tx) >= XSN_TX_MAX_SLOTS)
		netif_wake_queue(info->dev);
	spin_unlock(&info->tx_lock);
}

static int xsv_poll(struct napi_struct *napi, int budget)
{
	struct xsv_info *info = container_of(napi, struct xsv_info, napi);
	bool more;
	int done;

	/* Scheduled while a connect was half way: nothing to do yet. */
	if (!READ_ONCE(info->rx)) {
		napi_complete_done(napi, 0);
		return 0;
	}
	xsv_tx_complete(info);
	done = xsn_rx_poll(info->rx, budget);
	if (xsn_rx_starved(info->rx))
		mod_timer(&info->refill_timer, jiffies + XSV_REFILL_RETRY);
	if (done < budget && napi_complete_done(napi, done)) {
		spin_lock(&info->tx_lock);
		more = xsn_tx_rearm(info->tx);
		spin_unlock(&info->tx_lock);
		if (xsn_rx_rearm(info->rx) || more)
			napi_schedule(napi);
	}
	return done;
}

static void xsv_refill_timeout(struct timer_list *t)
{
	struct xsv_info *info = timer_container_of(info, t, refill_timer);

	napi_schedule(&info->napi);
}

static irqreturn_t xsv_interrupt(int irq, void *dev_id)
{
	struct xsv_info *info = dev_id;
	struct xsn_rx *rx = READ_ONCE(info->rx);
	struct xsn_tx *tx = READ_ONCE(info->tx);
	unsigned int eoi = XEN_EOI_FLAG_SPURIOUS;

	atomic64_inc(&info->irqs);
	/* Bound before the queues are published (connect) and unbound before they go. */
	if (rx && tx && (xsn_rx_has_work(rx) || xsn_tx_has_work(tx))) {
		napi_schedule(&info->napi);
		eoi = 0;
	} else {
		atomic64_inc(&info->spurious);
	}
	xen_irq_lateeoi(irq, eoi);
	return IRQ_HANDLED;
}

static netdev_tx_t xsv_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct xsv_info *info = netdev_priv(dev);
	struct xsn_frag frags[MAX_SKB_FRAGS + 1];
	unsigned int flags = 0, gso_type = XSN_GSO_NONE, gso_size = 0, nr = 0, i;
	int err = -ENOTCONN;

	/*
	 * A partial checksum (TCP or UDP, NETIF_F_IP_CSUM/IPV6_CSUM) is the
	 * backend's to fill in, as with xen-netfront.
	 */
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		flags = XSN_TXF_CSUM_BLANK | XSN_TXF_DATA_VALIDATED;
	else if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		flags = XSN_TXF_DATA_VALIDATED;
	if (skb_is_gso(skb)) {
		/* NETIF_F_TSO and _TSO6 only: the stack segments anything else. */
		if (skb_shinfo(skb)->gso_type & SKB_GSO_TCPV4)
			gso_type = XSN_GSO_TCPV4;
		else if (skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6)
			gso_type = XSN_GSO_TCPV6;
		else
			goto drop;
		gso_size = skb_shinfo(skb)->gso_size;
	}
	if (skb_has_frag_list(skb) && skb_linearize(skb))
		goto drop;
	frags[nr].data = skb->data;
	frags[nr++].len = skb_headlen(skb);
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		frags[nr].data = skb_frag_address(frag);
		frags[nr++].len = skb_frag_size(frag);
	}
	spin_lock(&info->tx_lock);
	if (info->tx) {
		err = xsn_tx_send_packet(info->tx, frags, nr, flags, gso_type, gso_size);
		/* Room for the largest packet, or the queue waits for completions. */
		if (xsn_tx_space(info->tx) < XSN_TX_MAX_SLOTS)
			netif_stop_queue(dev);
		if (!netdev_xmit_more() || netif_queue_stopped(dev))
			xsn_tx_push(info->tx);
	}
	spin_unlock(&info->tx_lock);
	if (err)
		goto drop;
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
drop:
	atomic64_inc(&info->tx_dropped);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static int xsv_open(struct net_device *dev)
{
	struct xsv_info *info = netdev_priv(dev);

	napi_enable(&info->napi);
	netif_start_queue(dev);
	/* Post the rx buffers and look for work that came while down. */
	local_bh_disable();
	napi_schedule(&info->napi);
	local_bh_enable();
	return 0;
}

static int xsv_close(struct net_device *dev)
{
	struct xsv_info *info = netdev_priv(dev);

	netif_tx_disable(dev);
	napi_disable(&info->napi);
	return 0;
}

static void xsv_add_stats(struct rtnl_link_stats64 *tot, const struct xsn_rx_stats *rx,
			  const struct xsn_tx_stats *tx)
{
	tot->rx_packets += rx->packets;
	tot->rx_bytes += rx->bytes;
	tot->tx_packets += tx->packets;
	tot->tx_bytes += tx->bytes;
	tot->tx_errors += tx->errors;
	tot->tx_dropped += tx->dropped;
}

static void xsv_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *tot)
{
	struct xsv_info *info = netdev_priv(dev);
	struct xsn_rx_stats rx;
	struct xsn_tx_stats tx;

	spin_lock_bh(&info->stats_lock);
	*tot = info->base;
	if (info->rx && info->tx) {
		xsn_rx_get_stats(info->rx, &rx);
		xsn_tx_get_stats(info->tx, &tx);
		xsv_add_stats(tot, &rx, &tx);
	}
	spin_unlock_bh(&info->stats_lock);
	tot->rx_dropped += atomic64_read(&info->rx_dropped);
	tot->tx_dropped += atomic64_read(&info->tx_dropped);
}

static netdev_features_t xsv_fix_features(struct net_device *dev, netdev_features_t features)
{
	struct xsv_info *info = netdev_priv(dev);

	if (!info->ipv6_csum)
		features &= ~(NETIF_F_IPV6_CSUM | NETIF_F_TSO6);
	if (!info->can_sg)
		features &= ~(NETIF_F_SG | NETIF_F_TSO | NETIF_F_TSO6);
	if (!info->gso_tcpv4)
		features &= ~NETIF_F_TSO;
	if (!info->gso_tcpv6)
		features &= ~NETIF_F_TSO6;
	return features;
}

static const struct net_device_ops xsv_netdev_ops = {
	.ndo_fix_features = xsv_fix_features,
	.ndo_open = xsv_open,
	.ndo_stop = xsv_close,
	.ndo_start_xmit = xsv_start_xmit,
	.ndo_get_stats64 = xsv_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static int xsv_read_mac(struct xsv_info *info)
{
	u8 mac[ETH_ALEN];
	char *s, end;
	bool ok;

	s = xenbus_read(XBT_NIL, info->xdev->nodename, "mac", NULL);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ok = strlen(s) == 17 &&
	     sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &mac[0], &mac[1], &mac[2], &mac[3],
		    &mac[4], &mac[5], &end) == ETH_ALEN &&
	     is_valid_ether_addr(mac);
	kfree(s);
	if (!ok)
		return -EINVAL;
	eth_hw_addr_set(info->dev, mac);
	return 0;
}

static int xsv_stats_show(struct seq_file *m, void *unused)
{
	struct xsv_info *info = m->private;
	struct xsn_rx_stats rx;
	struct xsn_tx_stats tx;
	bool connected;

	spin_lock_bh(&info->stats_lock);
	connected = info->rx && info->tx;
	if (connected) {
		xsn_rx_get_stats(info->rx, &rx);
		xsn_tx_get_stats(info->tx, &tx);
	}
	spin_unlock_bh(&info->stats_lock);
	seq_printf(m, "connects %u irqs %lld spurious %lld rx_dropped %lld tx_dropped %lld\n",
		   info->connects, (long long)atomic64_read(&info->irqs),
		   (long long)atomic64_read(&info->spurious),
		   (long long)atomic64_read(&info->rx_dropped),
		   (long long)atomic64_read(&info->tx_dropped));
	if (!connected) {
		seq_puts(m, "not connected\n");
		return 0;
	}
	seq_printf(m, "grants %s\n", info->mode == XSN_GRANT_PERSISTENT ? "kept" : "per-request");
	seq_printf(m, "rx packets %llu bytes %llu gso_packets %llu grant_ops %llu grants_active %llu requests %llu outstanding %llu notifies %llu polls %llu buffer_shortfalls %llu broken %s\n",
		   rx.packets, rx.bytes, rx.gso_packets, rx.grant_ops, rx.grants_active, rx.requests,
		   rx.outstanding, rx.notifies, rx.polls, rx.buffer_shortfalls,
		   xsn_broken_name(rx.broken));
	seq_printf(m, "tx packets %llu bytes %llu gso_packets %llu errors %llu dropped %llu grant_ops %llu grants_active %llu requests %llu outstanding %llu notifies %llu ring_full %llu buffer_shortfalls %llu broken %s\n",
		   tx.packets, tx.bytes, tx.gso_packets, tx.errors, tx.dropped, tx.grant_ops, tx.grants_active,
		   tx.requests, tx.outstanding, tx.notifies, tx.ring_full, tx.buffer_shortfalls,
		   xsn_broken_name(tx.broken));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xsv_stats);

/* The final counters of a connection's rings, for the log and the tests. */
static void xsv_report(struct xsv_info *info, const struct xsn_rx_stats *rx,
		       const struct xsn_tx_stats *tx, unsigned int deferred)
{
	dev_info(&info->xdev->dev,
		 "disconnected (%s grants): rx packets %llu bytes %llu gso_packets %llu grant_ops %llu grants_active %llu buffers_in_use %llu broken %s; tx packets %llu bytes %llu gso_packets %llu errors %llu dropped %llu grant_ops %llu grants_active %llu buffers_in_use %llu broken %s; deferred grant ends %u\n",
		 info->mode == XSN_GRANT_PERSISTENT ? "kept" : "per-request", rx->packets,
		 rx->bytes, rx->gso_packets, rx->grant_ops, rx->grants_active,
		 rx->buffers.in_use + rx->reqs.in_use, xsn_broken_name(rx->broken), tx->packets,
		 tx->bytes, tx->gso_packets, tx->errors, tx->dropped,
		 tx->grant_ops, tx->grants_active, tx->buffers.in_use + tx->reqs.in_use,
		 xsn_broken_name(tx->broken), deferred);
}

/* Ends the grant of a ring page and frees it, or leaves that to the grant table. */
static unsigned int xsv_free_ring(void **sring, grant_ref_t *ref)
{
	unsigned int deferred = 0;

	if (*ref != INVALID_GRANT_REF) {
		if (!gnttab_try_end_foreign_access(*ref)) {
			/* The backend still maps it: freed when it lets go. */
			gnttab_end_foreign_access(*ref, virt_to_page(*sring));
			*sring = NULL;
			deferred = 1;
		}
		*ref = INVALID_GRANT_REF;
	}
	if (*sring)
		free_page((unsigned long)*sring);
	*sring = NULL;
	return deferred;
}

/*
 * Tears the rings down: carrier off, no xmit, no poll, no interrupt; then
 * every grant ends (deferred where the backend still maps a page) and the
 * caches go.  Safe on a half-made connection.
 */
static void xsv_disconnect(struct xsv_info *info)
{
	struct xsn_rx_stats rx = {};
	struct xsn_tx_stats tx = {};
	struct xsn_rx *rxq;
	struct xsn_tx *txq;
	unsigned int deferred;
	bool running;

	rtnl_lock();
	running = netif_running(info->dev);
	netif_carrier_off(info->dev);
	netif_tx_disable(info->dev);
	if (running)
		napi_disable(&info->napi);
	if (info->irq >= 0) {
		unbind_from_irqhandler(info->irq, info);
		info->irq = -1;
	}
	timer_delete_sync(&info->refill_timer);

	spin_lock_bh(&info->stats_lock);
	spin_lock(&info->tx_lock);
	rxq = info->rx;
	txq = info->tx;
	info->rx = NULL;
	info->tx = NULL;
	spin_unlock(&info->tx_lock);
	spin_unlock_bh(&info->stats_lock);

	/* The buffer caches' destructors end the kept grants. */
	xsn_tx_destroy(txq, &tx);
	xsn_rx_destroy(rxq, &rx);
	deferred = rx.grant_ends_deferred + tx.grant_ends_deferred;
	deferred += xsv_free_ring(&info->rx_sring, &info->rx_ref);
	deferred += xsv_free_ring(&info->tx_sring, &info->tx_ref);
	if (rxq && txq) {
		spin_lock_bh(&info->stats_lock);
		xsv_add_stats(&info->base, &rx, &tx);
		spin_unlock_bh(&info->stats_lock);
		xsv_report(info, &rx, &tx, deferred);
	}
	if (running)
		napi_enable(&info->napi);
	rtnl_unlock();
}

static int xsv_alloc_ring(struct xsv_info *info, void **sring, grant_ref_t *ref, bool tx)
{
	unsigned int r;
	int err;

	*sring = (void *)get_zeroed_page(GFP_KERNEL);
	if (!*sring)
		return -ENOMEM;
	if (tx)
		xsn_tx_sring_init(*sring, 0);
	else
		xsn_sring_init(*sring, 0);
	err = xsn_grant_page(info->xdev->otherend_id, *sring, false, &r);
	if (err)
		return err;
	*ref = r;
	return 0;
}

/*
 * Nodes of the frontend's directory that this driver does not write but an
 * earlier driver of the same device may have (xen-netfront before a rebind):
 * left in place, the backend would read another frontend's rings from them.
 */
static const char *const xsv_foreign_nodes[] = {
	"multi-queue-num-queues", "event-channel-tx", "event-channel-rx", "xdp-headroom",
};

static int xsv_remove_foreign_nodes(struct xsv_info *info, struct xenbus_transaction xbt)
{
	struct xenbus_device *xdev = info->xdev;
	unsigned int i, queues;
	char node[16];
	int err;

	for (i = 0; i < ARRAY_SIZE(xsv_foreign_nodes); i++) {
		err = xenbus_rm(xbt, xdev->nodename, xsv_foreign_nodes[i]);
		if (err && err != -ENOENT)
			return err;
	}
	queues = xenbus_read_unsigned(xdev->otherend, "multi-queue-max-queues", 1);
	for (i = 0; i < min(queues, 256U); i++) {
		snprintf(node, sizeof(node), "queue-%u", i);
		err = xenbus_rm(xbt, xdev->nodename, node);
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
}

/* What the frontend says of itself: what it needs and what it does not do. */
static const struct {
	const char *node;
	const char *value;
} xsv_features[] = {
	{ "request-rx-copy", "1" },
	{ "feature-rx-notify", "1" },
	{ "feature-sg", "1" },
	{ "feature-gso-tcpv4", "1" },
	{ "feature-gso-tcpv6", "1" },
	{ "feature-no-csum-offload", "0" },
	{ "feature-ipv6-csum-offload", "1" },
};

static int xsv_publish(struct xsv_info *info)
{
	struct xenbus_device *xdev = info->xdev;
	struct xenbus_transaction xbt;
	const char *what;
	unsigned int i;
	int err;

again:
	err = xenbus_transaction_start(&xbt);
	if (err) {
		xenbus_dev_fatal(xdev, err, "starting transaction");
		return err;
	}
	what = "nodes of an earlier frontend";
	err = xsv_remove_foreign_nodes(info, xbt);
	if (!err) {
		what = "tx-ring-ref";
		err = xenbus_printf(xbt, xdev->nodename, what, "%u", info->tx_ref);
	}
	if (!err) {
		what = "rx-ring-ref";
		err = xenbus_printf(xbt, xdev->nodename, what, "%u", info->rx_ref);
	}
	if (!err) {
		what = "event-channel";
		err = xenbus_printf(xbt, xdev->nodename, what, "%u", info->port);
	}
	for (i = 0; !err && i < ARRAY_SIZE(xsv_features); i++) {
		what = xsv_features[i].node;
		err = xenbus_write(xbt, xdev->nodename, what, xsv_features[i].value);
	}
	if (err) {
		xenbus_transaction_end(xbt, 1);
		xenbus_dev_fatal(xdev, err, "writing %s", what);
		return err;
	}
	err = xenbus_transaction_end(xbt, 0);
	if (err == -EAGAIN)
		goto again;
	if (err)
		xenbus_dev_fatal(xdev, err, "completing transaction");
	return err;
}

/* Builds the rings and publishes them; the backend waits in InitWait. */
static int xsv_connect(struct xsv_info *info)
{
	struct xenbus_device *xdev = info->xdev;
	struct xsn_rx_args rargs = {};
	struct xsn_tx_args targs = {};
	struct xsn_rx_stats rs;
	struct xsn_tx_stats ts;
	struct xsn_rx *rx = NULL;
	struct xsn_tx *tx = NULL;
	char name[XEN_SLAB_CACHE_NAME_LEN];
	int err;

	if (!xenbus_read_unsigned(xdev->otherend, "feature-rx-copy", 0)) {
		xenbus_dev_fatal(xdev, -ENODEV, "backend does not offer feature-rx-copy");
		return -ENODEV;
	}
	rtnl_lock();
	err = xsv_read_mac(info);
	info->ipv6_csum = xenbus_read_unsigned(xdev->otherend, "feature-ipv6-csum-offload", 0);
	info->can_sg = xenbus_read_unsigned(xdev->otherend, "feature-sg", 0);
	info->gso_tcpv4 = xenbus_read_unsigned(xdev->otherend, "feature-gso-tcpv4", 0);
	info->gso_tcpv6 = xenbus_read_unsigned(xdev->otherend, "feature-gso-tcpv6", 0);
	netdev_update_features(info->dev);
	rtnl_unlock();
	if (err) {
		xenbus_dev_fatal(xdev, err, "reading %s/mac", xdev->nodename);
		return err;
	}
	info->mode = READ_ONCE(persistent_grants) ? XSN_GRANT_PERSISTENT : XSN_GRANT_PER_REQUEST;
	err = xsv_alloc_ring(info, &info->tx_sring, &info->tx_ref, true);
	if (!err)
		err = xsv_alloc_ring(info, &info->rx_sring, &info->rx_ref, false);
	if (err) {
		xenbus_dev_fatal(xdev, err, "granting the rings");
		goto fail;
	}

	snprintf(name, sizeof(name), "%s", dev_name(&xdev->dev));
	targs.mode = info->mode;
	targs.sring = info->tx_sring;
	targs.sg = info->can_sg;
	if (info->can_sg && info->gso_tcpv4)
		targs.gso_types |= 1U << XSN_GSO_TCPV4;
	if (info->can_sg && info->gso_tcpv6)
		targs.gso_types |= 1U << XSN_GSO_TCPV6;
	targs.ops = &xsv_tx_ops;
	targs.ops_ctx = info;
	err = xsn_tx_create(name, &targs, &tx);
	if (err)
		goto fail_create;
	rargs.mode = info->mode;
	rargs.sring = info->rx_sring;
	rargs.sg = true;
	rargs.ops = &xsv_rx_ops;
	rargs.ops_ctx = info;
	rargs.deliver = xsv_deliver;
	rargs.deliver_arg = info;
	err = xsn_rx_create(name, &rargs, &rx);
	if (err)
		goto fail_create;
	/* A deferred grant end pins one page: the buffers must be order-0 slabs. */
	xsn_rx_get_stats(rx, &rs);
	xsn_tx_get_stats(tx, &ts);
	if (WARN_ON_ONCE(rs.buffers.slab_order || ts.buffers.slab_order)) {
		err = -EINVAL;
		goto fail_create;
	}
	/* The irq first: the queues notify through it as soon as a poll sees them. */
	err = xenbus_alloc_evtchn(xdev, &info->port);
	if (err)
		goto fail_unpublished;
	err = bind_evtchn_to_irqhandler_lateeoi(info->port, xsv_interrupt, 0, info->irq_name,
						info);
	if (err < 0) {
		xenbus_free_evtchn(xdev, info->port);
		xenbus_dev_fatal(xdev, err, "binding the event channel");
		goto fail_unpublished;
	}
	info->irq = err;
	spin_lock_bh(&info->stats_lock);
	spin_lock(&info->tx_lock);
	WRITE_ONCE(info->rx, rx);
	WRITE_ONCE(info->tx, tx);
	spin_unlock(&info->tx_lock);
	spin_unlock_bh(&info->stats_lock);
	err = xsv_publish(info);
	if (err)
		goto fail;

	rtnl_lock();
	info->connects++;
	netif_carrier_on(info->dev);
	if (netif_running(info->dev)) {
		netif_wake_queue(info->dev);
		local_bh_disable();
		napi_schedule(&info->napi);
		local_bh_enable();
	}
	rtnl_unlock();
	dev_info(&xdev->dev,
		 "connected to domain %d: %pM, %s grants, rx ring %u, tx ring %u, tx sg %d gso tcpv4 %d tcpv6 %d\n",
		 xdev->otherend_id, info->dev->dev_addr,
		 info->mode == XSN_GRANT_PERSISTENT ? "kept" : "per-request", info->rx_ref,
		 info->tx_ref, info->can_sg, !!(targs.gso_types & (1U << XSN_GSO_TCPV4)),
		 !!(targs.gso_types & (1U << XSN_GSO_TCPV6)));
	return 0;

fail_create:
	xenbus_dev_fatal(xdev, err, "creating the queues");
fail_unpublished:
	if (info->irq >= 0) {
		unbind_from_irqhandler(info->irq, info);
		info->irq = -1;
	}
	xsn_rx_destroy(rx, NULL);
	xsn_tx_destroy(tx, NULL);
fail:
	xsv_disconnect(info);
	return err;
}

static void xsv_backend_changed(struct xenbus_device *xdev, enum xenbus_state backend_state)
{
	struct xsv_info *info = dev_get_drvdata(&xdev->dev);

	dev_dbg(&xdev->dev, "backend %s, frontend %s\n", xenbus_strstate(backend_state),
		xenbus_strstate(xdev->state));

	switch (backend_state) {
	case XenbusStateInitialising:
	case XenbusStateInitialised:
	case XenbusStateReconfiguring:
	case XenbusStateReconfigured:
	case XenbusStateUnknown:
		break;

	case XenbusStateInitWait:
		/* A backend that comes back finds the frontend Closed. */
		if (xdev->state == XenbusStateClosed) {
			xsv_disconnect(info);
			xenbus_switch_state(xdev, XenbusStateInitialising);
		}
		if (xdev->state != XenbusStateInitialising)
			break;
		if (xsv_connect(info))
			break;
		xenbus_switch_state(xdev, XenbusStateConnected);
		break;

	case XenbusStateConnected:
		netdev_notify_peers(info->dev);
		break;

	case XenbusStateClosed:
		if (xdev->state == XenbusStateInitialising && !info->poked) {
			/*
			 * A device bound again while its backend was still
			 * closing: xen-netback answers Initialising with
			 * InitWait only once it is Closed, so say it again.
			 */
			info->poked = true;
			xenbus_printf(XBT_NIL, xdev->nodename, "state", "%d", XenbusStateInitialising);
			break;
		}
		if (xdev->state == XenbusStateClosed) {
			/* The backend let go of the rings: free them now. */
			xsv_disconnect(info);
			break;
		}
		fallthrough;	/* missed the backend's Closing */
	case XenbusStateClosing:
		rtnl_lock();
		netif_carrier_off(info->dev);
		rtnl_unlock();
		xenbus_frontend_closed(xdev);
		break;
	}
}

/* The backend's state node (xenbus_read_driver_state() changed its arguments in 7.x). */
static enum xenbus_state xsv_backend_state(struct xenbus_device *xdev)
{
	return xenbus_read_unsigned(xdev->otherend, "state", XenbusStateUnknown);
}

/*
 * Whether the backend reached state @a or @b (or vanished) within
 * XSV_TIMEOUT_MS.  Polled: by the time remove() runs, xenbus no longer
 * watches the backend's state for this device.
 */
static bool xsv_wait_backend(struct xenbus_device *xdev, enum xenbus_state a,
			     enum xenbus_state b)
{
	unsigned int ms;

	for (ms = 0; ms <= XSV_TIMEOUT_MS; ms += 20) {
		enum xenbus_state s = xsv_backend_state(xdev);

		if (s == a || s == b || s == XenbusStateUnknown)
			return true;
		msleep(20);
	}
	return false;
}

/* Closing, then Closed, each answered by the backend or given up on. */
static void xsv_bus_close(struct xenbus_device *xdev)
{
	int i;

	if (xsv_backend_state(xdev) == XenbusStateClosed)
		return;
	for (i = 0; i < XSV_CLOSE_TRIES; i++) {
		xenbus_switch_state(xdev, XenbusStateClosing);
		if (xsv_wait_backend(xdev, XenbusStateClosing, XenbusStateClosed))
			break;
	}
	if (xsv_backend_state(xdev) == XenbusStateClosed)
		return;
	for (i = 0; i < XSV_CLOSE_TRIES; i++) {
		xenbus_switch_state(xdev, XenbusStateClosed);
		if (xsv_wait_backend(xdev, XenbusStateClosed, XenbusStateClosed))
			return;
	}
	dev_warn(&xdev->dev, "backend did not close; grants it still maps end later\n");
}

static int xsv_probe(struct xenbus_device *xdev, const struct xenbus_device_id *id)
{
	struct net_device *dev;
	struct xsv_info *info;
	int err;

	dev = alloc_etherdev(sizeof(*info));
	if (!dev)
		return -ENOMEM;
	info = netdev_priv(dev);
	info->xdev = xdev;
	info->dev = dev;
	info->irq = -1;
	info->rx_ref = INVALID_GRANT_REF;
	info->tx_ref = INVALID_GRANT_REF;
	spin_lock_init(&info->tx_lock);
	spin_lock_init(&info->stats_lock);
	timer_setup(&info->refill_timer, xsv_refill_timeout, 0);
	info->irq_name = kasprintf(GFP_KERNEL, "xsv-%s", dev_name(&xdev->dev));
	if (!info->irq_name) {
		err = -ENOMEM;
		goto fail;
	}
	dev->netdev_ops = &xsv_netdev_ops;
	dev->max_mtu = ETH_DATA_LEN;
	dev->hw_features = NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM | NETIF_F_RXCSUM | NETIF_F_SG |
			   NETIF_F_TSO | NETIF_F_TSO6;
	dev->features = dev->hw_features;
	/* The first tx request's size field has 16 bits. */
	netif_set_tso_max_size(dev, XSN_TX_MAX_LEN - MAX_TCP_HEADER);
	SET_NETDEV_DEV(dev, &xdev->dev);
	netif_napi_add(dev, &info->napi, xsv_poll);
	err = xsv_read_mac(info);
	if (err) {
		xenbus_dev_fatal(xdev, err, "reading %s/mac", xdev->nodename);
		goto fail_napi;
	}
	netif_carrier_off(dev);
	err = register_netdev(dev);
	if (err)
		goto fail_napi;
	dev_set_drvdata(&xdev->dev, info);
	info->debugfs = debugfs_create_file(dev_name(&xdev->dev), 0444, xsv_debugfs_dir, info,
					    &xsv_stats_fops);
	/* A device bound again after unbind starts over. */
	if (xdev->state != XenbusStateInitialising)
		xenbus_switch_state(xdev, XenbusStateInitialising);
	return 0;

fail_napi:
	netif_napi_del(&info->napi);
fail:
	kfree(info->irq_name);
	free_netdev(dev);
	return err;
}

/*
 * After a restore (or a live migration) the grant table, the event channel
 * and the backend are new, and every grant reference of the old connection
 * is void.  The rings and both queues go now: their caches' destructors end
 * the old references, which Xen no longer knows, so nothing waits for the
 * old backend.  xenbus puts the device back into Initialising and the new
 * backend's InitWait connects afresh, with buffers granted anew by their
 * caches' constructors: no old reference can reach the new backend.
 */
static int xsv_resume(struct xenbus_device *xdev)
{
	struct xsv_info *info = dev_get_drvdata(&xdev->dev);

	dev_info(&xdev->dev, "resumed: reconnecting\n");
	xsv_disconnect(info);
	return 0;
}

static void xsv_remove(struct xenbus_device *xdev)
{
	struct xsv_info *info = dev_get_drvdata(&xdev->dev);

	debugfs_remove(info->debugfs);
	xsv_bus_close(xdev);
	xsv_disconnect(info);
	unregister_netdev(info->dev);
	netif_napi_del(&info->napi);
	kfree(info->irq_name);
	dev_set_drvdata(&xdev->dev, NULL);
	free_netdev(info->dev);
}

static const struct xenbus_device_id xsv_ids[] = {
	{ "vif" },
	{ "" }
};

static struct xenbus_driver xsv_driver = {
	.name = "xen_slab_vif",
	.ids = xsv_ids,
	.probe = xsv_probe,
	.remove = xsv_remove,
	.resume = xsv_resume,
	.otherend_changed = xsv_backend_changed,
};

static int __init xsv_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	if (!xen_has_pv_nic_devices())
		return -ENODEV;
	xsv_debugfs_dir = debugfs_create_dir("xen_slab_vif", NULL);
	err = xenbus_register_frontend(&xsv_driver);
	if (err)
		debugfs_remove(xsv_debugfs_dir);
	return err;
}
module_init(xsv_init);

static void __exit xsv_exit(void)
{
	xenbus_unregister_driver(&xsv_driver);
	debugfs_remove(xsv_debugfs_dir);
}
module_exit(xsv_exit);

MODULE_DESCRIPTION("Xen vif frontend with rx and tx rings on xen_slab_cache");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen:vif");
