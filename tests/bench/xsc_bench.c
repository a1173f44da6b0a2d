// SPDX-License-Identifier: GPL-2.0
/*
 * xsc_bench: times xen_slab_cache side by side with the kernel's own
 * allocators in one boot and prints one table per object size.
 *
 * Columns: xen_slab_cache under its own policy ("xsc"), with its magazines
 * bypassed ("xsc-nomag": the slab path) and under the original's 2019 policy
 * ("xsc-2019": one 6-slot magazine per CPU, no depot), and through its
 * variants for callers with preemption off ("xsc-direct":
 * xen_slab_cache_get_direct/put_direct, run with bottom halves off as
 * page_pool is); kmem_cache_alloc/free
 * (bulk forms for the bulk workloads); mempool_alloc/free over that
 * kmem_cache; and for page-sized objects page_pool (no device, no DMA
 * mapping) and alloc_page/__free_page.  Every allocator gets the same object
 * size and a constructor (where it has one: alloc_page has none) and runs
 * the same workloads:
 *
 *   pair      get + put of one object, one CPU (the magazine-hit path);
 *   bulk16    get 16 objects, put them back (bulk API where there is one,
 *   bulk64    a loop of single calls otherwise), time per object;
 *   deep      get a working set of @deep_objects objects one by one, put them
 *             back in the same order (magazines and per-CPU caches overflow);
 *   prodcons  get on CPU 0, hand the object through a lock-free ring of
 *             pointers to CPU 1, put there; wall time per object.
 *
 * Each cell runs one unmeasured warm-up sample and @reps measured samples of
 * about @iters objects, the allocators taking turns sample by sample; it prints the median and the spread (min, max) in
 * ns per object, and the ratio of the median to xen_slab_cache's.  The
 * single-CPU samples run in a kthread bound to CPU 0 with preemption off
 * (bottom halves off for page_pool, whose fast path requires it), so that
 * a sample is neither preempted nor migrated; the producer/consumer samples
 * run in two kthreads bound to CPUs 0 and 1 with preemption on, as drivers
 * would.  Allocations that must not sleep use GFP_ATOMIC everywhere.
 *
 * A producer/consumer sample in which the consumer waited more than
 * %PC_STALL_NS for an object was disturbed by the host and is run again
 * (counted as "discarded").
 *
 * Output lines start with "XSC-BENCH: ".  Lines with key=value pairs are for
 * scripts (scripts/bench.sh); the table lines are for people.  Loading the
 * module runs the benchmark; it stays loaded until removed.
 */
#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/version.h>
#if __has_include(<net/page_pool/helpers.h>)
#include <net/page_pool/helpers.h>	/* 6.6 and later */
#else
#include <net/page_pool.h>
#endif
#include <xen/xen.h>

#include <xen_slab_cache.h>
#include <xsc_compat.h>
#include <xsc_page_owner.h>

#ifdef CONFIG_X86
#include <asm/msr.h>
#include <asm/tsc.h>
#endif

static unsigned int iters = 20000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Objects per sample (default 20000)");

#define MAX_REPS 63
#define MAX_ALLOCS 10
static unsigned int reps = 11;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Measured samples per cell, 5 .. 63 (default 11)");

static unsigned int deep_objects = 1024;
module_param(deep_objects, uint, 0444);
MODULE_PARM_DESC(deep_objects, "Working set of the deep workload (default 1024; a quarter of it for page-sized objects)");

static unsigned int pc_objects = 10000;
module_param(pc_objects, uint, 0444);
MODULE_PARM_DESC(pc_objects, "Objects per producer/consumer sample (default 10000)");

/* A constructed object carries this in its first word. */
#define BENCH_PATTERN 0x5853432d42454e43UL

/* Lock-free single-producer single-consumer ring of object pointers. */
#define RING_SIZE 256

/* A producer/consumer sample gives up after this long (something is stuck). */
#define PC_DEADLINE_NS (60ULL * NSEC_PER_SEC)

/* Objects the producer moves per bottom-half section / between cond_resched(). */
#define PC_CHUNK 32

/*
 * A producer/consumer sample in which the consumer saw no object for this
 * long was disturbed from outside: an emulated CPU's host thread was not
 * running (the host is shared).  No allocator here stalls for that long on
 * an idle guest, so the sample is run again, up to 2 * @reps times per cell,
 * and the discarded samples are counted in the output.
 */
#define PC_STALL_NS (2ULL * NSEC_PER_MSEC)

enum workload { W_PAIR, W_BULK16, W_BULK64, W_DEEP, W_PC, NR_WORKLOADS };

static const char *const workload_names[NR_WORKLOADS] = {
	[W_PAIR] = "pair", [W_BULK16] = "bulk16", [W_BULK64] = "bulk64",
	[W_DEEP] = "deep", [W_PC] = "prodcons",
};

struct bench_alloc;
struct bench_pc;

struct bench_fns {
	u64 (*pair)(struct bench_alloc *a, unsigned int n);
	u64 (*bulk)(struct bench_alloc *a, void **objs, unsigned int n, unsigned int rounds);
	u64 (*deep)(struct bench_alloc *a, void **objs, unsigned int n, unsigned int rounds);
	void (*produce)(struct bench_alloc *a, struct bench_pc *pc);
	void (*consume)(struct bench_alloc *a, struct bench_pc *pc);
	/* Gives back an object left in the ring after an aborted sample. */
	void (*put_remote)(struct bench_alloc *a, void *obj);
};

struct bench_result {
	bool valid;
	u64 median, min, max;	/* tenths of a nanosecond per object */
	unsigned int discarded;	/* disturbed samples run again */
	u64 max_gap;		/* longest wait of a consumer for an object, ns */
};

/**
 * struct bench_alloc - one allocator under test
 * @name: column name in the table.
 * @fns: the timed loops, with direct calls into the allocator.
 * @bh: run with bottom halves off (page_pool's fast path needs it).
 * @failed: an allocation failed or a sample timed out: the cell is invalid.
 * @xsc: the cache, for the xen_slab_cache columns.
 * @kc: the kmem_cache, for kmem_cache and mempool.
 * @pool: the mempool.
 * @pp: the page_pool.
 * @res: one result per workload.
 */
struct bench_alloc {
	const char *name;
	const struct bench_fns *fns;
	bool bh;
	bool failed;
	struct xen_slab_cache *xsc;
	struct kmem_cache *kc;
	mempool_t *pool;
	struct page_pool *pp;
	struct bench_result res[NR_WORKLOADS];
};

/**
 * struct bench_pc - one producer/consumer sample
 * @head: next ring slot the producer fills (written by the producer only).
 * @tail: next ring slot the consumer empties (written by the consumer only).
 * @slot: the ring.
 * @n: objects to move.
 * @alloc: the allocator.
 * @go: set by the producer when the clock starts.
 * @ready: set by the consumer when it runs on its CPU.
 * @abort: set by either side when it gives up.
 * @deadline: ktime_get_ns() value after which both sides give up.
 * @finished: set by the consumer when it put the last object (or gave up).
 * @max_gap: the longest time the consumer went without an object, checked
 *	every %PC_CHUNK objects.
 * @done: the consumer finished (or gave up).
 */
struct bench_pc {
	unsigned long head ____cacheline_aligned_in_smp;
	unsigned long tail ____cacheline_aligned_in_smp;
	void *slot[RING_SIZE] ____cacheline_aligned_in_smp;
	unsigned long n;
	struct bench_alloc *alloc;
	int go, ready, abort, finished;
	u64 deadline, max_gap;
	struct completion done;
};

/* --- the clock ------------------------------------------------------------- */

/*
 * Nanoseconds from this CPU's time stamp counter when the kernel knows its
 * rate, else ktime_get_ns().  Every interval is measured on one CPU (the
 * threads are bound), so the counter needs no synchronisation between CPUs;
 * ktime_get_ns() does, and in a Xen PV guest under QEMU TCG the CPUs' counters
 * disagree: pvclock clamps readings to the latest one of any CPU, which can
 * stop the clock of one CPU for milliseconds.
 */
static bool use_tsc;

static __always_inline u64 bench_clock(void)
{
#ifdef CONFIG_X86
	if (use_tsc)
		return mul_u64_u32_div(rdtsc_ordered(), USEC_PER_SEC, tsc_khz);
#endif
	return ktime_get_ns();
}

static void bench_clock_init(void)
{
#ifdef CONFIG_X86
	use_tsc = boot_cpu_has(X86_FEATURE_TSC) && tsc_khz;
#endif
}

/* --- constructors ---------------------------------------------------------- */

static int xsc_bench_ctor(void *arg, void *object)
{
	*(unsigned long *)object = BENCH_PATTERN;
	return 0;
}

static void kmem_bench_ctor(void *object)
{
	*(unsigned long *)object = BENCH_PATTERN;
}

#ifdef CONFIG_PAGE_POOL
/* The callback takes a netmem_ref since 6.11, a struct page before. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
static void pp_bench_init(netmem_ref netmem, void *arg)
{
	*(unsigned long *)page_address(netmem_to_page(netmem)) = BENCH_PATTERN;
}
#else
static void pp_bench_init(struct page *page, void *arg)
{
	*(unsigned long *)page_address(page) = BENCH_PATTERN;
}
#endif
#endif

/* --- the ring -------------------------------------------------------------- */

/* Spins until the ring has room for slot @head; false when the sample gives up. */
static bool pc_wait_space(struct bench_pc *pc, unsigned long head)
{
	unsigned int spins = 0;

	while (head - smp_load_acquire(&pc->tail) >= RING_SIZE) {
		if (READ_ONCE(pc->abort))
			return false;
		cpu_relax();
		if (!(++spins & 4095) && ktime_get_ns() > pc->deadline) {
			WRITE_ONCE(pc->abort, 1);
			return false;
		}
	}
	return true;
}

/* Spins until slot @tail is filled; may sleep.  False when the sample gives up. */
static bool pc_wait_item(struct bench_pc *pc, unsigned long tail)
{
	unsigned int spins = 0;

	while (smp_load_acquire(&pc->head) == tail) {
		if (READ_ONCE(pc->abort))
			return false;
		cpu_relax();
		if (!(++spins & 4095)) {
			if (ktime_get_ns() > pc->deadline) {
				WRITE_ONCE(pc->abort, 1);
				return false;
			}
			cond_resched();
		}
	}
	return true;
}

/* --- the timed loops, one set per allocator -------------------------------- */

/*
 * BENCH_LOOPS(id) defines the loops over id_get(), id_put() (same CPU),
 * id_put_remote() (another CPU), id_get_bulk() and id_put_bulk(); every
 * call in a loop is a direct call.
 */
#define BENCH_LOOPS(id)								\
static u64 id##_pair(struct bench_alloc *a, unsigned int n)			\
{										\
	u64 t0 = bench_clock();							\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++) {						\
		void *o = id##_get(a);						\
										\
		if (unlikely(!o)) {						\
			a->failed = true;					\
			break;							\
		}								\
		id##_put(a, o);							\
	}									\
	return bench_clock() - t0;						\
}										\
										\
static u64 id##_bulk(struct bench_alloc *a, void **objs, unsigned int n,	\
		     unsigned int rounds)					\
{										\
	u64 t0 = bench_clock();							\
	unsigned int r, got;							\
										\
	for (r = 0; r < rounds; r++) {						\
		got = id##_get_bulk(a, objs, n);				\
		if (unlikely(got != n)) {					\
			id##_put_bulk(a, objs, got);				\
			a->failed = true;					\
			break;							\
		}								\
		id##_put_bulk(a, objs, n);					\
	}									\
	return bench_clock() - t0;						\
}										\
										\
static u64 id##_deep(struct bench_alloc *a, void **objs, unsigned int n,	\
		     unsigned int rounds)					\
{										\
	u64 t0 = bench_clock();							\
	unsigned int r, i, got;							\
										\
	for (r = 0; r < rounds; r++) {						\
		for (got = 0; got < n; got++) {					\
			objs[got] = id##_get(a);				\
			if (unlikely(!objs[got]))				\
				break;						\
		}								\
		for (i = 0; i < got; i++)					\
			id##_put(a, objs[i]);					\
		if (unlikely(got != n)) {					\
			a->failed = true;					\
			break;							\
		}								\
	}									\
	return bench_clock() - t0;						\
}										\
										\
static void id##_produce(struct bench_alloc *a, struct bench_pc *pc)		\
{										\
	unsigned long head = 0;							\
	unsigned int k;								\
	void *o;								\
										\
	while (head < pc->n) {							\
		if (a->bh)							\
			local_bh_disable();					\
		for (k = 0; k < PC_CHUNK && head < pc->n; k++, head++) {	\
			if (!pc_wait_space(pc, head))				\
				break;						\
			o = id##_get(a);					\
			if (unlikely(!o)) {					\
				WRITE_ONCE(pc->abort, 1);			\
				break;						\
			}							\
			pc->slot[head % RING_SIZE] = o;				\
			smp_store_release(&pc->head, head + 1);			\
		}								\
		if (a->bh)							\
			local_bh_enable();					\
		if (READ_ONCE(pc->abort))					\
			return;							\
		cond_resched();							\
	}									\
}										\
										\
static void id##_consume(struct bench_alloc *a, struct bench_pc *pc)		\
{										\
	u64 last = bench_clock(), now;						\
	unsigned long tail = 0;							\
	void *o;								\
										\
	while (tail < pc->n) {							\
		if (!pc_wait_item(pc, tail))					\
			return;							\
		o = pc->slot[tail % RING_SIZE];					\
		smp_store_release(&pc->tail, ++tail);				\
		id##_put_remote(a, o);						\
		if (!(tail % PC_CHUNK)) {					\
			now = bench_clock();					\
			pc->max_gap = max(pc->max_gap, now - last);		\
			last = now;						\
			cond_resched();						\
		}								\
	}									\
}										\
										\
static const struct bench_fns id##_fns = {					\
	.pair = id##_pair, .bulk = id##_bulk, .deep = id##_deep,		\
	.produce = id##_produce, .consume = id##_consume,			\
	.put_remote = id##_put_remote,						\
}

/* Bulk calls for an allocator without a bulk API: loops of single calls. */
#define BENCH_LOOP_BULK(id)							\
static __always_inline unsigned int id##_get_bulk(struct bench_alloc *a,	\
						  void **objs, unsigned int n)	\
{										\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++) {						\
		objs[i] = id##_get(a);						\
		if (unlikely(!objs[i]))						\
			break;							\
	}									\
	return i;								\
}										\
										\
static __always_inline void id##_put_bulk(struct bench_alloc *a, void **objs,	\
					  unsigned int n)			\
{										\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++)							\
		id##_put(a, objs[i]);						\
}

/* xen_slab_cache */
static __always_inline void *xsc_get(struct bench_alloc *a)
{
	return xen_slab_cache_get(a->xsc, false);
}

static __always_inline void xsc_put(struct bench_alloc *a, void *o)
{
	xen_slab_cache_put(a->xsc, o, false);
}

static __always_inline void xsc_put_remote(struct bench_alloc *a, void *o)
{
	xen_slab_cache_put(a->xsc, o, false);
}

static __always_inline unsigned int xsc_get_bulk(struct bench_alloc *a, void **objs,
						 unsigned int n)
{
	return xen_slab_cache_get_bulk(a->xsc, objs, n, false);
}

static __always_inline void xsc_put_bulk(struct bench_alloc *a, void **objs, unsigned int n)
{
	xen_slab_cache_put_bulk(a->xsc, objs, n, false);
}

BENCH_LOOPS(xsc);

/*
 * xen_slab_cache's variants for callers with preemption off, run as
 * page_pool is: with bottom halves off (NAPI context); bulk calls and the
 * consumer's puts from another CPU (preemption on) take the general API.
 */
static __always_inline void *xscd_get(struct bench_alloc *a)
{
	return xen_slab_cache_get_direct(a->xsc, false);
}

static __always_inline void xscd_put(struct bench_alloc *a, void *o)
{
	xen_slab_cache_put_direct(a->xsc, o, false);
}

static __always_inline void xscd_put_remote(struct bench_alloc *a, void *o)
{
	xsc_put_remote(a, o);
}

static __always_inline unsigned int xscd_get_bulk(struct bench_alloc *a, void **objs,
						  unsigned int n)
{
	return xsc_get_bulk(a, objs, n);
}

static __always_inline void xscd_put_bulk(struct bench_alloc *a, void **objs, unsigned int n)
{
	xsc_put_bulk(a, objs, n);
}

BENCH_LOOPS(xscd);

/* kmem_cache_alloc / kmem_cache_free and their bulk forms */
static __always_inline void *kmem_get(struct bench_alloc *a)
{
	return kmem_cache_alloc(a->kc, GFP_ATOMIC);
}

static __always_inline void kmem_put(struct bench_alloc *a, void *o)
{
	kmem_cache_free(a->kc, o);
}

static __always_inline void kmem_put_remote(struct bench_alloc *a, void *o)
{
	kmem_cache_free(a->kc, o);
}

static __always_inline unsigned int kmem_get_bulk(struct bench_alloc *a, void **objs,
						  unsigned int n)
{
	/* All or nothing: the count (n or 0) until 7.1, a bool since 7.2. */
	return kmem_cache_alloc_bulk(a->kc, GFP_ATOMIC, n, objs) ? n : 0;
}

static __always_inline void kmem_put_bulk(struct bench_alloc *a, void **objs, unsigned int n)
{
	if (n)
		kmem_cache_free_bulk(a->kc, n, objs);
}

BENCH_LOOPS(kmem);

/* mempool_alloc / mempool_free over the kmem_cache */
static __always_inline void *mp_get(struct bench_alloc *a)
{
	return mempool_alloc(a->pool, GFP_ATOMIC);
}

static __always_inline void mp_put(struct bench_alloc *a, void *o)
{
	mempool_free(o, a->pool);
}

static __always_inline void mp_put_remote(struct bench_alloc *a, void *o)
{
	mempool_free(o, a->pool);
}

BENCH_LOOP_BULK(mp)
BENCH_LOOPS(mp);

#ifdef CONFIG_PAGE_POOL
/*
 * page_pool: allocation and direct recycling on the pool's own CPU with
 * bottom halves off (NAPI context); puts from another CPU go through the
 * pool's ptr_ring (allow_direct = false).
 */
static __always_inline void *pp_get(struct bench_alloc *a)
{
	return page_pool_alloc_pages(a->pp, GFP_ATOMIC);
}

static __always_inline void pp_put(struct bench_alloc *a, void *o)
{
	page_pool_recycle_direct(a->pp, o);
}

static __always_inline void pp_put_remote(struct bench_alloc *a, void *o)
{
	page_pool_put_full_page(a->pp, o, false);
}

BENCH_LOOP_BULK(pp)
BENCH_LOOPS(pp);
#endif

/* alloc_page / __free_page */
static __always_inline void *pg_get(struct bench_alloc *a)
{
	return alloc_page(GFP_ATOMIC);
}

static __always_inline void pg_put(struct bench_alloc *a, void *o)
{
	__free_page(o);
}

static __always_inline void pg_put_remote(struct bench_alloc *a, void *o)
{
	__free_page(o);
}

BENCH_LOOP_BULK(pg)
BENCH_LOOPS(pg);

/* --- samples and cells ------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v and fills @r with its median and spread. */
static void summarize(u64 *v, unsigned int n, struct bench_result *r)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	r->median = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	r->min = v[0];
	r->max = v[n - 1];
	r->valid = true;
}

static int pc_consumer_fn(void *data)
{
	struct bench_pc *pc = data;

	WRITE_ONCE(pc->ready, 1);
	while (!READ_ONCE(pc->go) && !READ_ONCE(pc->abort))
		cpu_relax();
	if (!READ_ONCE(pc->abort))
		pc->alloc->fns->consume(pc->alloc, pc);
	smp_store_release(&pc->finished, 1);
	complete(&pc->done);
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*
 * One producer/consumer sample; the caller runs on CPU 0 and is the
 * producer.  Returns ns from the first get to the moment CPU 0 sees that
 * the consumer put the last object, both read on CPU 0.
 */
static u64 run_pc(struct bench_alloc *a, struct bench_pc *pc, unsigned long n)
{
	struct task_struct *consumer;
	unsigned int spins = 0;
	unsigned long t;
	u64 t0, t1;

	memset(pc, 0, sizeof(*pc));
	init_completion(&pc->done);
	pc->n = n;
	pc->alloc = a;
	pc->deadline = ktime_get_ns() + PC_DEADLINE_NS;
	consumer = kthread_create(pc_consumer_fn, pc, "xsc_bench_cons");
	if (IS_ERR(consumer)) {
		a->failed = true;
		return 0;
	}
	kthread_bind(consumer, 1);
	wake_up_process(consumer);
	while (!READ_ONCE(pc->ready))
		cond_resched();

	t0 = bench_clock();
	WRITE_ONCE(pc->go, 1);
	a->fns->produce(a, pc);
	while (!smp_load_acquire(&pc->finished)) {
		cpu_relax();
		if (!(++spins & 4095))
			cond_resched();
	}
	t1 = bench_clock();
	/* A timed wait: the hung-task detector must not see this thread. */
	while (!wait_for_completion_timeout(&pc->done, 10 * HZ))
		;
	kthread_stop(consumer);

	if (READ_ONCE(pc->abort)) {
		for (t = pc->tail; t < pc->head; t++)
			a->fns->put_remote(a, pc->slot[t % RING_SIZE]);
		a->failed = true;
		return 0;
	}
	return t1 - t0;
}

/* One sample of workload @w; returns ns and sets *@ops. */
static u64 run_sample(struct bench_alloc *a, enum workload w, void **objs,
		      unsigned int deep, struct bench_pc *pc, unsigned long *ops)
{
	unsigned int n = 0, rounds = 0;
	u64 ns = 0;

	switch (w) {
	case W_PAIR:
		n = iters;
		rounds = 1;
		break;
	case W_BULK16:
	case W_BULK64:
		n = w == W_BULK16 ? 16 : 64;
		rounds = max(1U, iters / n);
		break;
	case W_DEEP:
		n = deep;
		rounds = max(1U, iters / n);
		break;
	case W_PC:
		*ops = pc_objects;
		return run_pc(a, pc, pc_objects);
	default:
		break;
	}
	*ops = (unsigned long)n * rounds;

	if (a->bh)
		local_bh_disable();
	else
		preempt_disable();
	switch (w) {
	case W_PAIR:
		ns = a->fns->pair(a, n);
		break;
	case W_BULK16:
	case W_BULK64:
		ns = a->fns->bulk(a, objs, n, rounds);
		break;
	case W_DEEP:
		ns = a->fns->deep(a, objs, n, rounds);
		break;
	default:
		break;
	}
	if (a->bh)
		local_bh_enable();
	else
		preempt_enable();
	return ns;
}

/* Where xen_slab_cache served a cell's objects (all samples, warm-up too). */
static void print_xsc_paths(struct bench_alloc *a, enum workload w,
			    const struct xen_slab_cache_stats *before)
{
	struct xen_slab_cache_stats s;

	xen_slab_cache_get_stats(a->xsc, &s);
	pr_info("XSC-BENCH: paths alloc=%s workload=%s get_fast=%llu get_slow=%llu put_fast=%llu put_slow=%llu slabs=%llu depot_full=%llu depot_empty=%llu\n",
		a->name, workload_names[w], s.get_fast - before->get_fast,
		s.get_slow - before->get_slow, s.put_fast - before->put_fast,
		s.put_slow - before->put_slow, s.slabs, s.depot_full, s.depot_empty);
}

/*
 * Runs workload @w on every allocator, round robin: sample i of every
 * allocator runs before sample i + 1 of any, so that a change of background
 * load (these guests share their host) spreads over all columns instead of
 * skewing one.  Round 0 is a warm-up and is not counted.
 */
static void run_workload(struct bench_alloc *allocs, unsigned int nr, enum workload w,
			 void **objs, unsigned int deep, struct bench_pc *pc)
{
	/* One benchmark thread. */
	static struct xen_slab_cache_stats before[MAX_ALLOCS];
	static u64 samples[MAX_ALLOCS][MAX_REPS];
	unsigned long ops;
	unsigned int i, k;
	u64 ns;

	for (k = 0; k < nr; k++) {
		allocs[k].res[w].valid = false;
		allocs[k].res[w].discarded = 0;
		allocs[k].res[w].max_gap = 0;
		allocs[k].failed = false;
		if (allocs[k].xsc)
			xen_slab_cache_get_stats(allocs[k].xsc, &before[k]);
	}
	for (i = 0; i <= reps; i++) {
		for (k = 0; k < nr; k++) {
			struct bench_alloc *a = &allocs[k];

			if (a->failed)
				continue;
			ns = run_sample(a, w, objs, deep, pc, &ops);
			while (w == W_PC && !a->failed && pc->max_gap > PC_STALL_NS &&
			       a->res[w].discarded < 2 * reps) {
				a->res[w].max_gap = max(a->res[w].max_gap, pc->max_gap);
				a->res[w].discarded++;
				ns = run_sample(a, w, objs, deep, pc, &ops);
			}
			if (w == W_PC)
				a->res[w].max_gap = max(a->res[w].max_gap, pc->max_gap);
			if (a->failed || !ops) {
				a->failed = true;
				pr_info("XSC-BENCH: failed alloc=%s workload=%s (allocation failed or timed out)\n",
					a->name, workload_names[w]);
				continue;
			}
			if (i)
				samples[k][i - 1] = div64_u64(ns * 10, ops);
			cond_resched();
		}
	}
	for (k = 0; k < nr; k++) {
		struct bench_alloc *a = &allocs[k];
		struct bench_result *r = &a->res[w];

		if (a->failed)
			continue;
		summarize(samples[k], reps, r);
		if (a->xsc)
			print_xsc_paths(a, w, &before[k]);
	}
}

/* --- setup and output -------------------------------------------------------- */

struct bench_size {
	size_t size;
	size_t align;
	unsigned int nr;
	struct bench_alloc allocs[MAX_ALLOCS];
};

static struct bench_alloc *add_alloc(struct bench_size *bs, const char *name,
				     const struct bench_fns *fns)
{
	struct bench_alloc *a = &bs->allocs[bs->nr++];

	a->name = name;
	a->fns = fns;
	return a;
}

static struct xen_slab_cache *create_xsc(const char *name, struct bench_size *bs,
					 unsigned int policy)
{
	struct xen_slab_cache_args args = {
		.size = bs->size, .align = bs->align, .ctor = xsc_bench_ctor,
		.policy = policy,
	};

	return xen_slab_cache_create(name, &args);
}

/* xen_slab_cache under its own policy first: the other columns are relative to it. */
static const struct {
	const char *column, *small, *page;
	unsigned int policy;
} xsc_columns[] = {
	{ "xsc", "xsc-bench-small", "xsc-bench-page", XEN_SLAB_CACHE_POLICY_DEFAULT },
	{ "xsc-nomag", "xsc-bench-small-nomag", "xsc-bench-page-nomag",
	  XEN_SLAB_CACHE_POLICY_NO_MAGAZINES },
	{ "xsc-2019", "xsc-bench-small-2019", "xsc-bench-page-2019", XEN_SLAB_CACHE_POLICY_2019 },
};

static int setup_size(struct bench_size *bs)
{
#ifdef CONFIG_PAGE_POOL
	/* No device: no DMA mapping; the ring holds every page in flight. */
	struct page_pool_params pp = {
		.order = 0, .pool_size = 1024, .nid = NUMA_NO_NODE,
		.init_callback = pp_bench_init,
	};
#endif
	struct bench_alloc *a;
	struct kmem_cache *kc;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xsc_columns); i++) {
		a = add_alloc(bs, xsc_columns[i].column, &xsc_fns);
		a->xsc = create_xsc(bs->size == PAGE_SIZE ? xsc_columns[i].page : xsc_columns[i].small,
				    bs, xsc_columns[i].policy);
		if (IS_ERR(a->xsc))
			return PTR_ERR(a->xsc);
	}

	a = add_alloc(bs, "xsc-direct", &xscd_fns);
	a->bh = true;
	a->xsc = create_xsc(bs->size == PAGE_SIZE ? "xsc-bench-page-direct" : "xsc-bench-small-direct",
			    bs, XEN_SLAB_CACHE_POLICY_DEFAULT);
	if (IS_ERR(a->xsc))
		return PTR_ERR(a->xsc);

	kc = kmem_cache_create(bs->size == PAGE_SIZE ? "xsc_bench_page" : "xsc_bench_small", bs->size, bs->align, 0, kmem_bench_ctor);
	if (!kc)
		return -ENOMEM;
	a = add_alloc(bs, "kmem_cache", &kmem_fns);
	a->kc = kc;

	a = add_alloc(bs, "mempool", &mp_fns);
	a->kc = kc;
	a->pool = mempool_create_slab_pool(16, kc);
	if (!a->pool)
		return -ENOMEM;

	if (bs->size != PAGE_SIZE)
		return 0;

#ifdef CONFIG_PAGE_POOL
	a = add_alloc(bs, "page_pool", &pp_fns);
	a->bh = true;
	a->pp = page_pool_create(&pp);
	if (IS_ERR(a->pp))
		return PTR_ERR(a->pp);
#endif

	add_alloc(bs, "alloc_page", &pg_fns);
	return 0;
}

static void teardown_size(struct bench_size *bs)
{
	struct kmem_cache *kc = NULL;
	unsigned int i;

	for (i = 0; i < bs->nr; i++) {
		struct bench_alloc *a = &bs->allocs[i];

		if (!IS_ERR_OR_NULL(a->xsc))
			xen_slab_cache_destroy(a->xsc);
		if (a->pool)
			mempool_destroy(a->pool);
#ifdef CONFIG_PAGE_POOL
		if (!IS_ERR_OR_NULL(a->pp))
			page_pool_destroy(a->pp);
#endif
		if (a->kc)
			kc = a->kc;
	}
	/* After the mempool that sits on it. */
	kmem_cache_destroy(kc);
}

static u32 tenths(u64 v)
{
	return (u32)(v - div_u64(v, 10) * 10);
}

/* Arguments for "%llu.%u": a value in tenths printed as "123.4". */
#define DECI(v) div_u64((v), 10), tenths(v)

static void print_size(struct bench_size *bs, const char *hv)
{
	const struct bench_result *base;
	unsigned int i, w;
	char line[512];
	int len;

	for (w = 0; w < NR_WORKLOADS; w++) {
		base = &bs->allocs[0].res[w];
		for (i = 0; i < bs->nr; i++) {
			const struct bench_result *r = &bs->allocs[i].res[w];
			u64 ratio = 0, per_s = 0;

			if (!r->valid) {
				pr_info("XSC-BENCH: row guest=%s size=%zu workload=%s alloc=%s valid=0\n",
					hv, bs->size, workload_names[w], bs->allocs[i].name);
				continue;
			}
			if (base->valid && base->median)
				ratio = div64_u64(r->median * 100, base->median);
			if (r->median)
				per_s = div64_u64(10ULL * NSEC_PER_SEC, r->median);
			pr_info("XSC-BENCH: row guest=%s size=%zu workload=%s alloc=%s valid=1 median_ns=%llu.%u min_ns=%llu.%u max_ns=%llu.%u ratio_to_xsc=%llu.%02llu objs_per_s=%llu discarded=%u max_gap_us=%llu\n",
				hv, bs->size, workload_names[w], bs->allocs[i].name,
				DECI(r->median), DECI(r->min), DECI(r->max),
				div_u64(ratio, 100), ratio - div_u64(ratio, 100) * 100, per_s,
				r->discarded, div_u64(r->max_gap, NSEC_PER_USEC));
		}
	}

	pr_info("XSC-BENCH: table guest=%s size=%zu: ns/object, median [min..max] of %u samples; (xN.NN) = median / xsc median; d: disturbed samples were run again\n",
		hv, bs->size, reps);
	len = scnprintf(line, sizeof(line), "%-9s", "workload");
	for (i = 0; i < bs->nr; i++)
		len += scnprintf(line + len, sizeof(line) - len, " | %-30s", bs->allocs[i].name);
	pr_info("XSC-BENCH: %s\n", line);
	for (w = 0; w < NR_WORKLOADS; w++) {
		base = &bs->allocs[0].res[w];
		len = scnprintf(line, sizeof(line), "%-9s", workload_names[w]);
		for (i = 0; i < bs->nr; i++) {
			const struct bench_result *r = &bs->allocs[i].res[w];
			char cell[64];
			u64 ratio = 0;

			if (!r->valid) {
				scnprintf(cell, sizeof(cell), "failed");
			} else {
				if (base->valid && base->median)
					ratio = div64_u64(r->median * 100, base->median);
				scnprintf(cell, sizeof(cell), "%llu.%u [%llu.%u..%llu.%u] (x%llu.%02llu)%s",
					  DECI(r->median), DECI(r->min), DECI(r->max),
					  div_u64(ratio, 100), ratio - div_u64(ratio, 100) * 100,
					  r->discarded ? " d" : "");
			}
			len += scnprintf(line + len, sizeof(line) - len, " | %-30s", cell);
		}
		pr_info("XSC-BENCH: %s\n", line);
	}
}

static int run_size(size_t size, size_t align, const char *hv, void **objs, struct bench_pc *pc)
{
	struct bench_size *bs;
	unsigned int w, deep;
	int ret;

	bs = kzalloc(sizeof(*bs), GFP_KERNEL);
	if (!bs)
		return -ENOMEM;
	bs->size = size;
	bs->align = align;
	/* A quarter of the objects for page-sized ones (4 MiB by default). */
	deep = size <= 256 ? deep_objects : max(deep_objects / 4, 64U);
	ret = setup_size(bs);
	if (ret) {
		pr_info("XSC-BENCH: failed size=%zu setup (%d)\n", size, ret);
		goto out;
	}
	pr_info("XSC-BENCH: size=%zu align=%zu deep=%u allocators=%u\n", size, align, deep, bs->nr);
	for (w = 0; w < NR_WORKLOADS; w++) {
		if (w == W_PC && num_online_cpus() < 2)
			continue;
		run_workload(bs->allocs, bs->nr, w, objs, deep, pc);
	}
	print_size(bs, hv);
out:
	teardown_size(bs);
	kfree(bs);
	return ret;
}

/* --- building blocks of the fast paths ---------------------------------------- */

/*
 * The costs that a get+put pair is made of, timed the same way (median and
 * spread of @reps samples of @iters operations): interrupt control (a
 * paravirt call in a Xen PV domain), preemption control, the page owner
 * lookup that finds an object's slab (as xsc_page_owner() in
 * drivers/xen/slab-cache/shim.c does it, and with virt_addr_valid() as its
 * range check), and the page lookup that SLUB uses instead.
 */
enum component {
	C_IRQ, C_PREEMPT, C_PAGE_OWNER, C_PAGE_OWNER_VAV, C_VIRT_TO_PAGE, NR_COMPONENTS
};

static const char *const component_names[NR_COMPONENTS] = {
	[C_IRQ] = "irq_save_restore", [C_PREEMPT] = "preempt_off_on",
	[C_PAGE_OWNER] = "page_owner_lookup", [C_PAGE_OWNER_VAV] = "page_owner_virt_addr_valid",
	[C_VIRT_TO_PAGE] = "virt_to_head_page",
};

static void *component_sink;

/* xsc_page_owner() of shim.c, with the benchmark's own cookie. */
static noinline void *bench_page_owner(const void *address, unsigned long cookie)
{
	return xsc_page_owner_lookup(address, cookie);
}

/* The same, with virt_addr_valid() (an out-of-line call) as the range check. */
static noinline void *bench_page_owner_vav(const void *address, unsigned long cookie)
{
	if (!virt_addr_valid(address))
		return NULL;
	return xsc_page_owner_of(virt_to_page(address), cookie);
}

static u64 time_component(enum component c, void *obj, unsigned long cookie, unsigned int n)
{
	u64 t0 = bench_clock();
	unsigned long flags;
	unsigned int i;
	void *p = NULL;

	switch (c) {
	case C_IRQ:
		for (i = 0; i < n; i++) {
			local_irq_save(flags);
			local_irq_restore(flags);
		}
		break;
	case C_PREEMPT:
		for (i = 0; i < n; i++) {
			preempt_disable();
			preempt_enable();
		}
		break;
	case C_PAGE_OWNER:
		for (i = 0; i < n; i++) {
			void *o = obj;

			OPTIMIZER_HIDE_VAR(o);
			p = bench_page_owner(o, cookie);
		}
		break;
	case C_PAGE_OWNER_VAV:
		for (i = 0; i < n; i++) {
			void *o = obj;

			OPTIMIZER_HIDE_VAR(o);
			p = bench_page_owner_vav(o, cookie);
		}
		break;
	case C_VIRT_TO_PAGE:
		for (i = 0; i < n; i++) {
			void *o = obj;

			OPTIMIZER_HIDE_VAR(o);
			p = virt_to_head_page(o);
		}
		break;
	default:
		break;
	}
	WRITE_ONCE(component_sink, p);
	return bench_clock() - t0;
}

static int run_components(const char *hv)
{
	static u64 samples[MAX_REPS]; /* one benchmark thread */
	const unsigned long cookie = get_random_long() | 1;
	struct bench_result r;
	unsigned int c, i;
	struct page *page;
	void *obj;
	int ret = 0;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	obj = page_address(page);
	/* An owner record as xsc_pages_set_owner() writes it. */
	page->private = (unsigned long)obj;
	xsc_page_index(page) = (unsigned long)obj ^ cookie;
	if (bench_page_owner(obj, cookie) != obj || bench_page_owner_vav(obj, cookie) != obj) {
		ret = -EINVAL;
		goto out;
	}
	for (c = 0; c < NR_COMPONENTS; c++) {
		for (i = 0; i <= reps; i++) {
			u64 ns = time_component(c, obj, cookie, iters);

			if (i)
				samples[i - 1] = div64_u64(ns * 10, iters);
			cond_resched();
		}
		summarize(samples, reps, &r);
		pr_info("XSC-BENCH: component guest=%s name=%s median_ns=%llu.%u min_ns=%llu.%u max_ns=%llu.%u\n",
			hv, component_names[c], DECI(r.median), DECI(r.min), DECI(r.max));
	}
out:
	xsc_page_index(page) = 0;
	page->private = 0;
	__free_page(page);
	return ret;
}

static DECLARE_COMPLETION(bench_done);
static int bench_status;

static int bench_fn(void *unused)
{
	const char *hv = xen_pv_domain() ? "xen-pv" : xen_hvm_domain() ? "xen-hvm" : "plain";
	struct bench_pc *pc;
	void **objs;
	int ret = -ENOMEM;

	objs = kmalloc_array(max(deep_objects, 64U), sizeof(*objs), GFP_KERNEL);
	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	if (!objs || !pc)
		goto out;
	bench_clock_init();
	pr_info("XSC-BENCH: begin guest=%s cpus=%u iters=%u reps=%u deep_objects=%u pc_objects=%u clock=%s\n",
		hv, num_online_cpus(), iters, reps, deep_objects, pc_objects,
		use_tsc ? "tsc" : "ktime");
	ret = run_components(hv);
	if (!ret)
		ret = run_size(256, 0, hv, objs, pc);
	if (!ret)
		ret = run_size(PAGE_SIZE, PAGE_SIZE, hv, objs, pc);
	pr_info("XSC-BENCH: end guest=%s status=%d\n", hv, ret);
out:
	kfree(pc);
	kfree(objs);
	bench_status = ret;
	kthread_complete_and_exit(&bench_done, 0);
}

static int __init xsc_bench_init(void)
{
	struct task_struct *t;

	if (reps < 5 || reps > MAX_REPS || !iters || !pc_objects || deep_objects < 64)
		return -EINVAL;
	t = kthread_create(bench_fn, NULL, "xsc_bench");
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, 0);
	wake_up_process(t);
	/* A timed wait: the hung-task detector must not see insmod. */
	while (!wait_for_completion_timeout(&bench_done, 10 * HZ))
		;
	return bench_status;
}

static void __exit xsc_bench_exit(void)
{
}

module_init(xsc_bench_init);
module_exit(xsc_bench_exit);
MODULE_DESCRIPTION("Benchmark of xen_slab_cache against kmem_cache, mempool, page_pool and alloc_page");
MODULE_LICENSE("GPL");
