// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of xen_slab_cache through its public API, in a kernel with
 * KASAN, lockdep, kmemleak and fail_page_alloc.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <xen_slab_cache.h>

#define MAGIC 0x5eedf00dcafe1234ULL

struct counters {
	atomic_t ctor;
	atomic_t dtor;
	atomic_t bad_dtor;
	int fail_next;
	spinlock_t lock;
	int acquired;
};

static int test_ctor(void *arg, void *object)
{
	struct counters *c = arg;

	if (READ_ONCE(c->fail_next)) {
		WRITE_ONCE(c->fail_next, c->fail_next - 1);
		return -ENOMEM;
	}
	atomic_inc(&c->ctor);
	*(u64 *)object = MAGIC;
	return 0;
}

static void test_dtor(void *arg, void *object)
{
	struct counters *c = arg;

	might_sleep();
	if (*(u64 *)object != MAGIC)
		atomic_inc(&c->bad_dtor);
	atomic_inc(&c->dtor);
}

static void test_acquire(void *arg)
{
	struct counters *c = arg;

	spin_lock_bh(&c->lock);
	c->acquired++;
}

static void test_release(void *arg)
{
	struct counters *c = arg;

	spin_unlock_bh(&c->lock);
}

static struct xen_slab_cache_args make_args(struct counters *c, size_t size,
					    unsigned int reservation, unsigned int cap)
{
	struct xen_slab_cache_args a = {
		.size = size, .reservation = reservation, .cap = cap,
		.ctor = test_ctor, .dtor = test_dtor, .arg = c,
	};

	memset(c, 0, sizeof(*c));
	spin_lock_init(&c->lock);
	return a;
}

static struct xen_slab_cache_stats stats(struct xen_slab_cache *cache)
{
	struct xen_slab_cache_stats s;

	xen_slab_cache_get_stats(cache, &s);
	return s;
}

static void destroy_checked(struct kunit *test, struct xen_slab_cache *cache, struct counters *c)
{
	KUNIT_EXPECT_EQ(test, xen_slab_cache_audit(cache), 0);
	KUNIT_EXPECT_EQ(test, stats(cache).in_use, 0ULL);
	xen_slab_cache_destroy(cache);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->ctor), atomic_read(&c->dtor));
	KUNIT_EXPECT_EQ(test, atomic_read(&c->bad_dtor), 0);
}

static void xsc_test_invalid_args(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 64, 0, 0);

	KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create(NULL, &a)), -EINVAL);
	a.size = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create("x", &a)), -EINVAL);
	a.size = XEN_SLAB_CACHE_MAX_SIZE + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create("x", &a)), -EINVAL);
	a.size = 64;
	a.align = 48;
	KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create("x", &a)), -EINVAL);
	a.align = 2 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create("x", &a)), -EINVAL);
	a.align = 0;
	a.reservation = 9;
	a.cap = 8;
	KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create("x", &a)), -EINVAL);
	a.reservation = 0;
	a.cap = 0;
	a.acquire_lock = test_acquire;
	KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create("x", &a)), -EINVAL);
}

static void xsc_test_lazy_construction(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 200, 16, 0);
	struct xen_slab_cache *cache = xen_slab_cache_create("kunit-lazy", &a);
	void *obj;
	int i;

	KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
	KUNIT_EXPECT_GE(test, stats(cache).count, 16ULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.ctor), 0);
	for (i = 0; i < 1000; i++) {
		obj = xen_slab_cache_get(cache, false);
		KUNIT_ASSERT_NOT_NULL(test, obj);
		KUNIT_EXPECT_EQ(test, *(u64 *)obj, MAGIC);
		xen_slab_cache_put(cache, obj, false);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&c.ctor), 1);
	c.fail_next = 1;
	obj = xen_slab_cache_get(cache, false); /* from the magazine: constructed */
	KUNIT_EXPECT_NOT_NULL(test, obj);
	KUNIT_EXPECT_NULL(test, xen_slab_cache_get(cache, false));
	KUNIT_EXPECT_EQ(test, stats(cache).ctor_failures, 1ULL);
	xen_slab_cache_put(cache, obj, false);
	destroy_checked(test, cache, &c);
}

static void xsc_test_cap(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 64, 1, 5);
	struct xen_slab_cache *cache = xen_slab_cache_create("kunit-cap", &a);
	void *objs[8];

	KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
	KUNIT_EXPECT_EQ(test, xen_slab_cache_get_bulk(cache, objs, 8, false), 5U);
	KUNIT_EXPECT_NULL(test, xen_slab_cache_get(cache, false));
	xen_slab_cache_put(cache, objs[4], false);
	objs[4] = xen_slab_cache_get(cache, false);
	KUNIT_EXPECT_NOT_NULL(test, objs[4]);
	xen_slab_cache_put_bulk(cache, objs, 5, false);
	KUNIT_EXPECT_EQ(test, stats(cache).in_use_max, 5ULL);
	destroy_checked(test, cache, &c);
}

static void xsc_test_page_objects(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, PAGE_SIZE, 0, 0);
	struct xen_slab_cache *cache;
	void *objs[16];
	unsigned int i, n;

	a.align = PAGE_SIZE;
	cache = xen_slab_cache_create("kunit-page", &a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
	n = xen_slab_cache_get_bulk(cache, objs, 16, false);
	KUNIT_ASSERT_EQ(test, n, 16U);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(objs[i]));
		KUNIT_EXPECT_TRUE(test, virt_addr_valid(objs[i]));
		memset((char *)objs[i] + 8, 0xa5, PAGE_SIZE - 8);
	}
	KUNIT_EXPECT_EQ(test, stats(cache).pages, 16ULL);
	KUNIT_EXPECT_EQ(test, stats(cache).slab_objects, 1ULL);
	xen_slab_cache_put_bulk(cache, objs, n, false);
	destroy_checked(test, cache, &c);
}

/* Sizes whose slab spans pages: the original found the slab by page alignment. */
static void xsc_test_multipage_slabs(struct kunit *test)
{
	static const size_t sizes[] = { 4056, 4064, 4072, 2048, 9000, 65536 };
	struct counters c;
	void *objs[24];
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct xen_slab_cache_args a = make_args(&c, sizes[i], 0, 0);
		struct xen_slab_cache *cache = xen_slab_cache_create("kunit-multi", &a);

		KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
		n = xen_slab_cache_get_bulk(cache, objs, ARRAY_SIZE(objs), false);
		KUNIT_EXPECT_EQ(test, n, (unsigned int)ARRAY_SIZE(objs));
		xen_slab_cache_put_bulk(cache, objs, n, false);
		KUNIT_EXPECT_EQ(test, stats(cache).bad_puts, 0ULL);
		destroy_checked(test, cache, &c);
	}
}

static void xsc_test_caller_lock(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 128, 4, 0);
	struct xen_slab_cache *cache;
	void *objs[100];
	int before;

	a.acquire_lock = test_acquire;
	a.release_lock = test_release;
	cache = xen_slab_cache_create("kunit-lock", &a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
	KUNIT_EXPECT_GT(test, c.acquired, 0);

	spin_lock_bh(&c.lock);
	before = c.acquired;
	KUNIT_EXPECT_EQ(test, xen_slab_cache_get_bulk(cache, objs, 100, true), 100U);
	xen_slab_cache_put_bulk(cache, objs, 100, true);
	KUNIT_EXPECT_EQ(test, c.acquired, before);
	spin_unlock_bh(&c.lock);
	destroy_checked(test, cache, &c);
}

static void xsc_test_random_with_audit(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 96, 7, 0);
	struct xen_slab_cache *cache = xen_slab_cache_create("kunit-random", &a);
	void **held = kunit_kcalloc(test, 512, sizeof(void *), GFP_KERNEL);
	unsigned int n = 0, step;

	KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
	KUNIT_ASSERT_NOT_NULL(test, held);
	for (step = 0; step < 4000; step++) {
		u32 r = get_random_u32();

		if ((r & 3) < 2 && n < 512) {
			void *obj = xen_slab_cache_get(cache, false);

			KUNIT_ASSERT_NOT_NULL(test, obj);
			held[n++] = obj;
		} else if (n) {
			unsigned int i = (r >> 8) % n;

			xen_slab_cache_put(cache, held[i], false);
			held[i] = held[--n];
		}
		if (step % 500 == 0)
			xen_slab_cache_trim(cache);
		KUNIT_ASSERT_EQ(test, xen_slab_cache_audit(cache), 0);
		KUNIT_ASSERT_EQ(test, stats(cache).in_use, (u64)n);
	}
	xen_slab_cache_put_bulk(cache, held, n, false);
	destroy_checked(test, cache, &c);
}

/* Every CPU gets and puts, half of what it gets is put on another CPU. */
struct stress {
	struct xen_slab_cache *cache;
	void **handoff;		/* one slot per CPU pair, NULL when empty */
	atomic_t failures;
	atomic_t running;
	struct completion done;
};

static int stress_fn(void *data)
{
	struct stress *s = data;
	unsigned int cpu = raw_smp_processor_id(), peer = (cpu + 1) % nr_cpu_ids;
	void *mine[32];
	unsigned int i, n, round;

	for (round = 0; round < 2000; round++) {
		n = xen_slab_cache_get_bulk(s->cache, mine, 1 + round % 32, false);
		if (!n)
			atomic_inc(&s->failures);
		/* hand one to the next CPU, take what the previous one left */
		if (n && !cmpxchg(&s->handoff[peer], NULL, mine[n - 1]))
			n--;
		for (i = 0; i < n; i++)
			xen_slab_cache_put(s->cache, mine[i], false);
		mine[0] = xchg(&s->handoff[cpu], NULL);
		if (mine[0])
			xen_slab_cache_put(s->cache, mine[0], false);
		cond_resched();
	}
	if (atomic_dec_and_test(&s->running))
		complete(&s->done);
	return 0;
}

static void xsc_test_concurrent_stress(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 256, 8, 0);
	struct stress s = {};
	unsigned int cpu;

	s.cache = xen_slab_cache_create("kunit-stress", &a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(s.cache));
	s.handoff = kunit_kcalloc(test, nr_cpu_ids, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s.handoff);
	init_completion(&s.done);
	atomic_set(&s.running, num_online_cpus());
	for_each_online_cpu(cpu) {
		struct task_struct *t = kthread_create(stress_fn, &s, "xsc_stress/%u", cpu);

		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		kthread_bind(t, cpu);
		wake_up_process(t);
	}
	while (!wait_for_completion_timeout(&s.done, HZ / 10))
		xen_slab_cache_trim(s.cache);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (s.handoff[cpu])
			xen_slab_cache_put(s.cache, s.handoff[cpu], false);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&s.failures), 0);
	KUNIT_EXPECT_EQ(test, stats(s.cache).bad_puts, 0ULL);
	destroy_checked(test, s.cache, &c);
}

struct on_cpu_work {
	struct work_struct work;
	struct xen_slab_cache *cache;
	unsigned int n, got;
};

static void fill_magazines_fn(struct work_struct *work)
{
	struct on_cpu_work *w = container_of(work, struct on_cpu_work, work);
	void *objs[40];

	w->got = xen_slab_cache_get_bulk(w->cache, objs, w->n, false);
	xen_slab_cache_put_bulk(w->cache, objs, w->got, false);
}

/*
 * Objects in the magazines of a CPU that goes offline come back to the
 * slabs (the original sized its magazine array by online CPUs and never
 * drained it).
 */
static void xsc_test_cpu_offline_drains_magazines(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 64, 0, 0);
	struct on_cpu_work w = { .n = 40 };
	unsigned int cpu = 1;
	int ret;

	if (num_online_cpus() < 2 || !cpu_online(cpu))
		kunit_skip(test, "needs CPU 1 online");
	w.cache = xen_slab_cache_create("kunit-hotplug", &a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(w.cache));
	INIT_WORK_ONSTACK(&w.work, fill_magazines_fn);
	schedule_work_on(cpu, &w.work);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	KUNIT_ASSERT_EQ(test, w.got, 40U);
	KUNIT_EXPECT_EQ(test, stats(w.cache).cached, 40ULL);

	ret = remove_cpu(cpu);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, stats(w.cache).cached, 0ULL);
	KUNIT_EXPECT_EQ(test, xen_slab_cache_audit(w.cache), 0);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);

	/* The CPU is back and works with fresh magazines. */
	INIT_WORK_ONSTACK(&w.work, fill_magazines_fn);
	schedule_work_on(cpu, &w.work);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	KUNIT_EXPECT_EQ(test, w.got, 40U);
	destroy_checked(test, w.cache, &c);
}

/* Gets and puts from hard interrupt context (an hrtimer) and from softirq (a tasklet). */
struct irq_ctx {
	struct hrtimer timer;
	struct tasklet_struct tasklet;
	struct xen_slab_cache *cache;
	void *held[8];
	atomic_t hard_rounds, soft_rounds, failures;
};

/* The timer owns held[0..3], the tasklet held[4..7]. */
static void irq_round(struct irq_ctx *x, unsigned int first, unsigned int round)
{
	void **slot = &x->held[first + round % 4];

	if (*slot) {
		xen_slab_cache_put(x->cache, *slot, false);
		*slot = NULL;
	} else {
		*slot = xen_slab_cache_get(x->cache, false);
		if (!*slot)
			atomic_inc(&x->failures);
	}
}

static enum hrtimer_restart irq_timer_fn(struct hrtimer *timer)
{
	struct irq_ctx *x = container_of(timer, struct irq_ctx, timer);
	unsigned int round = atomic_inc_return(&x->hard_rounds);

	WARN_ON_ONCE(!in_hardirq());
	irq_round(x, 0, round);
	if (round >= 200)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, ns_to_ktime(200 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void irq_tasklet_fn(struct tasklet_struct *t)
{
	struct irq_ctx *x = from_tasklet(x, t, tasklet);

	irq_round(x, 4, atomic_inc_return(&x->soft_rounds));
}

static void xsc_test_irq_contexts(struct kunit *test)
{
	struct counters c;
	struct xen_slab_cache_args a = make_args(&c, 128, 4, 0);
	struct irq_ctx *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, x);
	x->cache = xen_slab_cache_create("kunit-irq", &a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(x->cache));
	hrtimer_init(&x->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	x->timer.function = irq_timer_fn;
	tasklet_setup(&x->tasklet, irq_tasklet_fn);
	hrtimer_start(&x->timer, ns_to_ktime(200 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	for (i = 0; i < 200; i++) {
		tasklet_schedule(&x->tasklet);
		usleep_range(100, 200);
	}
	while (atomic_read(&x->hard_rounds) < 200)
		msleep(1);
	hrtimer_cancel(&x->timer);
	tasklet_kill(&x->tasklet);
	for (i = 0; i < ARRAY_SIZE(x->held); i++) {
		if (x->held[i])
			xen_slab_cache_put(x->cache, x->held[i], false);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&x->failures), 0);
	KUNIT_EXPECT_GE(test, atomic_read(&x->soft_rounds), 1);
	destroy_checked(test, x->cache, &c);
}

/* Every policy: gets, puts, bulk, a monitor pass, the audit. */
static void xsc_test_policies(struct kunit *test)
{
	static const unsigned int policies[] = {
		XEN_SLAB_CACHE_POLICY_DEFAULT, XEN_SLAB_CACHE_POLICY_2019,
		XEN_SLAB_CACHE_POLICY_PRE2019, XEN_SLAB_CACHE_POLICY_NO_MAGAZINES,
	};
	void **objs = kunit_kcalloc(test, 64, sizeof(void *), GFP_KERNEL);
	struct xen_slab_cache_stats s;
	unsigned int i, k;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		struct counters c;
		struct xen_slab_cache_args a = make_args(&c, 512, 8, 0);
		struct xen_slab_cache *cache;

		a.policy = policies[i];
		cache = xen_slab_cache_create("kunit-policy", &a);
		KUNIT_ASSERT_FALSE(test, IS_ERR(cache));
		KUNIT_ASSERT_EQ(test, xen_slab_cache_get_bulk(cache, objs, 64, false), 64U);
		for (k = 0; k < 64; k++)
			KUNIT_EXPECT_EQ(test, *(u64 *)objs[k], MAGIC);
		xen_slab_cache_put_bulk(cache, objs, 32, false);
		for (k = 32; k < 64; k++)
			xen_slab_cache_put(cache, objs[k], false);
		for (k = 0; k < 100; k++) {
			void *obj = xen_slab_cache_get(cache, false);

			KUNIT_ASSERT_NOT_NULL(test, obj);
			xen_slab_cache_put(cache, obj, false);
		}
		KUNIT_EXPECT_EQ(test, xen_slab_cache_audit(cache), 0);
		xen_slab_cache_trim(cache);
		s = stats(cache);
		KUNIT_EXPECT_EQ(test, s.policy, (u64)policies[i]);
		KUNIT_EXPECT_EQ(test, s.in_use, 0ULL);
		KUNIT_EXPECT_EQ(test, s.bad_puts, 0ULL);
		KUNIT_EXPECT_GE(test, s.count, 8ULL);
		if (policies[i] == XEN_SLAB_CACHE_POLICY_NO_MAGAZINES)
			KUNIT_EXPECT_EQ(test, s.get_fast + s.put_fast, 0ULL);
		if (policies[i] == XEN_SLAB_CACHE_POLICY_2019 ||
		    policies[i] == XEN_SLAB_CACHE_POLICY_PRE2019) {
			/* One 6-slot magazine per CPU, no depot. */
			KUNIT_EXPECT_LE(test, s.cached, 6ULL * nr_cpu_ids);
			KUNIT_EXPECT_EQ(test, s.depot_full + s.depot_empty, 0ULL);
		}
		destroy_checked(test, cache, &c);
	}
	{
		struct counters c;
		struct xen_slab_cache_args a = make_args(&c, 64, 0, 0);

		a.policy = XEN_SLAB_CACHE_POLICY_NO_MAGAZINES + 1;
		KUNIT_EXPECT_EQ(test, PTR_ERR(xen_slab_cache_create("x", &a)), -EINVAL);
	}
}

static struct kunit_case xsc_cases[] = {
	KUNIT_CASE(xsc_test_irq_contexts),
	KUNIT_CASE(xsc_test_cpu_offline_drains_magazines),
	KUNIT_CASE(xsc_test_invalid_args),
	KUNIT_CASE(xsc_test_lazy_construction),
	KUNIT_CASE(xsc_test_cap),
	KUNIT_CASE(xsc_test_page_objects),
	KUNIT_CASE(xsc_test_multipage_slabs),
	KUNIT_CASE(xsc_test_caller_lock),
	KUNIT_CASE(xsc_test_random_with_audit),
	KUNIT_CASE(xsc_test_concurrent_stress),
	KUNIT_CASE(xsc_test_policies),
	{}
};

static struct kunit_suite xsc_suite = {
	.name = "xen_slab_cache",
	.test_cases = xsc_cases,
};
kunit_test_suite(xsc_suite);

MODULE_DESCRIPTION("KUnit tests of xen_slab_cache");
MODULE_LICENSE("GPL");
