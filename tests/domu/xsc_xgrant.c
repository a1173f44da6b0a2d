// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-domain grants of cached objects, run in a Xen domU and checked from
 * dom0 by tests/domu/xsc-gntcheck.c.  Two ways of granting page-sized
 * objects of a xen_slab_cache to the backend domain are tested:
 *
 *  - kept: the cache's constructor grants the object's page and its
 *    destructor ends the grant, so a free object stays granted while the
 *    cache holds it ("xgrant-kept");
 *  - per request: the object is granted after the get and the grant is
 *    ended before the put ("xgrant-request").
 *
 * Everything runs in module init, which blocks while dom0 checks (up to
 * twice XG_WAIT_MS).  The exchange goes through the guest's own xenstore
 * directory (relative paths, /local/domain/<domid>/...):
 *
 *   guest: data/xsc-grant/refs  = the refs, decimal, space separated,
 *                                 kept first, then per request
 *          data/xsc-grant/count = how many
 *          data/xsc-grant/state = "granted"            (written last)
 *   dom0:  maps each ref read-write, checks the pattern (below), writes
 *          word 511 = 0xD0D0D0D000000000 | ref, unmaps; then writes
 *          data/xsc-grant/verdict ("ok ..." when all was well)
 *   guest: checks word 511 of each page, ends every grant, destroys the
 *          caches, then data/xsc-grant/state = "ended"
 *   dom0:  tries to map every ref again; writes
 *          data/xsc-grant/verdict2 ("ok ..." when every map was refused)
 *   guest: frees the refs, removes data/xsc-grant.
 *
 * Each wait gives up after XG_WAIT_MS; without a first verdict the guest
 * ends its grants all the same and skips the second round.  A grant dom0
 * still maps at teardown is counted as a failure and handed, with a
 * reference to its page, to the grant table's deferred list.
 *
 * Page pattern, written before "granted": u64 word i (0..510) =
 * 0x5853434700000000 ^ (ref << 16) ^ i, word 511 = 0.
 *
 * The ended refs go back to the grant table only after verdict2: the free
 * list hands the last freed ref out first, and a ref taken again meanwhile
 * by another frontend for the same backend would be mappable, which is not
 * what "refused" is meant to measure.
 *
 * Results are printed as "XSC-TEST: ok|not ok <name> # <why>" lines; init
 * returns 0 whenever the caches could be set up.
 */
#include <linux/ctype.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include <xen_slab_cache.h>

#define XG_MAX_OBJECTS 64
/* Grants the kept cache's constructor may hold or have ended at once. */
#define XG_SLOTS (2 * XG_MAX_OBJECTS)
#define XG_WORDS (XEN_PAGE_SIZE / sizeof(u64))
#define XG_PATTERN 0x5853434700000000ULL
#define XG_WRITTEN 0xD0D0D0D000000000ULL
#define XG_DIR "data/xsc-grant"
#define XG_WAIT_MS (180 * 1000)
#define XG_POLL_MS 200

static unsigned int backend;
module_param(backend, uint, 0444);
MODULE_PARM_DESC(backend, "Domain to grant the pages to (default 0, dom0)");

static unsigned int objects = 16;
module_param(objects, uint, 0444);
MODULE_PARM_DESC(objects, "Objects per cache, 1 to 64 (default 16)");

enum xg_state {
	XG_FREE,	/* slot unused */
	XG_GRANTED,	/* the object's page is granted */
	XG_ENDED,	/* grant ended, ref to be freed after verdict2 */
};

struct xg_grant {
	unsigned long pfn;
	grant_ref_t ref;
	enum xg_state state;
};

/*
 * The kept cache's grants, by page frame: the object is the whole page, so
 * the ref lives here.  The constructor may run in atomic context, hence a
 * fixed table under a spinlock rather than anything that allocates.
 */
struct xg_kept {
	spinlock_t lock;	/* guards the rest */
	domid_t backend;
	struct xg_grant slots[XG_SLOTS];
	unsigned int granted;		/* constructor grants */
	unsigned int ctor_failures;
	unsigned int ended;		/* destructor: grant ended */
	unsigned int busy;		/* destructor: still mapped by the backend */
	unsigned int unknown;		/* destructor: no grant recorded */
};

static struct xg_kept kept = {
	.lock = __SPIN_LOCK_UNLOCKED(kept.lock),
};

/* The objects taken from each cache, and the per-request grants. */
static void *kept_objs[XG_MAX_OBJECTS];
static void *req_objs[XG_MAX_OBJECTS];
static struct xg_grant req_grants[XG_MAX_OBJECTS];
/* Every ref published, kept first. */
static grant_ref_t pub_refs[2 * XG_MAX_OBJECTS];

static __printf(3, 4) void report(bool ok, const char *test, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pr_info("XSC-TEST: %s %s # %s\n", ok ? "ok" : "not ok", test, why);
}

static unsigned long xg_pfn(const void *object)
{
	return page_to_pfn(virt_to_page(object));
}

static int xg_kept_ctor(void *arg, void *object)
{
	struct xg_kept *k = arg;
	unsigned long flags;
	unsigned int i;
	int ref;

	ref = gnttab_grant_foreign_access(k->backend, xen_page_to_gfn(virt_to_page(object)), 0);
	spin_lock_irqsave(&k->lock, flags);
	if (ref < 0) {
		k->ctor_failures++;
		spin_unlock_irqrestore(&k->lock, flags);
		return ref;
	}
	for (i = 0; i < XG_SLOTS; i++) {
		if (k->slots[i].state == XG_FREE) {
			k->slots[i].pfn = xg_pfn(object);
			k->slots[i].ref = ref;
			k->slots[i].state = XG_GRANTED;
			k->granted++;
			spin_unlock_irqrestore(&k->lock, flags);
			return 0;
		}
	}
	k->ctor_failures++;
	spin_unlock_irqrestore(&k->lock, flags);
	/* Never published: nobody can have mapped it. */
	if (gnttab_end_foreign_access_ref(ref))
		gnttab_free_grant_reference(ref);
	return -ENOSPC;
}

/*
 * Ends the grant of the object's page.  A grant the backend still maps
 * cannot be ended: it goes to the grant table's deferred list with a
 * reference to the page, which frees both once the backend lets go, so that
 * the page does not return to the page allocator (when the cache frees its
 * slab) while the backend can still write it.  That needs the page to be a
 * whole order-0 block: the slab order is checked at creation.
 */
static void xg_kept_dtor(void *arg, void *object)
{
	struct xg_kept *k = arg;
	unsigned long pfn = xg_pfn(object);
	struct xg_grant *g = NULL;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&k->lock, flags);
	for (i = 0; i < XG_SLOTS; i++) {
		if (k->slots[i].state == XG_GRANTED && k->slots[i].pfn == pfn) {
			g = &k->slots[i];
			break;
		}
	}
	if (!g) {
		k->unknown++;
	} else if (gnttab_end_foreign_access_ref(g->ref)) {
		g->state = XG_ENDED;
		k->ended++;
	} else {
		get_page(virt_to_page(object));
		gnttab_end_foreign_access(g->ref, virt_to_page(object));
		g->state = XG_FREE;
		k->busy++;
	}
	spin_unlock_irqrestore(&k->lock, flags);
}

static bool xg_kept_ref(const void *object, grant_ref_t *ref)
{
	unsigned long pfn = xg_pfn(object);
	unsigned long flags;
	bool found = false;
	unsigned int i;

	spin_lock_irqsave(&kept.lock, flags);
	for (i = 0; i < XG_SLOTS; i++) {
		if (kept.slots[i].state == XG_GRANTED && kept.slots[i].pfn == pfn) {
			*ref = kept.slots[i].ref;
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&kept.lock, flags);
	return found;
}

static unsigned int xg_kept_granted_now(void)
{
	unsigned long flags;
	unsigned int i, n = 0;

	spin_lock_irqsave(&kept.lock, flags);
	for (i = 0; i < XG_SLOTS; i++)
		n += kept.slots[i].state == XG_GRANTED;
	spin_unlock_irqrestore(&kept.lock, flags);
	return n;
}

/* Frees the refs of ended grants; no callback can run any more. */
static unsigned int xg_free_ended(unsigned int nreq)
{
	unsigned int i, n = 0;

	for (i = 0; i < XG_SLOTS; i++) {
		if (kept.slots[i].state == XG_ENDED) {
			gnttab_free_grant_reference(kept.slots[i].ref);
			kept.slots[i].state = XG_FREE;
			n++;
		}
	}
	for (i = 0; i < nreq; i++) {
		if (req_grants[i].state == XG_ENDED) {
			gnttab_free_grant_reference(req_grants[i].ref);
			req_grants[i].state = XG_FREE;
			n++;
		}
	}
	return n;
}

static void xg_fill(void *page, grant_ref_t ref)
{
	u64 *w = page;
	unsigned int i;

	for (i = 0; i < XG_WORDS - 1; i++)
		w[i] = XG_PATTERN ^ ((u64)ref << 16) ^ i;
	w[XG_WORDS - 1] = 0;
}

static bool xg_written_back(const void *page, grant_ref_t ref)
{
	const u64 *w = page;

	return READ_ONCE(w[XG_WORDS - 1]) == (XG_WRITTEN | ref);
}

static int xg_publish(unsigned int n)
{
	size_t size = n * 11 + 1;
	size_t pos = 0;
	unsigned int i;
	char *buf;
	int err;

	buf = kmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		pos += scnprintf(buf + pos, size - pos, "%s%u", i ? " " : "", pub_refs[i]);
	err = xenbus_write(XBT_NIL, XG_DIR, "refs", buf);
	kfree(buf);
	if (!err)
		err = xenbus_printf(XBT_NIL, XG_DIR, "count", "%u", n);
	if (!err)
		err = xenbus_write(XBT_NIL, XG_DIR, "state", "granted");
	return err;
}

/*
 * Polls for @node under XG_DIR for up to XG_WAIT_MS.  Returns its value
 * (kfree() it), with anything unprintable replaced, or an error pointer:
 * -ETIMEDOUT, -EINTR for a fatal signal, or xenstore's error.
 */
static char *xg_wait(const char *node)
{
	unsigned int waited, len, i;
	char *val;

	for (waited = 0;; waited += XG_POLL_MS) {
		val = xenbus_read(XBT_NIL, XG_DIR, node, &len);
		if (!IS_ERR(val))
			break;
		if (PTR_ERR(val) != -ENOENT)
			return val;
		if (waited >= XG_WAIT_MS)
			return ERR_PTR(-ETIMEDOUT);
		if (fatal_signal_pending(current))
			return ERR_PTR(-EINTR);
		msleep(XG_POLL_MS);
	}
	for (i = 0; i < len && val[i]; i++)
		if (!isprint(val[i]))
			val[i] = '?';
	return val;
}

static bool xg_verdict(const char *test, const char *node)
{
	char *v = xg_wait(node);
	bool ok;

	if (IS_ERR(v)) {
		report(false, test, "no %s from dom0: %ld", node, PTR_ERR(v));
		return false;
	}
	ok = !strncmp(v, "ok", 2);
	report(ok, test, "%s", v);
	kfree(v);
	return true;
}

static bool xg_cache_clean(struct xen_slab_cache *cache, struct xen_slab_cache_stats *s)
{
	xen_slab_cache_get_stats(cache, s);
	return s->in_use == 0 && s->bad_puts == 0 && xen_slab_cache_audit(cache) == 0;
}

static int __init xsc_xgrant_init(void)
{
	struct xen_slab_cache_args kargs = {
		.size = PAGE_SIZE, .align = PAGE_SIZE, .reservation = objects,
		.ctor = xg_kept_ctor, .dtor = xg_kept_dtor, .arg = &kept,
	};
	struct xen_slab_cache_args rargs = {
		.size = PAGE_SIZE, .align = PAGE_SIZE, .reservation = objects,
	};
	unsigned int nkept = 0, nkept_granted = 0, nreq = 0, nreq_granted = 0, npub = 0;
	unsigned int req_ended = 0, req_busy = 0, matched = 0, held, freed;
	struct xen_slab_cache *kcache, *rcache;
	struct xen_slab_cache_stats ks, rs;
	bool published = false, answered = false, clean;
	unsigned int domid, i;
	int err, grant_err = 0;
	unsigned long gfn;
	grant_ref_t ref;

	if (!objects || objects > XG_MAX_OBJECTS || backend >= DOMID_FIRST_RESERVED) {
		report(false, "xgrant.setup", "objects %u (1..%u), backend %u", objects,
		       XG_MAX_OBJECTS, backend);
		return -EINVAL;
	}
	if (!xen_domain() || xen_initial_domain()) {
		report(false, "xgrant.domu", "%s", xen_domain() ? "the control domain" : "not Xen");
		return -ENODEV;
	}
	/* "domid" alone is relative: /local/domain/<self>/domid. */
	domid = xenbus_read_unsigned("domid", "", DOMID_INVALID);
	if (domid == DOMID_INVALID || domid == 0) {
		report(false, "xgrant.domu", "domid %u", domid);
		return -ENODEV;
	}
	report(true, "xgrant.domu", "domid %u, granting to %u", domid, backend);
	kept.backend = backend;

	/* A verdict left over by an earlier run must not count. */
	err = xenbus_rm(XBT_NIL, "data", "xsc-grant");
	if (err && err != -ENOENT)
		pr_warn("xsc_xgrant: removing %s: %d\n", XG_DIR, err);

	kcache = xen_slab_cache_create("xgrant-kept", &kargs);
	if (IS_ERR(kcache)) {
		report(false, "xgrant.setup", "creating xgrant-kept: %ld", PTR_ERR(kcache));
		return PTR_ERR(kcache);
	}
	/* Nothing constructed yet: no grant to end on these paths. */
	xen_slab_cache_get_stats(kcache, &ks);
	if (ks.slab_order != 0) {
		report(false, "xgrant.setup", "xgrant-kept slab order %llu, need 0", ks.slab_order);
		xen_slab_cache_destroy(kcache);
		return -EINVAL;
	}
	rcache = xen_slab_cache_create("xgrant-request", &rargs);
	if (IS_ERR(rcache)) {
		report(false, "xgrant.setup", "creating xgrant-request: %ld", PTR_ERR(rcache));
		xen_slab_cache_destroy(kcache);
		return PTR_ERR(rcache);
	}

	/* b. kept: granted by the constructor. */
	for (; nkept < objects; nkept++) {
		kept_objs[nkept] = xen_slab_cache_get(kcache, false);
		if (!kept_objs[nkept])
			break;
		if (!xg_kept_ref(kept_objs[nkept], &ref)) {
			nkept++;	/* put back below */
			break;
		}
		pub_refs[nkept_granted++] = ref;
	}
	report(nkept_granted == objects, "xgrant.kept-granted",
	       "%u of %u objects granted by the ctor", nkept_granted, objects);

	/* c. per request: granted after the get. */
	for (; nreq < objects; nreq++) {
		req_objs[nreq] = xen_slab_cache_get(rcache, false);
		if (!req_objs[nreq])
			break;
		gfn = xen_page_to_gfn(virt_to_page(req_objs[nreq]));
		grant_err = gnttab_grant_foreign_access(backend, gfn, 0);
		if (grant_err < 0) {
			req_grants[nreq].state = XG_FREE;
			nreq++;		/* put back below */
			break;
		}
		req_grants[nreq].ref = grant_err;
		req_grants[nreq].state = XG_GRANTED;
		nreq_granted++;
	}
	report(nreq_granted == objects, "xgrant.request-granted", "%u of %u objects granted (%d)",
	       nreq_granted, objects, min(grant_err, 0));

	/* d, e. the pattern, then the refs in xenstore. */
	if (nkept_granted == objects && nreq_granted == objects) {
		npub = nkept_granted;
		for (i = 0; i < nkept; i++)
			xg_fill(kept_objs[i], pub_refs[i]);
		for (i = 0; i < nreq; i++) {
			xg_fill(req_objs[i], req_grants[i].ref);
			pub_refs[npub++] = req_grants[i].ref;
		}
		err = xg_publish(npub);
		published = !err;
		report(published, "xgrant.published", "%u refs in %s (%d)", npub, XG_DIR, err);
	}

	/* f. dom0 maps, checks and writes back. */
	if (published) {
		answered = xg_verdict("xgrant.dom0-read-pattern", "verdict");
		for (i = 0; i < nkept; i++)
			matched += xg_written_back(kept_objs[i], pub_refs[i]);
		for (i = 0; i < nreq; i++)
			matched += xg_written_back(req_objs[i], req_grants[i].ref);
		report(answered && matched == npub, "xgrant.dom0-wrote-back",
		       "%u of %u pages carry dom0's word%s", matched, npub,
		       answered ? "" : " (no verdict)");
	} else {
		report(false, "xgrant.dom0-read-pattern", "skipped: nothing published");
		report(false, "xgrant.dom0-wrote-back", "skipped: nothing published");
	}

	/* g. teardown: per-request grants end before the put. */
	for (i = 0; i < nreq; i++) {
		if (req_grants[i].state == XG_GRANTED) {
			if (gnttab_end_foreign_access_ref(req_grants[i].ref)) {
				req_grants[i].state = XG_ENDED;
				req_ended++;
			} else {
				/* Still mapped: see xg_kept_dtor(). */
				get_page(virt_to_page(req_objs[i]));
				gnttab_end_foreign_access(req_grants[i].ref,
							  virt_to_page(req_objs[i]));
				req_grants[i].state = XG_FREE;
				req_busy++;
			}
		}
		xen_slab_cache_put(rcache, req_objs[i], false);
	}
	report(req_ended == nreq_granted && !req_busy, "xgrant.request-grants-ended",
	       "%u of %u ended, %u still mapped", req_ended, nreq_granted, req_busy);

	/*
	 * The kept objects stay constructed, so granted, while the cache
	 * holds them (the reservation keeps their slabs); their grants end in
	 * the destructor, at destroy.
	 */
	for (i = 0; i < nkept; i++)
		xen_slab_cache_put(kcache, kept_objs[i], false);
	held = xg_kept_granted_now();
	clean = xg_cache_clean(kcache, &ks);
	clean &= xg_cache_clean(rcache, &rs);
	xen_slab_cache_destroy(kcache);
	report(ks.ctor_calls == kept.granted && !kept.ctor_failures && held == kept.granted &&
	       kept.ended == kept.granted && !kept.busy && !kept.unknown &&
	       !xg_kept_granted_now(),
	       "xgrant.kept-grants-ended",
	       "ctor %llu, granted %u, held idle %u, dtor before destroy %llu, ended %u, mapped %u, unknown %u",
	       ks.ctor_calls, kept.granted, held, ks.dtor_calls, kept.ended, kept.busy,
	       kept.unknown);
	xen_slab_cache_destroy(rcache);
	report(clean, "xgrant.caches-destroyed", "in use %llu + %llu, bad puts %llu + %llu",
	       ks.in_use, rs.in_use, ks.bad_puts, rs.bad_puts);

	/* h. the old refs must not map any more. */
	if (answered) {
		err = xenbus_write(XBT_NIL, XG_DIR, "state", "ended");
		if (err)
			report(false, "xgrant.old-refs-refused", "writing state: %d", err);
		else
			xg_verdict("xgrant.old-refs-refused", "verdict2");
	} else {
		report(false, "xgrant.old-refs-refused", "skipped: no first verdict");
	}

	/* i. */
	freed = xg_free_ended(nreq);
	err = xenbus_rm(XBT_NIL, "data", "xsc-grant");
	if (err && err != -ENOENT)
		pr_warn("xsc_xgrant: removing %s: %d\n", XG_DIR, err);

	pr_info("XSC-XGRANT: domid=%u kept=%u request=%u backend=%u kept_ended=%u kept_busy=%u request_ended=%u request_busy=%u wrote_back=%u/%u refs_freed=%u\n",
		domid, nkept_granted, nreq_granted, backend, kept.ended,
		kept.busy, req_ended, req_busy, matched, published ? npub : 0, freed);
	return 0;
}

static void __exit xsc_xgrant_exit(void)
{
	/* Everything was torn down in init. */
}

module_init(xsc_xgrant_init);
module_exit(xsc_xgrant_exit);
MODULE_DESCRIPTION("Cross-domain grant test for xen_slab_cache (Xen domU)");
MODULE_LICENSE("GPL");
