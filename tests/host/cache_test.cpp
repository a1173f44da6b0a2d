// SPDX-License-Identifier: GPL-2.0
//
// Tests of the allocator core in user space (GoogleTest; run under ASan and
// UBSan, and the concurrent ones under TSan).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "platform.hpp"
#include "cpu_cache.hpp"
#include "slab.hpp"

namespace {

constexpr unsigned kCpus = 4;

bool is_err(const void *p)
{
	return reinterpret_cast<uintptr_t>(p) >= static_cast<uintptr_t>(-4095L);
}

long err_of(const void *p)
{
	return static_cast<long>(reinterpret_cast<intptr_t>(p));
}

xen_slab_cache_stats stats_of(xen_slab_cache *c)
{
	xen_slab_cache_stats s;

	xen_slab_cache_get_stats(c, &s);
	return s;
}

// Constructor bookkeeping shared by many tests: a constructed object holds
// a magic word, which the destructor checks and clears.
struct Counters {
	std::atomic<long> ctor{ 0 };
	std::atomic<long> dtor{ 0 };
	std::atomic<long> fail_next{ 0 };
	std::atomic<long> bad_dtor{ 0 };
	std::atomic<long> locks{ 0 };
	std::mutex lock;
	bool held = false;
};

constexpr uint64_t kMagic = 0x5eedf00dcafe1234ULL;

int test_ctor(void *arg, void *object)
{
	auto *c = static_cast<Counters *>(arg);

	if (c->fail_next > 0) {
		c->fail_next--;
		return -12;
	}
	c->ctor++;
	memcpy(object, &kMagic, sizeof(kMagic));
	return 0;
}

void test_dtor(void *arg, void *object)
{
	auto *c = static_cast<Counters *>(arg);
	uint64_t v;

	memcpy(&v, object, sizeof(v));
	if (v != kMagic)
		c->bad_dtor++;
	memset(object, 0, sizeof(v));
	c->dtor++;
}

void test_acquire(void *arg)
{
	auto *c = static_cast<Counters *>(arg);

	c->lock.lock();
	c->held = true;
	c->locks++;
}

void test_release(void *arg)
{
	auto *c = static_cast<Counters *>(arg);

	c->held = false;
	c->lock.unlock();
}

struct CacheFixture : ::testing::Test {
	Counters counters;
	xen_slab_cache *cache = nullptr;

	xen_slab_cache_args args(size_t size, unsigned reservation = 0, unsigned cap = 0)
	{
		xen_slab_cache_args a{};

		a.size = size;
		a.reservation = reservation;
		a.cap = cap;
		a.ctor = test_ctor;
		a.dtor = test_dtor;
		a.arg = &counters;
		return a;
	}

	xen_slab_cache *make(const xen_slab_cache_args &a)
	{
		cache = xen_slab_cache_create("test", &a);
		EXPECT_FALSE(is_err(cache)) << err_of(cache);
		return cache;
	}

	void SetUp() override
	{
		host::set_cpu(0);
	}

	void TearDown() override
	{
		if (cache && !is_err(cache)) {
			EXPECT_EQ(0, xen_slab_cache_audit(cache));
			xen_slab_cache_destroy(cache);
			EXPECT_EQ(counters.ctor.load(), counters.dtor.load());
			EXPECT_EQ(0, counters.bad_dtor.load());
		}
	}
};

TEST(Create, RejectsEveryInvalidArgument)
{
	xen_slab_cache_args good{};
	auto lock = [](void *) {};

	good.size = 64;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create(nullptr, &good)));
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", nullptr)));

	xen_slab_cache_args a = good;
	a.size = 0;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a.size = XEN_SLAB_CACHE_MAX_SIZE + 1;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a = good;
	a.align = 24;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a.align = 2 * XSC_PAGE_SIZE;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a = good;
	a.reservation = 5;
	a.cap = 4;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a = good;
	a.acquire_lock = lock;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a = good;
	a.release_lock = lock;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a = good;
	a.policy = XEN_SLAB_CACHE_POLICY_NO_MAGAZINES + 1;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	a.policy = ~0u;
	EXPECT_EQ(-XSC_EINVAL, err_of(xen_slab_cache_create("x", &a)));
	EXPECT_EQ(0, host::live_pages());

	a = good;
	a.size = XEN_SLAB_CACHE_MAX_SIZE;
	a.reservation = 1;
	xen_slab_cache *c = xen_slab_cache_create("largest", &a);
	ASSERT_FALSE(is_err(c));
	EXPECT_EQ(0, xen_slab_cache_audit(c));
	xen_slab_cache_destroy(c);
	EXPECT_EQ(0, host::live_pages());
}

// A reservation is bounded by memory even without a cap: one whose slabs
// would take more than half of it fails at once, allocating nothing.
TEST(Create, RefusesAReservationOverHalfOfMemory)
{
	xen_slab_cache_args a{};

	a.size = 4096;
	a.align = 4096;
	host::set_total_pages(1000);
	a.reservation = 501;
	EXPECT_EQ(-XSC_ENOMEM, err_of(xen_slab_cache_create("huge", &a)));
	EXPECT_EQ(0, host::live_pages());
	a.reservation = 500;
	xen_slab_cache *c = xen_slab_cache_create("half", &a);
	host::set_total_pages(1UL << 22);
	ASSERT_FALSE(is_err(c));
	EXPECT_GE(stats_of(c).count, 500u);
	xen_slab_cache_destroy(c);
	EXPECT_EQ(0, host::live_pages());
}

TEST(Create, FailsCleanlyWhenTheReservationCannotBeFilled)
{
	xen_slab_cache_args a{};

	a.size = 256;
	a.reservation = 1000;
	for (long every = 1; every < 40; every += 3) {
		host::fail_allocations_every(every);
		xen_slab_cache *c = xen_slab_cache_create("fail", &a);
		host::fail_allocations_every(0);
		if (!is_err(c)) {
			EXPECT_GE(stats_of(c).count, 1000u);
			xen_slab_cache_destroy(c);
		} else {
			EXPECT_EQ(-XSC_ENOMEM, err_of(c));
		}
		EXPECT_EQ(0, host::live_pages()) << "every " << every;
	}
}

TEST(Geometry, WasteAtMostAnEighthAndEverySizeFits)
{
	for (unsigned long align = 1; align <= XSC_PAGE_SIZE; align *= 2) {
		for (unsigned long size = 1; size <= XEN_SLAB_CACHE_MAX_SIZE; size += (size < 8192 ? 1 : 61)) {
			xsc::Geometry g;

			ASSERT_TRUE(xsc::Geometry::compute(size, align, &g)) << size << "/" << align;
			const unsigned long bytes = XSC_PAGE_SIZE << g.order;
			ASSERT_GE(g.objects, 1u);
			ASSERT_LE(g.objects * g.stride, bytes);
			ASSERT_LE((bytes - g.objects * g.stride) * 8, bytes) << size << "/" << align;
			ASSERT_EQ(0u, g.stride % align);
			// The reciprocal maps every slot start back to its slot and
			// every other offset to "not a slot".
			for (unsigned slot : { 0u, 1u, g.objects / 2, g.objects - 1 }) {
				if (slot >= g.objects)
					continue;
				ASSERT_EQ(static_cast<long>(slot), g.slot_of(slot * g.stride));
				if (g.stride > 1) {
					ASSERT_EQ(-1, g.slot_of(slot * g.stride + 1));
				}
			}
			ASSERT_EQ(-1, g.slot_of(g.objects * g.stride));
		}
	}
	xsc::Geometry page;
	ASSERT_TRUE(xsc::Geometry::compute(XSC_PAGE_SIZE, XSC_PAGE_SIZE, &page));
	EXPECT_EQ(0u, page.order);
	EXPECT_EQ(1u, page.objects);
}

TEST_F(CacheFixture, ConstructsLazilyOnceAndKeepsObjectsConstructed)
{
	make(args(100));
	void *a = xen_slab_cache_get(cache, false);
	ASSERT_NE(nullptr, a);
	EXPECT_EQ(1, counters.ctor.load());
	EXPECT_EQ(0, memcmp(a, &kMagic, sizeof(kMagic)));
	xen_slab_cache_put(cache, a, false);
	for (int i = 0; i < 100; i++) {
		void *b = xen_slab_cache_get(cache, false);
		ASSERT_NE(nullptr, b);
		EXPECT_EQ(0, memcmp(b, &kMagic, sizeof(kMagic)));
		xen_slab_cache_put(cache, b, false);
	}
	EXPECT_EQ(1, counters.ctor.load());
	EXPECT_EQ(0, counters.dtor.load());
	EXPECT_EQ(1u, stats_of(cache).ctor_calls);
}

TEST_F(CacheFixture, FailingCtorReturnsNullAndLeavesTheSlotUnconstructed)
{
	make(args(64));
	counters.fail_next = 1;
	EXPECT_EQ(nullptr, xen_slab_cache_get(cache, false));
	auto s = stats_of(cache);
	EXPECT_EQ(1u, s.ctor_failures);
	EXPECT_EQ(1u, s.get_failures);
	EXPECT_EQ(0u, s.in_use);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	void *a = xen_slab_cache_get(cache, false);
	ASSERT_NE(nullptr, a);
	EXPECT_EQ(1, counters.ctor.load());
	xen_slab_cache_put(cache, a, false);
}

TEST_F(CacheFixture, CapCountsObjectsNotSlabs)
{
	make(args(64, 2, 3));
	void *o[4];
	for (int i = 0; i < 3; i++)
		ASSERT_NE(nullptr, o[i] = xen_slab_cache_get(cache, false));
	EXPECT_EQ(nullptr, xen_slab_cache_get(cache, false));
	EXPECT_EQ(1u, stats_of(cache).get_failures);
	xen_slab_cache_put(cache, o[0], false);
	ASSERT_NE(nullptr, o[0] = xen_slab_cache_get(cache, false));
	void *bulk[8];
	EXPECT_EQ(0u, xen_slab_cache_get_bulk(cache, bulk, 8, false));
	xen_slab_cache_put_bulk(cache, o, 2, false);
	EXPECT_EQ(2u, xen_slab_cache_get_bulk(cache, bulk, 8, false));
	xen_slab_cache_put_bulk(cache, bulk, 2, false);
	xen_slab_cache_put(cache, o[2], false);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(3u, stats_of(cache).in_use_max);
}

// in_use_max counts objects handed out, not what a failed or short get
// reserved against the cap and gave back.
TEST_F(CacheFixture, CapInUseMaxCountsOnlyObjectsHandedOut)
{
	make(args(64, 0, 100));
	void *o[64];
	ASSERT_EQ(3u, xen_slab_cache_get_bulk(cache, o, 3, false));
	EXPECT_EQ(3u, stats_of(cache).in_use_max);
	// A get that fails (its constructor fails) hands nothing out.
	counters.fail_next = 1;
	EXPECT_EQ(nullptr, xen_slab_cache_get(cache, false));
	EXPECT_EQ(3u, stats_of(cache).in_use_max);
	// A bulk get cut short by a constructor failure hands out fewer.
	counters.fail_next = 1;
	const unsigned got = xen_slab_cache_get_bulk(cache, o + 3, 50, false);
	EXPECT_LT(got, 50u);
	EXPECT_EQ(3u + got, stats_of(cache).in_use_max);
	xen_slab_cache_put_bulk(cache, o, 3 + got, false);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(3u + got, stats_of(cache).in_use_max);
}

TEST_F(CacheFixture, ReservationIsFilledAndKept)
{
	make(args(512, 100));
	auto s = stats_of(cache);
	EXPECT_GE(s.count, 100u);
	EXPECT_EQ(0u, s.ctor_calls);
	std::vector<void *> v(500);
	ASSERT_EQ(500u, xen_slab_cache_get_bulk(cache, v.data(), 500, false));
	xen_slab_cache_put_bulk(cache, v.data(), 500, false);
	for (int i = 0; i < 20; i++)
		xen_slab_cache_trim(cache);
	for (unsigned cpu = 0; cpu < kCpus; cpu++)
		xsc_cache_cpu_dead(cache, cpu);
	for (int i = 0; i < 20; i++)
		xen_slab_cache_trim(cache);
	s = stats_of(cache);
	EXPECT_GE(s.count, 100u);
	EXPECT_LT(s.count, 100u + s.slab_objects);
	EXPECT_EQ(s.count, s.slabs * s.slab_objects);
}

// A monitor pass frees the slabs that stayed empty for the whole period
// since the previous pass (the working set), down to the reservation.
TEST_F(CacheFixture, MonitorPassFreesSlabsThatStayedEmptyForAPeriod)
{
	make(args(1000)); // 4 per slab
	std::vector<void *> v(400);
	ASSERT_EQ(400u, xen_slab_cache_get_bulk(cache, v.data(), 400, false));
	const auto peak = stats_of(cache);
	ASSERT_EQ(100u, peak.slabs);
	xen_slab_cache_put_bulk(cache, v.data(), 400, false);
	for (unsigned cpu = 0; cpu < kCpus; cpu++)
		xsc_cache_cpu_dead(cache, cpu);
	xsc_cache_shrink_scan(cache, 0); // empties the depot, frees nothing
	xen_slab_cache_trim(cache);
	EXPECT_EQ(peak.count, stats_of(cache).count) << "all were in use during the period";
	// Ten slabs' worth used during the next period: the other 90 go.
	ASSERT_EQ(40u, xen_slab_cache_get_bulk(cache, v.data(), 40, false));
	xen_slab_cache_put_bulk(cache, v.data(), 40, false);
	xsc_cache_cpu_dead(cache, 0);
	xen_slab_cache_trim(cache);
	EXPECT_EQ(10u, stats_of(cache).slabs);
	EXPECT_EQ(360, counters.dtor.load());
	xen_slab_cache_trim(cache);
	EXPECT_EQ(0u, stats_of(cache).slabs);
	EXPECT_EQ(counters.ctor.load(), counters.dtor.load());
	EXPECT_EQ(peak.slabs, stats_of(cache).slabs_max);
}

// While the objects in use stay within a sixteenth of what they were at the
// last two passes, a monitor pass keeps free slots for a sixteenth of them,
// constructed, so a rise within that constructs nothing; after a larger
// drop it keeps none.
TEST_F(CacheFixture, MonitorKeepsASixteenthFreeWhileDemandIsSteady)
{
	make(args(1000)); // 4 per slab
	std::vector<void *> v(480);
	// Magazine contents back to the slabs, nothing freed.
	auto to_slabs = [this] {
		for (unsigned cpu = 0; cpu < kCpus; cpu++)
			xsc_cache_cpu_dead(cache, cpu);
		xsc_cache_shrink_scan(cache, 0);
	};

	ASSERT_EQ(480u, xen_slab_cache_get_bulk(cache, v.data(), 480, false));
	ASSERT_EQ(120u, stats_of(cache).slabs);
	xen_slab_cache_put_bulk(cache, v.data() + 320, 160, false); // 40 slabs empty
	to_slabs();
	xen_slab_cache_trim(cache);
	EXPECT_EQ(120u, stats_of(cache).slabs) << "the 40 were in use during the period";
	xen_slab_cache_trim(cache);
	EXPECT_EQ(85u, stats_of(cache).slabs) << "80 in use and 5 kept: 20 free slots for 320 in use";
	EXPECT_EQ(140, counters.dtor.load());

	ASSERT_EQ(20u, xen_slab_cache_get_bulk(cache, v.data() + 320, 20, false));
	EXPECT_EQ(480, counters.ctor.load()) << "the rise used constructed objects";
	xen_slab_cache_put_bulk(cache, v.data() + 240, 100, false); // down to 240 in use
	to_slabs();
	EXPECT_EQ(240u, stats_of(cache).in_use);
	xen_slab_cache_trim(cache); // the 5 were used during the period
	xen_slab_cache_trim(cache);
	EXPECT_EQ(60u, stats_of(cache).slabs) << "a drop of a quarter: nothing kept";
	xen_slab_cache_put_bulk(cache, v.data(), 240, false);
}

// After a burst drains into the magazines and the depot, two monitor passes
// bring the cache back to its reservation.
TEST_F(CacheFixture, BackToTheReservationWithinTwoPassesAfterABurst)
{
	make(args(256, 40)); // 16 per slab
	std::vector<void *> v(2000);
	ASSERT_EQ(2000u, xen_slab_cache_get_bulk(cache, v.data(), 2000, false));
	for (void *p : v)
		xen_slab_cache_put(cache, p, false);
	EXPECT_GT(stats_of(cache).depot_full, 10u);
	xen_slab_cache_trim(cache);
	xen_slab_cache_trim(cache);
	auto s = stats_of(cache);
	EXPECT_GE(s.count, 40u);
	EXPECT_LT(s.count, 40u + s.slab_objects);
	EXPECT_EQ(0u, s.cached);
	// Bursts closer together than a pass reuse their constructed objects.
	const long ctors = counters.ctor.load();
	for (int burst = 0; burst < 3; burst++) {
		ASSERT_EQ(2000u, xen_slab_cache_get_bulk(cache, v.data(), 2000, false));
		xen_slab_cache_put_bulk(cache, v.data(), 2000, false);
		xen_slab_cache_trim(cache);
	}
	EXPECT_LT(counters.ctor.load() - ctors, 2200) << "one burst's worth constructed, not three";
}

TEST_F(CacheFixture, RefusesForeignPointersDoublePutsAndOtherCachesObjects)
{
	make(args(128));
	xen_slab_cache_args oa = args(128);
	xen_slab_cache *other = xen_slab_cache_create("other", &oa);
	ASSERT_FALSE(is_err(other));
	const long warnings = host::warning_count();

	void *a = xen_slab_cache_get(cache, false);
	void *b = xen_slab_cache_get(other, false);
	char local[256];

	xen_slab_cache_put(cache, local, false);
	xen_slab_cache_put(cache, nullptr, false);
	xen_slab_cache_put(cache, static_cast<char *>(a) + 1, false);
	xen_slab_cache_put(cache, b, false);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	EXPECT_EQ(4u, stats_of(cache).bad_puts);
	EXPECT_EQ(1u, stats_of(cache).in_use);
	EXPECT_EQ(warnings + 1, host::warning_count()) << "one warning per cache";

	// An immediate double put is caught at the magazine.
	xen_slab_cache_put(cache, a, false);
	xen_slab_cache_put(cache, a, false);
	EXPECT_EQ(5u, stats_of(cache).bad_puts);
	a = xen_slab_cache_get(cache, false);

	// A double put is caught once the object is back in its slab, by a
	// slow put (here: on a CPU that hints no slab; production builds'
	// fast puts do not test the slot).
	xen_slab_cache_put(cache, a, false);
	for (unsigned cpu = 0; cpu < kCpus; cpu++)
		xsc_cache_cpu_dead(cache, cpu);
	host::set_cpu(1);
	xen_slab_cache_put(cache, a, false);
	host::set_cpu(0);
	EXPECT_EQ(6u, stats_of(cache).bad_puts);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));

	xen_slab_cache_put(other, b, false);
	EXPECT_EQ(0u, stats_of(other).bad_puts);
	xen_slab_cache_destroy(other);
}

#ifdef XSC_POISON
// Checked builds poison free objects: a double put of an object that sits
// in a magazine (not on top) is refused too, and every double put leaves
// the cache consistent.
TEST_F(CacheFixture, CheckedBuildCatchesDoublePutsInsideMagazines)
{
	make(args(64));
	void *o[8];
	ASSERT_EQ(8u, xen_slab_cache_get_bulk(cache, o, 8, false));
	xen_slab_cache_put_bulk(cache, o, 8, false);
	EXPECT_GT(stats_of(cache).cached, 0u);
	xen_slab_cache_put(cache, o[2], false);
	xen_slab_cache_put_bulk(cache, o + 4, 2, false);
	EXPECT_EQ(3u, stats_of(cache).bad_puts);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	// Each object is handed out once, constructed and unpoisoned.
	void *p[8];
	ASSERT_EQ(8u, xen_slab_cache_get_bulk(cache, p, 8, false));
	std::set<void *> distinct(p, p + 8);
	EXPECT_EQ(8u, distinct.size());
	for (void *q : p) {
		uint64_t v;

		memcpy(&v, q, sizeof(v));
		EXPECT_EQ(kMagic, v);
	}
	xen_slab_cache_put_bulk(cache, p, 8, false);
}

// A bulk put that overflows the magazine sends the rest to the slabs: a
// double put among them is refused too (the original's 6-slot magazine
// overflows after six).
TEST_F(CacheFixture, CheckedBuildRefusesDoublePutsPastAFullMagazine)
{
	xen_slab_cache_args a = args(64);

	a.policy = XEN_SLAB_CACHE_POLICY_2019;
	make(a);
	void *o[10];
	ASSERT_EQ(10u, xen_slab_cache_get_bulk(cache, o, 10, false));
	xen_slab_cache_put(cache, o[0], false);
	void *again[7] = { o[1], o[2], o[3], o[4], o[5], o[6], o[0] };
	xen_slab_cache_put_bulk(cache, again, 7, false);
	EXPECT_EQ(1u, stats_of(cache).bad_puts);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	xen_slab_cache_put_bulk(cache, o + 7, 3, false);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	void *p[10];
	ASSERT_EQ(10u, xen_slab_cache_get_bulk(cache, p, 10, false));
	EXPECT_EQ(10u, std::set<void *>(p, p + 10).size()) << "an object handed out twice";
	xen_slab_cache_put_bulk(cache, p, 10, false);
}

TEST_F(CacheFixture, CheckedBuildReportsUseAfterPut)
{
	make(args(64));
	void *a = xen_slab_cache_get(cache, false);
	ASSERT_NE(nullptr, a);
	xen_slab_cache_put(cache, a, false);
	EXPECT_DEATH(*static_cast<volatile char *>(a) = 1, "use-after-poison");
	// A slot never handed out is poisoned as well.
	void *b = xen_slab_cache_get(cache, false);
	ASSERT_NE(nullptr, b);
	EXPECT_DEATH(*(static_cast<volatile char *>(b) + 64) = 1, "use-after-poison");
	xen_slab_cache_put(cache, b, false);
}
#endif


// Puts check their object against the slab of the CPU's previous put (its
// hint) before the page owner lookup: the hint must refuse everything the
// lookup refuses.
TEST_F(CacheFixture, HintedPutsRefuseWhatLookupsRefuse)
{
	make(args(1000)); // 4 slots of 1000 bytes in a page, 96 bytes of tail
	xen_slab_cache_args oa = args(1000);
	xen_slab_cache *other = xen_slab_cache_create("other", &oa);
	ASSERT_FALSE(is_err(other));
	void *o[4];
	ASSERT_EQ(4u, xen_slab_cache_get_bulk(cache, o, 4, false));
	void *b = xen_slab_cache_get(other, false);
	std::sort(o, o + 4);
	char *base = static_cast<char *>(o[0]);
	ASSERT_EQ(0u, reinterpret_cast<uintptr_t>(base) % XSC_PAGE_SIZE);

	xen_slab_cache_put(cache, o[1], false); // the hint is now this slab
	EXPECT_EQ(0u, stats_of(cache).bad_puts);
	xen_slab_cache_put(cache, base + 1, false);	    // inside an object
	xen_slab_cache_put(cache, base + 1500, false);   // inside another
	xen_slab_cache_put(cache, base + 4000, false);   // the tail, no slot
	xen_slab_cache_put(cache, base + 4095, false);
	xen_slab_cache_put(cache, b, false);		    // the other cache's
	xen_slab_cache_put(cache, nullptr, false);
	EXPECT_EQ(6u, stats_of(cache).bad_puts);
	// A free slot of the hinted slab: a double put once it is back, which
	// the hinted lookup of a bulk put refuses (production builds' single
	// fast put does not test the slot; checked builds take no fast put).
	xsc_cache_cpu_dead(cache, 0);
	xen_slab_cache_put(cache, o[0], false); // hint again
	xen_slab_cache_put_bulk(cache, &o[1], 1, false); // free in its slab: refused
	EXPECT_EQ(7u, stats_of(cache).bad_puts);
	xen_slab_cache_put(cache, o[2], false);
	xen_slab_cache_put(cache, o[3], false);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));

	// The hinted slab is freed: a put into its old memory must not touch
	// its metadata (ASan would see it) and is refused.
	xsc_cache_cpu_dead(cache, 0);
	xsc_cache_shrink_scan(cache, ~0UL);
	ASSERT_EQ(0u, stats_of(cache).slabs);
	xen_slab_cache_put(cache, o[2], false);
	EXPECT_EQ(8u, stats_of(cache).bad_puts);
	// Bulk puts take the same path.
	void *bad[3] = { base + 1, b, o[3] };
	xen_slab_cache_put_bulk(cache, bad, 3, false);
	EXPECT_EQ(11u, stats_of(cache).bad_puts);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	xen_slab_cache_put(other, b, false);
	EXPECT_EQ(0u, stats_of(other).bad_puts);
	xen_slab_cache_destroy(other);
}

// Slabs are found through the owner of their pages, which is global: a
// pointer into another cache's slab, next to a slab or into a freed slab
// must be refused all the same, through the hint and through the lookup,
// and leave both caches intact.
TEST_F(CacheFixture, PageOwnersRefuseOtherCachesNeighboursAndFreedSlabs)
{
	for (size_t size : { 4096, 9000, 256 }) {
		SCOPED_TRACE(size);
		make(args(size));
		xen_slab_cache_args oa = args(size);
		xen_slab_cache *other = xen_slab_cache_create("other", &oa);
		ASSERT_FALSE(is_err(other));
		const long warnings = host::warning_count();
		void *o[16], *b[16];
		ASSERT_EQ(16u, xen_slab_cache_get_bulk(cache, o, 16, false));
		ASSERT_EQ(16u, xen_slab_cache_get_bulk(other, b, 16, false));
		const unsigned slabs = stats_of(cache).slabs;
		std::set<char *> ours;
		for (void *p : o)
			ours.insert(static_cast<char *>(p));

		// The other cache's objects, one at a time (each a hint miss for
		// page-sized objects) and in bulk.
		for (unsigned i = 0; i < 4; i++)
			xen_slab_cache_put(cache, b[i], false);
		xen_slab_cache_put_bulk(cache, b + 4, 4, false);
		EXPECT_EQ(8u, stats_of(cache).bad_puts);
		// Just outside our slabs: the page before and the byte after each
		// slab, unless that is an object of ours.
		unsigned outside = 0;
		for (void *p : o) {
			auto *slab = static_cast<xsc::Slab *>(host::page_owner(p));
			ASSERT_NE(nullptr, slab);
			char *base = slab->base;
			xsc::Geometry g;
			ASSERT_TRUE(xsc::Geometry::compute(size, 8, &g));
			for (char *q : { base - 1, base - XSC_PAGE_SIZE,
					 base + (XSC_PAGE_SIZE << g.order) }) {
				if (ours.count(q))
					continue;
				xen_slab_cache_put(cache, q, false);
				outside++;
			}
		}
		EXPECT_EQ(8u + outside, stats_of(cache).bad_puts);
		EXPECT_EQ(16u, stats_of(cache).in_use);
		EXPECT_EQ(0u, stats_of(other).bad_puts);
		EXPECT_EQ(16u, stats_of(other).in_use);
		EXPECT_EQ(0, xen_slab_cache_audit(cache));
		EXPECT_EQ(0, xen_slab_cache_audit(other));

		// Our slabs are freed: their old pointers are refused, and the
		// pages have no owner left.
		xen_slab_cache_put_bulk(cache, o, 16, false);
		for (unsigned cpu = 0; cpu < kCpus; cpu++)
			xsc_cache_cpu_dead(cache, cpu);
		xsc_cache_shrink_scan(cache, ~0UL);
		ASSERT_EQ(0u, stats_of(cache).slabs) << "of " << slabs;
		for (void *p : o)
			EXPECT_EQ(nullptr, host::page_owner(p));
		const uint64_t before = stats_of(cache).bad_puts;
		xen_slab_cache_put(cache, o[0], false);
		xen_slab_cache_put_bulk(cache, o + 1, 15, false);
		EXPECT_EQ(before + 16, stats_of(cache).bad_puts);
		EXPECT_EQ(warnings + 1, host::warning_count()) << "one warning per cache";

		// Neither cache was disturbed.
		EXPECT_EQ(0u, stats_of(cache).in_use);
		EXPECT_EQ(0, xen_slab_cache_audit(cache));
		xen_slab_cache_put_bulk(other, b, 16, false);
		EXPECT_EQ(0u, stats_of(other).bad_puts);
		EXPECT_EQ(0u, stats_of(other).in_use);
		EXPECT_EQ(0, xen_slab_cache_audit(other));
		void *again[16];
		ASSERT_EQ(16u, xen_slab_cache_get_bulk(cache, again, 16, false));
		xen_slab_cache_put_bulk(cache, again, 16, false);
		EXPECT_EQ(before + 16, stats_of(cache).bad_puts);
		xen_slab_cache_destroy(other);
		xen_slab_cache_destroy(cache);
		cache = nullptr;
	}
}

// A cache destroyed with objects in use leaks their slabs: their pages lose
// their owner, so that no cache (one created at the same address, say)
// takes those objects for its own.
TEST_F(CacheFixture, LeakedSlabsHaveNoPageOwner)
{
	Counters gone_counters; // its leaked object is never destructed
	xen_slab_cache_args a = args(512);
	a.arg = &gone_counters;
	xen_slab_cache *gone = xen_slab_cache_create("gone", &a);
	ASSERT_FALSE(is_err(gone));
	void *leaked = xen_slab_cache_get(gone, false);
	ASSERT_NE(nullptr, leaked);
	ASSERT_NE(nullptr, host::page_owner(leaked));
	const long warnings = host::warning_count();
	xen_slab_cache_destroy(gone);
	EXPECT_EQ(warnings + 1, host::warning_count()) << "destroyed with objects in use";
	EXPECT_EQ(nullptr, host::page_owner(leaked));
	make(args(512));
	xen_slab_cache_put(cache, leaked, false);
	EXPECT_EQ(1u, stats_of(cache).bad_puts);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
}

TEST_F(CacheFixture, StrictPutsCatchEveryDoublePut)
{
	host::set_strict_puts(true);
	make(args(64));
	host::set_strict_puts(false);
	void *o[10];
	ASSERT_EQ(10u, xen_slab_cache_get_bulk(cache, o, 10, false));
	xen_slab_cache_put_bulk(cache, o, 10, false);
	EXPECT_EQ(0u, stats_of(cache).cached);
	// Puts of objects that are free, in any order, are all refused.
	xen_slab_cache_put(cache, o[3], false);
	xen_slab_cache_put_bulk(cache, o, 10, false);
	EXPECT_EQ(11u, stats_of(cache).bad_puts);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	void *p = xen_slab_cache_get(cache, false);
	ASSERT_NE(nullptr, p);
	xen_slab_cache_put(cache, p, false);
	EXPECT_EQ(0u, stats_of(cache).get_fast + stats_of(cache).put_fast);
}

// The original found an object's slab by page-aligning its address, which is
// wrong when a slab spans pages; here every size finds its slab.
TEST_F(CacheFixture, ObjectsOfMultiPageSlabsGoBackToTheirSlab)
{
	for (size_t size : { 4056, 4064, 4072, 2048, 4096, 3000, 9000, 65536 }) {
		Counters c;
		xen_slab_cache_args a{};
		a.size = size;
		a.ctor = test_ctor;
		a.dtor = test_dtor;
		a.arg = &c;
		xen_slab_cache *x = xen_slab_cache_create("multi", &a);
		ASSERT_FALSE(is_err(x));
		std::vector<void *> v(40);
		ASSERT_EQ(40u, xen_slab_cache_get_bulk(x, v.data(), 40, false));
		xen_slab_cache_put_bulk(x, v.data(), 40, false);
		for (unsigned cpu = 0; cpu < kCpus; cpu++)
			xsc_cache_cpu_dead(x, cpu);
		xsc_cache_shrink_scan(x, ~0UL);
		EXPECT_EQ(0u, stats_of(x).bad_puts) << size;
		EXPECT_EQ(0u, stats_of(x).slabs) << size;
		EXPECT_EQ(0, xen_slab_cache_audit(x));
		xen_slab_cache_destroy(x);
		EXPECT_EQ(c.ctor.load(), c.dtor.load());
	}
}

TEST_F(CacheFixture, PageSizedPageAlignedObjectsFillWholePages)
{
	xen_slab_cache_args a = args(XSC_PAGE_SIZE);
	a.align = XSC_PAGE_SIZE;
	make(a);
	void *o[8];
	ASSERT_EQ(8u, xen_slab_cache_get_bulk(cache, o, 8, false));
	for (void *p : o)
		EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % XSC_PAGE_SIZE);
	auto s = stats_of(cache);
	EXPECT_EQ(1u, s.slab_objects);
	EXPECT_EQ(8u, s.pages);
	xen_slab_cache_put_bulk(cache, o, 8, false);
}

// What the inline fast paths decline but the CPU's magazines can do -- a put
// outside the hinted slab (every put of a page-sized object of another
// page), a get or put that needs the previous magazine or the depot -- is
// done in the entry point's own section (get_in_section(),
// put_in_section()): one section per call, none of the slow paths'.
// Checked builds take no fast path: every call also enters the slow path's.
TEST_F(CacheFixture, MagazineWorkStaysInTheFastPathsSection)
{
	xen_slab_cache_args a = args(XSC_PAGE_SIZE);
	a.align = XSC_PAGE_SIZE;
	make(a);
	constexpr unsigned n = 200; // magazines of 16: previous and depot both
	std::vector<void *> v(n);
	ASSERT_EQ(n, xen_slab_cache_get_bulk(cache, v.data(), n, false));
	const std::set<void *> first(v.begin(), v.end());
	auto s0 = stats_of(cache);
	const unsigned long before = host::sections_entered();

	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < n; i++)
			xen_slab_cache_put(cache, v[i], false);
		for (unsigned i = 0; i < n; i++)
			ASSERT_NE(nullptr, v[i] = xen_slab_cache_get(cache, false));
	}
	const unsigned long calls = 3 * 2 * n;
#ifdef XSC_POISON
	EXPECT_EQ(2 * calls, host::sections_entered() - before);
#else
	EXPECT_EQ(calls, host::sections_entered() - before);
#endif
	auto s1 = stats_of(cache);
	EXPECT_EQ(s0.get_slow, s1.get_slow) << "no get reached the slabs";
	EXPECT_EQ(s0.put_slow, s1.put_slow) << "no put reached the slabs";
	EXPECT_EQ(first, std::set<void *>(v.begin(), v.end())) << "the same objects, each once";
	EXPECT_EQ(n, s1.in_use);
	xen_slab_cache_put_bulk(cache, v.data(), n, false);
	EXPECT_EQ(0u, stats_of(cache).in_use);
}

// Caches of page-sized objects remember, per CPU, the slabs their puts
// found (SlabTable): a put of an object of a remembered slab needs no page
// owner lookup, until a slab free (a new generation) empties the table.
// Remembered slabs refuse what lookups refuse.
TEST_F(CacheFixture, PageObjectPutsFindRememberedSlabsWithoutLookups)
{
	xen_slab_cache_args a = args(XSC_PAGE_SIZE);
	a.align = XSC_PAGE_SIZE;
	make(a);
	std::vector<void *> all(64), mine, others;
	std::set<uintptr_t> entries;
	ASSERT_EQ(64u, xen_slab_cache_get_bulk(cache, all.data(), 64, false));
	// Objects with a set of the table each.
	for (void *p : all) {
		if (entries.insert((reinterpret_cast<uintptr_t>(p) / XSC_PAGE_SIZE) % xsc::SlabTable::kSets).second)
			mine.push_back(p);
		else
			others.push_back(p);
	}
	ASSERT_GE(mine.size(), 16u);
	xen_slab_cache_put_bulk(cache, others.data(), static_cast<unsigned>(others.size()), false);

	unsigned long reads = host::page_owner_reads();
	for (void *p : mine)
		xen_slab_cache_put(cache, p, false);
	EXPECT_GE(host::page_owner_reads() - reads, mine.size() - 1) << "first puts: lookups";
	std::vector<void *> back(mine.size());
	for (void *&p : back)
		ASSERT_NE(nullptr, p = xen_slab_cache_get(cache, false));
	EXPECT_EQ(std::set<void *>(mine.begin(), mine.end()), std::set<void *>(back.begin(), back.end()));
	reads = host::page_owner_reads();
	for (void *p : back)
		xen_slab_cache_put(cache, p, false);
	xen_slab_cache_put_bulk(cache, nullptr, 0, false);
	EXPECT_EQ(0u, host::page_owner_reads() - reads) << "remembered slabs";

	// Through the table: an address inside a remembered slab that is not
	// a busy object is refused, as a lookup refuses it.
	for (void *&p : back)
		ASSERT_NE(nullptr, p = xen_slab_cache_get(cache, false));
	const long warnings = host::warning_count();
	xen_slab_cache_put(cache, static_cast<char *>(back[0]) + 64, false);
	EXPECT_EQ(warnings + 1, host::warning_count());
	for (void *p : back)
		xen_slab_cache_put(cache, p, false);
	xen_slab_cache_put_bulk(cache, back.data(), 0, false);

	// A slab free starts a new generation: the table is emptied, the next
	// puts look their slabs up again.
	xen_slab_cache_purge(cache);
	ASSERT_GT(xsc_cache_shrink_scan(cache, 1000), 0u) << "empty slabs freed";
	for (void *&p : back)
		ASSERT_NE(nullptr, p = xen_slab_cache_get(cache, false));
	reads = host::page_owner_reads();
	for (void *p : back)
		xen_slab_cache_put(cache, p, false);
	EXPECT_GE(host::page_owner_reads() - reads, 1u) << "after a slab free";
	EXPECT_EQ(0u, stats_of(cache).in_use);
}

// Two slabs whose bases share a set of the table both stay remembered
// (two ways): puts that alternate between them need no lookup, where a
// direct-mapped table would look one of them up at every put.
TEST_F(CacheFixture, PageObjectSlabsSharingATableSetStayRemembered)
{
	xen_slab_cache_args a = args(XSC_PAGE_SIZE);
	a.align = XSC_PAGE_SIZE;
	make(a);
	const unsigned n = xsc::SlabTable::kSets + 64;
	std::vector<void *> all(n);
	std::map<uintptr_t, void *> first_of_set;
	void *x = nullptr, *y = nullptr;

	ASSERT_EQ(n, xen_slab_cache_get_bulk(cache, all.data(), n, false));
	for (void *p : all) {
		const uintptr_t set = (reinterpret_cast<uintptr_t>(p) / XSC_PAGE_SIZE) % xsc::SlabTable::kSets;
		auto it = first_of_set.find(set);

		if (it == first_of_set.end()) {
			first_of_set[set] = p;
		} else if (!x) {
			x = it->second;
			y = p;
		}
	}
	ASSERT_NE(nullptr, x) << "more objects than sets: two share one";
	std::vector<void *> rest;
	for (void *p : all)
		if (p != x && p != y)
			rest.push_back(p);
	xen_slab_cache_put_bulk(cache, rest.data(), static_cast<unsigned>(rest.size()), false);

	xen_slab_cache_put(cache, x, false);
	xen_slab_cache_put(cache, y, false);
	const unsigned long reads = host::page_owner_reads();
	for (int round = 0; round < 8; round++) {
		void *first = xen_slab_cache_get(cache, false), *second = xen_slab_cache_get(cache, false);

		ASSERT_EQ(y, first);
		ASSERT_EQ(x, second);
		xen_slab_cache_put(cache, x, false);
		xen_slab_cache_put(cache, y, false);
	}
	EXPECT_EQ(0u, host::page_owner_reads() - reads) << "both slabs of the set remembered";
	EXPECT_EQ(0u, stats_of(cache).bad_puts);
}

// Bitmap edges: slabs of 31, 32, 33, 63, 64 and 65 objects.
TEST_F(CacheFixture, BitmapEdges)
{
	for (unsigned objects : { 31u, 32u, 33u, 63u, 64u, 65u }) {
		xen_slab_cache_args a{};
		a.size = XSC_PAGE_SIZE / objects;
		a.align = 1;
		xen_slab_cache *x = xen_slab_cache_create("edges", &a);
		ASSERT_FALSE(is_err(x));
		ASSERT_EQ(objects, stats_of(x).slab_objects);
		std::vector<void *> v(objects + 1);
		std::set<void *> seen;
		for (unsigned i = 0; i <= objects; i++) {
			v[i] = xen_slab_cache_get(x, false);
			ASSERT_NE(nullptr, v[i]);
			ASSERT_TRUE(seen.insert(v[i]).second);
			ASSERT_EQ(0, xen_slab_cache_audit(x)) << objects << " " << i;
		}
		EXPECT_EQ(2u, stats_of(x).slabs);
		for (unsigned i = 0; i <= objects; i++) {
			xen_slab_cache_put(x, v[i], false);
			ASSERT_EQ(0, xen_slab_cache_audit(x));
		}
		xen_slab_cache_destroy(x);
	}
}

TEST_F(CacheFixture, GetsPackTheFullestSlab)
{
	xen_slab_cache_args a = args(512); // 8 per slab
	make(a);
	std::vector<void *> v(32);
	ASSERT_EQ(32u, xen_slab_cache_get_bulk(cache, v.data(), 32, false));
	ASSERT_EQ(4u, stats_of(cache).slabs);
	// Free most of slab 0, a little of slab 2, straight to the slabs.
	for (unsigned cpu = 0; cpu < kCpus; cpu++)
		xsc_cache_cpu_dead(cache, cpu);
	std::vector<void *> back = { v[0], v[1], v[2], v[3], v[4], v[5], v[16] };
	for (void *p : back) {
		xen_slab_cache_put(cache, p, false);
		xsc_cache_cpu_dead(cache, 0);
	}
	ASSERT_EQ(0, xen_slab_cache_audit(cache));
	// The next get comes from the fullest non-full slab (slab 2).
	for (unsigned cpu = 0; cpu < kCpus; cpu++)
		xsc_cache_cpu_dead(cache, cpu);
	xsc_cache_shrink_scan(cache, 0);
	void *p = xen_slab_cache_get(cache, false);
	EXPECT_EQ(v[16], p);
	xen_slab_cache_put(cache, p, false);
	for (unsigned i = 0; i < 32; i++) {
		if (std::find(back.begin(), back.end(), v[i]) == back.end())
			xen_slab_cache_put(cache, v[i], false);
	}
}

// A put of an object whose slab is at most half busy (and not the cursor)
// goes back to the slab, not into a magazine, so that the slab drains.
TEST_F(CacheFixture, PutsToSparseSlabsBypassTheMagazines)
{
	make(args(512)); // 8 per slab
	std::vector<void *> v(32);
	ASSERT_EQ(32u, xen_slab_cache_get_bulk(cache, v.data(), 32, false));
	// Slab 0 keeps 2 busy, slab 1 keeps 7 (the cursor: fullest not full).
	std::vector<void *> back = { v[0], v[1], v[2], v[3], v[4], v[5], v[8] };
	xen_slab_cache_put_bulk(cache, back.data(), back.size(), false);
	xsc_cache_cpu_dead(cache, 0);
	auto s0 = stats_of(cache);
	xen_slab_cache_put(cache, v[6], false); // slab 0: sparse
	auto s1 = stats_of(cache);
	EXPECT_EQ(s0.put_slow + 1, s1.put_slow);
	EXPECT_EQ(0u, s1.cached);
	xen_slab_cache_put(cache, v[16], false); // slab 2: full
	xen_slab_cache_put(cache, v[9], false);	 // slab 1: the cursor
	auto s2 = stats_of(cache);
	EXPECT_EQ(s1.put_fast + 2, s2.put_fast);
	EXPECT_EQ(2u, s2.cached);
	xen_slab_cache_put(cache, v[7], false); // slab 0 empties
	EXPECT_EQ(s2.put_slow + 1, stats_of(cache).put_slow);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	for (unsigned i = 10; i < 32; i++) {
		if (i != 16)
			xen_slab_cache_put(cache, v[i], false);
	}
	EXPECT_EQ(0u, stats_of(cache).in_use);
}

// put_bulk follows the same rule: objects of a sparse slab (not the
// cursor) go back to their slab; the others of the same call still go into
// the magazines.
TEST_F(CacheFixture, BulkPutsToSparseSlabsBypassTheMagazines)
{
	make(args(512)); // 8 per slab
	std::vector<void *> v(32);
	ASSERT_EQ(32u, xen_slab_cache_get_bulk(cache, v.data(), 32, false));
	// Slab 0 keeps 2 busy, slab 1 keeps 7 (the cursor: fullest not full).
	std::vector<void *> back = { v[0], v[1], v[2], v[3], v[4], v[5], v[8] };
	xen_slab_cache_put_bulk(cache, back.data(), back.size(), false);
	xsc_cache_cpu_dead(cache, 0);
	auto s0 = stats_of(cache);
	// Slab 0's last two (sparse), one of slab 2 (full), slab 0's again.
	std::vector<void *> mixed = { v[6], v[16], v[7] };
	xen_slab_cache_put_bulk(cache, mixed.data(), mixed.size(), false);
	auto s1 = stats_of(cache);
	EXPECT_EQ(s0.put_slow + 2, s1.put_slow) << "v[6] and v[7] to their sparse slab";
	EXPECT_EQ(s0.put_fast + 1, s1.put_fast) << "v[16] into the magazine";
	EXPECT_EQ(1u, s1.cached);
	// Slab 0 is empty now: a monitor pass after the period frees it.
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	for (unsigned i = 9; i < 32; i++) {
		if (i != 16)
			xen_slab_cache_put(cache, v[i], false);
	}
	EXPECT_EQ(0u, stats_of(cache).in_use);
}

// A slab that its CPU hints turns sparse: the hint stops taking fast puts.
TEST_F(CacheFixture, HintedSlabTurningSparseStopsFastPuts)
{
	make(args(512)); // 8 per slab
	std::vector<void *> v(24);
	ASSERT_EQ(24u, xen_slab_cache_get_bulk(cache, v.data(), 24, false));
	host::set_cpu(1);
	xen_slab_cache_put(cache, v[16], false);
	xsc_cache_cpu_dead(cache, 1); // slab 2: 7 busy, the cursor
	host::set_cpu(0);
	for (int i = 0; i < 4; i++)
		xen_slab_cache_put(cache, v[i], false); // hint: slab 0
	xsc_cache_cpu_dead(cache, 0); // slab 0: 4 busy, sparse
	auto s0 = stats_of(cache);
	xen_slab_cache_put(cache, v[4], false);
	auto s1 = stats_of(cache);
	EXPECT_EQ(s0.put_slow + 1, s1.put_slow) << "to the sparse slab";
	EXPECT_EQ(s0.put_fast, s1.put_fast);
	for (int i = 5; i < 24; i++)
		if (i != 16)
			xen_slab_cache_put(cache, v[i], false);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
}

// A sparse slab that its CPU hints as the cursor loses the cursor: the
// hint stops taking fast puts.
TEST_F(CacheFixture, HintedSparseCursorLosingTheCursorStopsFastPuts)
{
	make(args(512)); // 8 per slab
	std::vector<void *> v(16);
	ASSERT_EQ(16u, xen_slab_cache_get_bulk(cache, v.data(), 16, false));
	host::set_cpu(1);
	for (int i = 1; i < 5; i++)
		xen_slab_cache_put(cache, v[i], false);
	xsc_cache_cpu_dead(cache, 1); // slab 0: 4 busy, the cursor (slab 1 full)
	host::set_cpu(0);
	auto s0 = stats_of(cache);
	xen_slab_cache_put(cache, v[5], false); // the cursor's: into the magazine
	auto s1 = stats_of(cache);
	EXPECT_EQ(s0.put_fast + 1, s1.put_fast);
	host::set_cpu(1);
	xen_slab_cache_put(cache, v[8], false);
	xsc_cache_cpu_dead(cache, 1); // slab 1: 7 busy, now the cursor
	host::set_cpu(0);
	xen_slab_cache_put(cache, v[6], false); // slab 0: sparse, not the cursor
	auto s2 = stats_of(cache);
	EXPECT_EQ(s1.put_slow + 1, s2.put_slow) << "v[6] to its sparse slab";
	EXPECT_EQ(s1.put_fast + 1, s2.put_fast) << "v[8] into CPU 1's magazine only";
	for (int i : { 0, 7, 9, 10, 11, 12, 13, 14, 15 })
		xen_slab_cache_put(cache, v[i], false);
	for (unsigned cpu = 0; cpu < kCpus; cpu++)
		xsc_cache_cpu_dead(cache, cpu);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
}

TEST_F(CacheFixture, CursorSurvivesTheDestructionOfItsSlab)
{
	make(args(1024));
	std::vector<void *> v(64);
	for (int round = 0; round < 5; round++) {
		ASSERT_EQ(64u, xen_slab_cache_get_bulk(cache, v.data(), 64, false));
		xen_slab_cache_put_bulk(cache, v.data(), 64, false);
		for (unsigned cpu = 0; cpu < kCpus; cpu++)
			xsc_cache_cpu_dead(cache, cpu);
		xsc_cache_shrink_scan(cache, ~0UL);
		ASSERT_EQ(0u, stats_of(cache).slabs);
		ASSERT_EQ(0, xen_slab_cache_audit(cache));
		void *p = xen_slab_cache_get(cache, false);
		ASSERT_NE(nullptr, p);
		xen_slab_cache_put(cache, p, false);
		ASSERT_EQ(0, xen_slab_cache_audit(cache));
	}
}

TEST_F(CacheFixture, CallerLockGuardsTheSlabLayerUnlessAlreadyHeld)
{
	xen_slab_cache_args a = args(64, 10);
	a.acquire_lock = test_acquire;
	a.release_lock = test_release;
	make(a);
	const long after_create = counters.locks.load();
	EXPECT_GT(after_create, 0);
	void *o = xen_slab_cache_get(cache, false);
	ASSERT_NE(nullptr, o);
	EXPECT_GT(counters.locks.load(), after_create);
	xen_slab_cache_put(cache, o, false);

	counters.lock.lock();
	const long before = counters.locks.load();
	std::vector<void *> v(200);
	ASSERT_EQ(200u, xen_slab_cache_get_bulk(cache, v.data(), 200, true));
	xen_slab_cache_put_bulk(cache, v.data(), 200, true);
	EXPECT_EQ(before, counters.locks.load());
	counters.lock.unlock();
}

// Reclaim never takes a caller's lock (a caller that allocates while it
// holds it would wait for itself): the shrinker has nothing to offer from
// a cache with lock callbacks; the monitor's passes trim it.
TEST_F(CacheFixture, ShrinkerLeavesCachesWithLockCallbacks)
{
	xen_slab_cache_args a = args(64);
	a.acquire_lock = test_acquire;
	a.release_lock = test_release;
	make(a);
	std::vector<void *> v(2000);
	ASSERT_EQ(2000u, xen_slab_cache_get_bulk(cache, v.data(), 2000, false));
	xen_slab_cache_put_bulk(cache, v.data(), 2000, false);
	const u64 slabs = stats_of(cache).slabs;
	const long locks = counters.locks.load();

	EXPECT_EQ(0u, xsc_cache_shrink_count(cache));
	EXPECT_EQ(0u, xsc_cache_shrink_scan(cache, ~0UL));
	EXPECT_EQ(locks, counters.locks.load());
	EXPECT_EQ(slabs, stats_of(cache).slabs);
	for (int pass = 0; pass < 3; pass++)
		xen_slab_cache_trim(cache);
	EXPECT_LT(stats_of(cache).slabs, slabs);
}

// The same tests under every policy.
struct PolicyFixture : CacheFixture, ::testing::WithParamInterface<unsigned> {
	xen_slab_cache_args args(size_t size, unsigned reservation = 0, unsigned cap = 0)
	{
		xen_slab_cache_args a = CacheFixture::args(size, reservation, cap);

		a.policy = GetParam();
		return a;
	}
};

std::string policy_name(const ::testing::TestParamInfo<unsigned> &info)
{
	static const char *const names[] = { "Default", "P2019", "Pre2019", "NoMagazines" };

	return names[info.param];
}

INSTANTIATE_TEST_SUITE_P(Policies, PolicyFixture,
			 ::testing::Values(XEN_SLAB_CACHE_POLICY_DEFAULT, XEN_SLAB_CACHE_POLICY_2019,
					   XEN_SLAB_CACHE_POLICY_PRE2019,
					   XEN_SLAB_CACHE_POLICY_NO_MAGAZINES),
			 policy_name);

TEST_P(PolicyFixture, RandomOperationsKeepEveryInvariant)
{
	make(args(200, 7, 300));
	EXPECT_EQ(GetParam(), stats_of(cache).policy);
	std::mt19937 rng(1234);
	std::vector<void *> held;
	for (int step = 0; step < 20000; step++) {
		host::set_cpu(rng() % kCpus);
		const unsigned op = rng() % 10;
		if (op < 4) {
			void *p = xen_slab_cache_get(cache, false);
			if (held.size() < 300) {
				ASSERT_NE(nullptr, p);
			}
			if (p)
				held.push_back(p);
		} else if (op < 8 && !held.empty()) {
			const size_t i = rng() % held.size();
			xen_slab_cache_put(cache, held[i], false);
			held[i] = held.back();
			held.pop_back();
		} else if (op == 8) {
			void *b[40];
			const unsigned n = rng() % 40;
			const unsigned got = xen_slab_cache_get_bulk(cache, b, n, false);
			held.insert(held.end(), b, b + got);
		} else if (op == 9) {
			const unsigned n = std::min<size_t>(rng() % 40, held.size());
			xen_slab_cache_put_bulk(cache, held.data() + held.size() - n, n, false);
			held.resize(held.size() - n);
		}
		if (step % 997 == 0)
			xen_slab_cache_trim(cache);
		if (step % 1999 == 0)
			xsc_cache_cpu_dead(cache, rng() % kCpus);
		ASSERT_EQ(0, xen_slab_cache_audit(cache)) << step;
		ASSERT_EQ(held.size(), stats_of(cache).in_use) << step;
		ASSERT_LE(held.size(), 300u);
	}
	host::set_cpu(0);
	xen_slab_cache_put_bulk(cache, held.data(), held.size(), false);
	EXPECT_EQ(0u, stats_of(cache).in_use);
	EXPECT_EQ(0u, stats_of(cache).bad_puts);
}

TEST_F(CacheFixture, ShrinkerFreesDownToTheReservationAndThenDoesNothing)
{
	make(args(256, 40));
	std::vector<void *> v(2000);
	ASSERT_EQ(2000u, xen_slab_cache_get_bulk(cache, v.data(), 2000, false));
	xen_slab_cache_put_bulk(cache, v.data(), 2000, false);
	for (unsigned cpu = 0; cpu < kCpus; cpu++)
		xsc_cache_cpu_dead(cache, cpu);
	EXPECT_GT(xsc_cache_shrink_count(cache), 1500u);
	while (xsc_cache_shrink_count(cache))
		ASSERT_GT(xsc_cache_shrink_scan(cache, 128), 0u);
	auto s = stats_of(cache);
	EXPECT_GE(s.count, 40u);
	EXPECT_LT(s.count, 40u + s.slab_objects);
	const long dtors = counters.dtor.load();
	for (int i = 0; i < 1000; i++) {
		EXPECT_EQ(0u, xsc_cache_shrink_count(cache));
		EXPECT_EQ(0u, xsc_cache_shrink_scan(cache, 128));
	}
	EXPECT_EQ(dtors, counters.dtor.load());
	EXPECT_EQ(s.slabs, stats_of(cache).slabs);
}

TEST_F(CacheFixture, OfflineCpuMagazinesComeBack)
{
	make(args(64));
	host::set_cpu(2);
	std::vector<void *> v(50);
	ASSERT_EQ(50u, xen_slab_cache_get_bulk(cache, v.data(), 50, false));
	xen_slab_cache_put_bulk(cache, v.data(), 50, false);
	EXPECT_EQ(50u, stats_of(cache).put_fast);
	EXPECT_EQ(50u, stats_of(cache).cached);
	EXPECT_EQ(0u, stats_of(cache).depot_full) << "50 fit in a loaded and a previous magazine";
	host::set_online(2, false);
	xsc_cache_cpu_dead(cache, 2);
	EXPECT_EQ(0u, stats_of(cache).cached);
	host::set_cpu(0);
	xsc_cache_shrink_scan(cache, ~0UL);
	EXPECT_EQ(0u, stats_of(cache).slabs) << "objects stranded in a dead CPU's magazines";
	host::set_online(2, true);
}

// After a restore every grant is void: purge destructs every free object
// (wherever it waits: slab, this CPU's magazines, another CPU's, the depot)
// so that the next get constructs it anew, and leaves objects in use alone.
TEST_F(CacheFixture, PurgeDestructsEveryFreeObjectOnceAndLeavesObjectsInUse)
{
	for (unsigned policy : { XEN_SLAB_CACHE_POLICY_DEFAULT, XEN_SLAB_CACHE_POLICY_2019,
				 XEN_SLAB_CACHE_POLICY_PRE2019, XEN_SLAB_CACHE_POLICY_NO_MAGAZINES }) {
		SCOPED_TRACE(policy);
		auto a = args(64, 100);
		a.policy = policy;
		make(a);
		std::vector<void *> held(100), v(300), other(40);
		ASSERT_EQ(100u, xen_slab_cache_get_bulk(cache, held.data(), 100, false));
		ASSERT_EQ(300u, xen_slab_cache_get_bulk(cache, v.data(), 300, false));
		xen_slab_cache_put_bulk(cache, v.data(), 300, false);
		host::set_cpu(2);
		ASSERT_EQ(40u, xen_slab_cache_get_bulk(cache, other.data(), 40, false));
		xen_slab_cache_put_bulk(cache, other.data(), 40, false);
		host::set_cpu(0);
		const auto before = stats_of(cache);
		const long ctors = counters.ctor.load(), dtors = counters.dtor.load();
		// The original's policy before 2019 destructs a slab that empties.
		const long free_constructed = ctors - dtors - 100;

		EXPECT_LT(0, free_constructed);
		EXPECT_EQ(static_cast<unsigned long>(free_constructed), xen_slab_cache_purge(cache));
		EXPECT_EQ(ctors - 100, counters.dtor.load());
		EXPECT_EQ(0, counters.bad_dtor.load());
		auto after = stats_of(cache);
		EXPECT_EQ(0u, after.cached);
		EXPECT_EQ(100u, after.in_use);
		if (policy != XEN_SLAB_CACHE_POLICY_PRE2019) { // frees a slab that empties
			EXPECT_EQ(before.count, after.count) << "slabs stay";
		}
		EXPECT_EQ(before.get_fast + before.get_slow, after.get_fast + after.get_slow);
		EXPECT_EQ(0, xen_slab_cache_audit(cache));
		for (void *o : held)
			EXPECT_EQ(0, memcmp(o, &kMagic, sizeof(kMagic))) << "an object in use was destructed";
		EXPECT_EQ(0u, xen_slab_cache_purge(cache)) << "nothing free is constructed any more";

		// The next gets construct anew (the original's policies construct
		// whole slabs, so maybe more than these).
		ASSERT_EQ(50u, xen_slab_cache_get_bulk(cache, v.data(), 50, false));
		EXPECT_LE(ctors + 50, counters.ctor.load());
		for (unsigned i = 0; i < 50; i++)
			EXPECT_EQ(0, memcmp(v[i], &kMagic, sizeof(kMagic)));
		xen_slab_cache_put_bulk(cache, v.data(), 50, false);
		xen_slab_cache_put_bulk(cache, held.data(), 100, false);
		const long live = counters.ctor.load() - counters.dtor.load();
		EXPECT_EQ(static_cast<unsigned long>(live), xen_slab_cache_purge(cache));
		EXPECT_EQ(counters.ctor.load(), counters.dtor.load());
		EXPECT_EQ(0u, stats_of(cache).in_use);
		EXPECT_EQ(0, xen_slab_cache_audit(cache));
		xen_slab_cache_destroy(cache);
		cache = nullptr;
		EXPECT_EQ(counters.ctor.load(), counters.dtor.load());
		counters.ctor = 0;
		counters.dtor = 0;
	}
}

TEST_F(CacheFixture, IdleMagazinesGoBackAfterAQuietPeriod)
{
	make(args(64));
	std::vector<void *> v(20);
	ASSERT_EQ(20u, xen_slab_cache_get_bulk(cache, v.data(), 20, false));
	xen_slab_cache_put_bulk(cache, v.data(), 20, false);
	xen_slab_cache_trim(cache); // notes the activity
	xen_slab_cache_trim(cache); // the CPU was idle for a whole period
	xsc_cache_shrink_scan(cache, ~0UL);
	EXPECT_EQ(0u, stats_of(cache).slabs);
}

TEST_F(CacheFixture, DestroyWithObjectsInUseWarnsAndLeaksOnlyTheirSlabs)
{
	xen_slab_cache_args a = args(2048);
	xen_slab_cache *x = xen_slab_cache_create("leaky", &a);
	ASSERT_FALSE(is_err(x));
	const long pages = host::live_pages();
	const long warnings = host::warning_count();
	void *o = xen_slab_cache_get(x, false);
	std::vector<void *> v(10);
	ASSERT_EQ(10u, xen_slab_cache_get_bulk(x, v.data(), 10, false));
	xen_slab_cache_put_bulk(x, v.data(), 10, false);
	xen_slab_cache_destroy(x);
	EXPECT_EQ(warnings + 1, host::warning_count());
	EXPECT_EQ(pages + 1, host::live_pages()) << "only the busy slab stays";
	EXPECT_NE(nullptr, o);
}

// Objects from a producer on CPU 0 to a consumer on CPU 1 through a ring of
// @ring_size pointers; @produced(p, i) sees the i-th object after its get,
// @consumed(p, i) before its put.
template <typename Produced, typename Consumed>
void producer_consumer(xen_slab_cache *cache, int objects, size_t ring_size, Produced produced,
		       Consumed consumed)
{
	std::vector<void *> ring(ring_size);
	std::atomic<unsigned> head{ 0 }, tail{ 0 };
	std::thread producer([&] {
		host::set_cpu(0);
		for (int i = 0; i < objects; i++) {
			while (head.load(std::memory_order_acquire) - tail.load(std::memory_order_acquire) >= ring.size())
				std::this_thread::yield();
			void *p = xen_slab_cache_get(cache, false);
			ASSERT_NE(nullptr, p);
			produced(p, i);
			ring[head.load() % ring.size()] = p;
			head.store(head.load() + 1, std::memory_order_release);
		}
	});
	std::thread consumer([&] {
		host::set_cpu(1);
		for (int i = 0; i < objects; i++) {
			while (tail.load(std::memory_order_acquire) == head.load(std::memory_order_acquire))
				std::this_thread::yield();
			void *p = ring[tail.load() % ring.size()];
			consumed(p, i);
			xen_slab_cache_put(cache, p, false);
			tail.store(tail.load() + 1, std::memory_order_release);
		}
	});
	producer.join();
	consumer.join();
}

TEST_F(CacheFixture, ProducerConsumerAcrossCpusGoesThroughTheDepot)
{
	make(args(256));
	constexpr int kObjects = 200000;
	producer_consumer(cache, kObjects, 1024, [](void *, int) {}, [](void *, int) {});
	auto s = stats_of(cache);
	EXPECT_EQ(0u, s.in_use);
	EXPECT_EQ(static_cast<unsigned long long>(kObjects), s.put_fast + s.put_slow);
	EXPECT_GT(s.get_fast, s.get_slow * 10) << "gets should come from the depot, not the slabs";
}

// Page-sized objects from CPU 0 to CPU 1, whose puts find their slabs in
// CPU 1's slab table, while a third thread keeps freeing empty slabs (the
// shrinker: each free starts a new generation, which empties the tables).
TEST_F(CacheFixture, ProducerConsumerOfPageObjectsWhileSlabsAreFreed)
{
	xen_slab_cache_args a = args(XSC_PAGE_SIZE);
	a.align = XSC_PAGE_SIZE;
	make(a);
	constexpr int kObjects = 50000;
	std::atomic<bool> done{ false };
	std::atomic<unsigned long> freed{ 0 };
	std::thread reclaim([&] {
		host::set_cpu(2);
		while (!done.load())
			freed += xsc_cache_shrink_scan(cache, 64);
	});
	producer_consumer(
		cache, kObjects, 256,
		// Past the constructor's magic.
		[](void *p, int i) { static_cast<volatile int *>(p)[16] = i; },
		[](void *p, int i) { ASSERT_EQ(i, static_cast<volatile int *>(p)[16]); });
	done = true;
	reclaim.join();
	auto s = stats_of(cache);
	EXPECT_EQ(0u, s.in_use);
	EXPECT_EQ(0u, s.bad_puts);
	EXPECT_EQ(static_cast<unsigned long long>(kObjects), s.put_fast + s.put_slow);
	EXPECT_GT(freed.load(), 0u) << "slabs were freed while objects moved";
}

TEST_P(PolicyFixture, ConcurrentStressBalances)
{
	make(args(96, 10, 0));
	constexpr unsigned kThreads = kCpus;
	constexpr int kSteps = 30000;
	std::mutex pool_mutex;
	std::vector<void *> pool; // objects handed between threads
	std::atomic<bool> stop{ false };
	std::vector<std::thread> threads;

	for (unsigned t = 0; t < kThreads; t++) {
		threads.emplace_back([&, t] {
			host::set_cpu(t);
			std::mt19937 rng(t);
			std::vector<void *> mine;
			for (int step = 0; step < kSteps; step++) {
				const unsigned op = rng() % 8;
				if (op < 3) {
					void *p = xen_slab_cache_get(cache, false);
					ASSERT_NE(nullptr, p);
					mine.push_back(p);
				} else if (op < 5 && !mine.empty()) {
					xen_slab_cache_put(cache, mine.back(), false);
					mine.pop_back();
				} else if (op == 5) {
					void *b[16];
					const unsigned got = xen_slab_cache_get_bulk(cache, b, 16, false);
					mine.insert(mine.end(), b, b + got);
				} else if (op == 6 && !mine.empty()) {
					std::lock_guard<std::mutex> g(pool_mutex);
					pool.push_back(mine.back());
					mine.pop_back();
				} else {
					std::vector<void *> take;
					{
						std::lock_guard<std::mutex> g(pool_mutex);
						take.swap(pool);
					}
					xen_slab_cache_put_bulk(cache, take.data(), take.size(), false);
				}
			}
			xen_slab_cache_put_bulk(cache, mine.data(), mine.size(), false);
		});
	}
	std::thread monitor([&] {
		while (!stop) {
			xen_slab_cache_trim(cache);
			xsc_cache_shrink_scan(cache, 64);
			EXPECT_EQ(0, xen_slab_cache_audit(cache));
			std::this_thread::yield();
		}
	});
	for (auto &t : threads)
		t.join();
	stop = true;
	monitor.join();
	xen_slab_cache_put_bulk(cache, pool.data(), pool.size(), false);
	auto s = stats_of(cache);
	EXPECT_EQ(0u, s.in_use);
	EXPECT_EQ(0u, s.bad_puts);
	EXPECT_EQ(s.get_fast + s.get_slow, s.put_fast + s.put_slow);
}

// Which slab a get takes from: the fullest that is not full, except under
// the pre-2019 policy, which takes the least occupied one.
TEST_P(PolicyFixture, SlabOrderOfGets)
{
	make(args(512)); // 8 per slab
	std::vector<void *> v(32);
	ASSERT_EQ(32u, xen_slab_cache_get_bulk(cache, v.data(), 32, false));
	ASSERT_EQ(4u, stats_of(cache).slabs);
	// Slab 0 keeps 2 objects busy, slab 2 keeps 7.
	std::vector<void *> back = { v[0], v[1], v[2], v[3], v[4], v[5], v[16] };
	for (void *p : back) {
		xen_slab_cache_put(cache, p, false);
		xsc_cache_cpu_dead(cache, 0);
	}
	EXPECT_EQ(4u, stats_of(cache).slabs);
	EXPECT_EQ(0u, stats_of(cache).cached);
	ASSERT_EQ(0, xen_slab_cache_audit(cache));
	void *p = xen_slab_cache_get(cache, false);
	if (GetParam() == XEN_SLAB_CACHE_POLICY_PRE2019)
		EXPECT_EQ(v[0], p) << "least occupied slab first";
	else
		EXPECT_EQ(v[16], p) << "fullest slab that is not full first";
	xen_slab_cache_put(cache, p, false);
	for (unsigned i = 0; i < 32; i++) {
		if (std::find(back.begin(), back.end(), v[i]) == back.end())
			xen_slab_cache_put(cache, v[i], false);
	}
}

// Pre-2019: the put that empties a slab frees it, destructors and all.
TEST_F(CacheFixture, Pre2019FreesASlabTheMomentItEmpties)
{
	xen_slab_cache_args a = args(512, 8); // reservation: one slab
	a.policy = XEN_SLAB_CACHE_POLICY_PRE2019;
	make(a);
	std::vector<void *> v(24);
	ASSERT_EQ(24u, xen_slab_cache_get_bulk(cache, v.data(), 24, false));
	ASSERT_EQ(3u, stats_of(cache).slabs);
	xsc_cache_cpu_dead(cache, 0);
	// Slab 1 (v[8..15]): its last put frees it at once.
	for (unsigned i = 8; i < 16; i++) {
		xen_slab_cache_put(cache, v[i], false);
		xsc_cache_cpu_dead(cache, 0); // out of the magazine, into the slab
	}
	EXPECT_EQ(2u, stats_of(cache).slabs);
	EXPECT_EQ(8, counters.dtor.load());
	EXPECT_EQ(8u, stats_of(cache).dtor_calls);
	EXPECT_EQ(0, xen_slab_cache_audit(cache));
	// The rest: slab 0 empties too, slab 2 stays as the reservation.
	xen_slab_cache_put_bulk(cache, v.data(), 8, false);
	xen_slab_cache_put_bulk(cache, v.data() + 16, 8, false);
	xsc_cache_cpu_dead(cache, 0);
	auto s = stats_of(cache);
	EXPECT_EQ(1u, s.slabs);
	EXPECT_EQ(8u, s.count);
	EXPECT_EQ(16u, s.dtor_calls);
	EXPECT_EQ(0u, s.in_use);
	// Getting them back constructs again.
	ASSERT_EQ(24u, xen_slab_cache_get_bulk(cache, v.data(), 24, false));
	EXPECT_EQ(40u, stats_of(cache).ctor_calls);
	xen_slab_cache_put_bulk(cache, v.data(), 24, false);
}

// 2019, like ours: an empty slab stays until a monitor pass frees it (down
// to half the count), and comes back constructed if needed before that.
TEST_F(CacheFixture, P2019FreesEmptySlabsOnlyAtAMonitorPass)
{
	xen_slab_cache_args a = args(512);
	a.policy = XEN_SLAB_CACHE_POLICY_2019;
	make(a);
	std::vector<void *> v(32);
	ASSERT_EQ(32u, xen_slab_cache_get_bulk(cache, v.data(), 32, false));
	xen_slab_cache_put_bulk(cache, v.data(), 32, false);
	xsc_cache_cpu_dead(cache, 0);
	auto s = stats_of(cache);
	EXPECT_EQ(4u, s.slabs);
	EXPECT_EQ(0u, s.dtor_calls);
	ASSERT_EQ(32u, xen_slab_cache_get_bulk(cache, v.data(), 32, false));
	EXPECT_EQ(32u, stats_of(cache).ctor_calls) << "no new construction";
	xen_slab_cache_put_bulk(cache, v.data(), 32, false);
	xsc_cache_cpu_dead(cache, 0);
	xen_slab_cache_trim(cache);
	s = stats_of(cache);
	EXPECT_EQ(2u, s.slabs) << "down to half the count";
	EXPECT_EQ(16u, s.dtor_calls);
	xen_slab_cache_trim(cache);
	EXPECT_EQ(1u, stats_of(cache).slabs);
}

// The original's front end: six slots per CPU, no previous magazine, no depot,
// and neither the monitor nor the shrinker ever drains it.
TEST_F(CacheFixture, OriginalPoliciesHaveOneSixSlotMagazinePerCpuNeverDrained)
{
	const long pages = host::live_pages();

	for (unsigned policy : { XEN_SLAB_CACHE_POLICY_2019, XEN_SLAB_CACHE_POLICY_PRE2019 }) {
		Counters c;
		xen_slab_cache_args a = args(64);
		a.arg = &c;
		a.policy = policy;
		xen_slab_cache *x = xen_slab_cache_create("orig", &a);
		ASSERT_FALSE(is_err(x));
		std::vector<void *> v(20);
		ASSERT_EQ(20u, xen_slab_cache_get_bulk(x, v.data(), 20, false));
		for (void *p : v)
			xen_slab_cache_put(x, p, false);
		auto s = stats_of(x);
		EXPECT_EQ(6u, s.put_fast) << policy;
		EXPECT_EQ(14u, s.put_slow);
		EXPECT_EQ(6u, s.cached);
		EXPECT_EQ(0u, s.depot_full + s.depot_empty);
		// Another CPU has its own six slots.
		host::set_cpu(1);
		ASSERT_EQ(20u, xen_slab_cache_get_bulk(x, v.data(), 20, false));
		EXPECT_EQ(0u, stats_of(x).get_fast - s.get_fast) << "CPU 1's magazine is empty";
		xen_slab_cache_put_bulk(x, v.data(), 20, false);
		EXPECT_EQ(12u, stats_of(x).cached);
		host::set_cpu(0);
		// Gets on CPU 0: six from the magazine, the rest from the slabs.
		s = stats_of(x);
		ASSERT_EQ(20u, xen_slab_cache_get_bulk(x, v.data(), 20, false));
		EXPECT_EQ(6u, stats_of(x).get_fast - s.get_fast);
		EXPECT_EQ(14u, stats_of(x).get_slow - s.get_slow);
		xen_slab_cache_put_bulk(x, v.data(), 20, false);
		// Monitor passes and the shrinker leave the magazines alone.
		for (int i = 0; i < 5; i++)
			xen_slab_cache_trim(x);
		EXPECT_EQ(0u, xsc_cache_shrink_count(x));
		EXPECT_EQ(0u, xsc_cache_shrink_scan(x, ~0UL));
		EXPECT_EQ(12u, stats_of(x).cached);
		EXPECT_GE(stats_of(x).slabs, 1u);
		EXPECT_EQ(0, xen_slab_cache_audit(x));
		// Destroy drains them.
		xen_slab_cache_destroy(x);
		EXPECT_EQ(c.ctor.load(), c.dtor.load());
	}
	EXPECT_EQ(pages, host::live_pages());
}

// The original's policies construct a new slab whole (as before 2022); a
// constructor failure fails the slab and destructs what it made.
TEST_F(CacheFixture, OriginalPoliciesConstructWholeSlabs)
{
	for (unsigned policy : { XEN_SLAB_CACHE_POLICY_2019, XEN_SLAB_CACHE_POLICY_PRE2019 }) {
		Counters c;
		xen_slab_cache_args a = args(512, 8); // 8 per slab, one slab reserved
		a.arg = &c;
		a.policy = policy;
		xen_slab_cache *x = xen_slab_cache_create("eager", &a);
		ASSERT_FALSE(is_err(x));
		EXPECT_EQ(8, c.ctor.load()) << "the reservation's slab, constructed at creation";
		std::vector<void *> v(9);
		ASSERT_EQ(8u, xen_slab_cache_get_bulk(x, v.data(), 8, false));
		EXPECT_EQ(8, c.ctor.load());
		c.fail_next = 1;
		EXPECT_EQ(nullptr, xen_slab_cache_get(x, false));
		auto s = stats_of(x);
		EXPECT_EQ(1u, s.ctor_failures);
		EXPECT_EQ(1u, s.slabs);
		EXPECT_EQ(0, xen_slab_cache_audit(x));
		v[8] = xen_slab_cache_get(x, false);
		ASSERT_NE(nullptr, v[8]);
		EXPECT_EQ(16, c.ctor.load()) << "a new slab, all eight";
		EXPECT_EQ(16u, stats_of(x).ctor_calls - stats_of(x).ctor_failures);
		xen_slab_cache_put_bulk(x, v.data(), 9, false);
		EXPECT_EQ(0, xen_slab_cache_audit(x));
		xen_slab_cache_destroy(x);
		EXPECT_EQ(c.ctor.load(), c.dtor.load());
		EXPECT_EQ(0, c.bad_dtor.load());
	}
	// Ours constructs lazily.
	make(args(512, 8));
	EXPECT_EQ(0, counters.ctor.load());
	void *p = xen_slab_cache_get(cache, false);
	EXPECT_EQ(1, counters.ctor.load());
	xen_slab_cache_put(cache, p, false);
}

TEST_F(CacheFixture, NoMagazinesSendsEveryGetAndPutToTheSlabs)
{
	xen_slab_cache_args a = args(64);
	a.policy = XEN_SLAB_CACHE_POLICY_NO_MAGAZINES;
	make(a);
	std::vector<void *> v(50);
	ASSERT_EQ(50u, xen_slab_cache_get_bulk(cache, v.data(), 50, false));
	xen_slab_cache_put_bulk(cache, v.data(), 50, false);
	void *p = xen_slab_cache_get(cache, false);
	ASSERT_NE(nullptr, p);
	xen_slab_cache_put(cache, p, false);
	// Every double put is caught: nothing sits in a magazine.
	xen_slab_cache_put(cache, v[7], false);
	auto s = stats_of(cache);
	EXPECT_EQ(0u, s.get_fast + s.put_fast);
	EXPECT_EQ(51u, s.get_slow);
	EXPECT_EQ(51u, s.put_slow);
	EXPECT_EQ(0u, s.cached);
	EXPECT_EQ(1u, s.bad_puts);
	EXPECT_EQ(static_cast<unsigned long long>(XEN_SLAB_CACHE_POLICY_NO_MAGAZINES), s.policy);
}

} // namespace

int main(int argc, char **argv)
{
	host::set_nr_cpus(kCpus);
	::testing::InitGoogleTest(&argc, argv);
	return RUN_ALL_TESTS();
}
