// SPDX-License-Identifier: GPL-2.0
//
// The policies side by side on the same core: the original's pre-2019
// policy (least occupied slab first, a slab freed the moment it empties),
// its 2019 policy (fullest first, empty slabs freed by the monitor, one
// 6-slot magazine per CPU, no depot) and ours.
//
// Workloads, each on one CPU with a monitor pass (xen_slab_cache_trim())
// every kMonitorOps operations:
//   churn50, churn90  fill to the peak, drop to 50% / 90% of it, then gets
//                     and puts of random objects, the live count held within
//                     +-5% of the peak around that level;
//   burst1.5,         churn at 10% of the peak (the reservation) with four
//   burst0.5          bursts to the peak, 1.5 (0.5) monitor periods of churn
//                     apart, each burst's objects put back in random order;
//                     then the pages held after the last burst, after one
//                     and two monitor passes, and after the shrinker run at
//                     once after a fifth burst (a burst itself, its gets
//                     and puts, lasts about 3.6 periods);
//   lifetimes         one get per step, each object put after a random
//                     lifetime (80% short, mean peak/8 steps; 20% long, mean
//                     2 x peak steps; about half the peak live).
// For each: slabs and pages held against the ideal (live objects x size /
// page size), averaged over the monitor passes of the second half of the
// run (sampled just before each pass), constructor and destructor calls
// and the time per operation (host wall clock, monitor passes included).
//
// Every run starts with an empty cache, and the most objects live at once
// (the run's maximum: the peak, or for lifetimes about 60% of it) are
// distinct constructed objects, so every policy constructs at least that
// many: constructor calls / maximum live is at least 1 over a whole run,
// and a policy's calls relative to another's are at least maximum / (the
// other's calls).  Within the steady half the bound is 0, reached by a
// policy that keeps every object it ever constructed.
//
// Then producer/consumer across two CPUs (threads): gets on one, puts on the
// other, objects per second for ours and the 2019 policy.
//
// Usage: bench_policies [--quick] [--producer-consumer-only] [--monitor-ops N]
//
// --monitor-ops N sets the operations between monitor passes (after
// --quick's defaults): a burst (its gets and puts, about 1.8 x peak
// operations) that lasts less than a period shows bursts that come back
// before the monitor frees anything.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <queue>
#include <random>
#include <thread>
#include <vector>

#include "ops.hpp"

namespace {

using Clock = std::chrono::steady_clock;

unsigned peak = 16384;		// live objects at the peak
unsigned monitor_ops = 8192;	// operations between monitor passes
unsigned phase_factor = 20;	// a churn phase is phase_factor x peak operations

const unsigned kPolicies[] = { XEN_SLAB_CACHE_POLICY_PRE2019, XEN_SLAB_CACHE_POLICY_2019,
			       XEN_SLAB_CACHE_POLICY_DEFAULT };
const size_t kSizes[] = { 64, 256, 1000, 2048, 4096 };

const char *policy_name(unsigned policy)
{
	switch (policy) {
	case XEN_SLAB_CACHE_POLICY_DEFAULT:
		return "ours";
	case XEN_SLAB_CACHE_POLICY_2019:
		return "2019";
	case XEN_SLAB_CACHE_POLICY_PRE2019:
		return "pre-2019";
	default:
		return "no-magazines";
	}
}

xen_slab_cache_stats stats_of(xen_slab_cache *c)
{
	xen_slab_cache_stats s;

	xen_slab_cache_get_stats(c, &s);
	return s;
}

struct Result {
	double pages = 0;	// mean pages held at the samples
	double ideal = 0;	// mean ideal pages at the samples
	double slabs = 0;	// mean slabs at the samples
	double live = 0;	// mean live objects at the samples
	unsigned long long ctor = 0, dtor = 0;
	unsigned long long ctor_steady = 0, dtor_steady = 0; // in the sampled half
	size_t max_live = 0;	// most live objects at any point of the run
	double ns_per_op = 0;
	// burst only: pages after the drain, after 1 and 2 monitor passes, after the shrinker
	long burst_pages[4] = { 0, 0, 0, 0 };
	unsigned long long reservation_pages = 0;
	unsigned long long floor_pages = 0; // of the slabs holding live objects
	unsigned long long floor_after_shrink = 0;
};

// A cache under one workload, with the live objects and the sampling.
class Run {
public:
	Run(unsigned policy, size_t size, unsigned reservation) : size_(size), rng_(size * 7919 + 17)
	{
		xen_slab_cache_args a{};

		a.size = size;
		a.align = size == 4096 ? 4096 : 0;
		a.reservation = reservation;
		a.ctor = bench::ctor;
		a.dtor = bench::dtor;
		a.policy = policy;
		cache_ = xen_slab_cache_create("policy", &a);
		if (reinterpret_cast<uintptr_t>(cache_) >= static_cast<uintptr_t>(-4095L)) {
			fprintf(stderr, "create failed\n");
			exit(1);
		}
		live_.reserve(peak * 2);
	}

	~Run()
	{
		xen_slab_cache_put_bulk(cache_, live_.data(), live_.size(), false);
		xen_slab_cache_destroy(cache_);
		bench::quiesce();
	}

	void get()
	{
		live_.push_back(get_object());
		max_live_ = std::max(max_live_, live());
	}

	// A get whose object the caller keeps (it counts as live through
	// set_held()).
	void *get_object()
	{
		void *p = xen_slab_cache_get(cache_, false);

		if (!p) {
			fprintf(stderr, "get failed\n");
			exit(1);
		}
		tick();
		return p;
	}

	void put_object(void *p)
	{
		xen_slab_cache_put(cache_, p, false);
		tick();
	}

	void set_held(size_t n)
	{
		held_ = n;
		max_live_ = std::max(max_live_, live());
	}

	// The objects from live index @from on, in random order.
	void shuffle_from(size_t from)
	{
		std::shuffle(live_.begin() + from, live_.end(), rng_);
	}

	void put_random()
	{
		const size_t i = rng_() % live_.size();

		put_at(i);
	}

	void put_at(size_t i)
	{
		xen_slab_cache_put(cache_, live_[i], false);
		live_[i] = live_.back();
		live_.pop_back();
		tick();
	}

	// A get or a put of a random object, keeping the live count in [lo, hi].
	void churn_step(unsigned lo, unsigned hi)
	{
		if (live_.size() <= lo || (live_.size() < hi && (rng_() & 1)))
			get();
		else
			put_random();
	}

	void start_sampling()
	{
		const xen_slab_cache_stats s = stats_of(cache_);

		sampling_ = true;
		ctor_at_start_ = s.ctor_calls;
		dtor_at_start_ = s.dtor_calls;
	}

	// Pages of the slabs that hold live objects (the vector's), at least
	// the reservation's: what no policy can free.
	unsigned long long floor_pages(unsigned long long reservation_pages) const
	{
		const xen_slab_cache_stats s = stats_of(cache_);
		std::vector<uintptr_t> keys;

		for (void *p : live_)
			keys.push_back(reinterpret_cast<uintptr_t>(p) >> (XSC_PAGE_SHIFT + s.slab_order));
		std::sort(keys.begin(), keys.end());
		const unsigned long long slabs = std::unique(keys.begin(), keys.end()) - keys.begin();

		return std::max(reservation_pages, slabs << s.slab_order);
	}

	size_t live() const
	{
		return live_.size() + held_;
	}

	xen_slab_cache *cache() const
	{
		return cache_;
	}

	std::mt19937_64 &rng()
	{
		return rng_;
	}

	unsigned long long ops() const
	{
		return ops_;
	}

	void finish(Result *r) const
	{
		const xen_slab_cache_stats s = stats_of(cache_);

		if (samples_) {
			r->pages = pages_sum_ / samples_;
			r->ideal = ideal_sum_ / samples_;
			r->slabs = slabs_sum_ / samples_;
			r->live = live_sum_ / samples_;
		}
		r->ctor = s.ctor_calls;
		r->dtor = s.dtor_calls;
		r->max_live = max_live_;
		r->ctor_steady = s.ctor_calls - ctor_at_start_;
		r->dtor_steady = s.dtor_calls - dtor_at_start_;
	}

	void tick()
	{
		if (++ops_ % monitor_ops)
			return;
		if (sampling_) {
			const xen_slab_cache_stats s = stats_of(cache_);

			pages_sum_ += s.pages;
			slabs_sum_ += s.slabs;
			live_sum_ += live();
			ideal_sum_ += static_cast<double>(live()) * size_ / XSC_PAGE_SIZE;
			samples_++;
		}
		xen_slab_cache_trim(cache_);
	}

private:
	xen_slab_cache *cache_;
	size_t size_;
	std::mt19937_64 rng_;
	std::vector<void *> live_;
	size_t held_ = 0;
	size_t max_live_ = 0;
	unsigned long long ops_ = 0;
	bool sampling_ = false;
	double pages_sum_ = 0, ideal_sum_ = 0, slabs_sum_ = 0, live_sum_ = 0;
	unsigned samples_ = 0;
	unsigned long long ctor_at_start_ = 0, dtor_at_start_ = 0;
};

double seconds_since(Clock::time_point t)
{
	return std::chrono::duration<double>(Clock::now() - t).count();
}

Result churn(unsigned policy, size_t size, double level)
{
	Result r;
	const auto t0 = Clock::now();
	{
		Run run(policy, size, 0);
		const unsigned lo = static_cast<unsigned>((level - 0.05) * peak);
		const unsigned hi = std::min(peak, static_cast<unsigned>((level + 0.05) * peak));
		const unsigned long long steps = static_cast<unsigned long long>(phase_factor) * peak;

		while (run.live() < peak)
			run.get();
		while (run.live() > level * peak)
			run.put_random();
		for (unsigned long long i = 0; i < steps; i++) {
			if (i == steps / 2)
				run.start_sampling();
			run.churn_step(lo, hi);
		}
		run.finish(&r);
		r.ns_per_op = seconds_since(t0) * 1e9 / run.ops();
	}
	return r;
}

// Bursts @gap_halves / 2 monitor periods of churn apart.
Result burst(unsigned policy, size_t size, unsigned gap_halves)
{
	Result r;
	const unsigned base = peak / 10;
	const auto t0 = Clock::now();
	{
		Run run(policy, size, base);
		const unsigned long long steps = static_cast<unsigned long long>(phase_factor) * peak / 2;
		const unsigned lo = base - base / 10, hi = base + base / 10;

		while (run.live() < base)
			run.get();
		run.start_sampling();
		for (unsigned long long i = 0; i < steps; i++)
			run.churn_step(lo, hi);
		for (int burst = 0; burst < 4; burst++) {
			const size_t before = run.live();

			if (burst) {
				for (unsigned i = 0; i < monitor_ops * gap_halves / 2; i++)
					run.churn_step(lo, hi);
			}
			while (run.live() < peak)
				run.get();
			run.shuffle_from(before);
			while (run.live() > before)
				run.put_at(run.live() - 1);
		}
		r.burst_pages[0] = stats_of(run.cache()).pages;
		xen_slab_cache_trim(run.cache());
		r.burst_pages[1] = stats_of(run.cache()).pages;
		xen_slab_cache_trim(run.cache());
		r.burst_pages[2] = stats_of(run.cache()).pages;
		{
			const xen_slab_cache_stats s = stats_of(run.cache());

			r.reservation_pages = (base + s.slab_objects - 1) / s.slab_objects << s.slab_order;
		}
		r.floor_pages = run.floor_pages(r.reservation_pages);
		// One more burst, and memory pressure right after it.
		{
			const size_t before = run.live();

			while (run.live() < peak)
				run.get();
			run.shuffle_from(before);
			while (run.live() > before)
				run.put_at(run.live() - 1);
		}
		xsc_cache_shrink_scan(run.cache(), ~0UL);
		r.burst_pages[3] = stats_of(run.cache()).pages;
		r.floor_after_shrink = run.floor_pages(r.reservation_pages);
		run.finish(&r);
		r.ns_per_op = seconds_since(t0) * 1e9 / run.ops();
	}
	return r;
}

Result lifetimes(unsigned policy, size_t size)
{
	Result r;
	const auto t0 = Clock::now();
	{
		Run run(policy, size, 0);
		// (expiry step, object), earliest first
		using Entry = std::pair<unsigned long long, void *>;
		std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> expiries;
		std::exponential_distribution<double> short_life(8.0 / peak), long_life(0.5 / peak);
		const unsigned long long steps = static_cast<unsigned long long>(phase_factor) * peak;

		for (unsigned long long step = 0; step < steps; step++) {
			if (step == steps / 2)
				run.start_sampling();
			void *p = run.get_object();
			const bool is_long = run.rng()() % 5 == 0;
			const double life = is_long ? long_life(run.rng()) : short_life(run.rng());

			expiries.push({ step + 1 + static_cast<unsigned long long>(life), p });
			run.set_held(expiries.size());
			while (expiries.top().first <= step) {
				void *q = expiries.top().second;

				expiries.pop();
				run.set_held(expiries.size());
				run.put_object(q);
			}
		}
		run.finish(&r);
		r.ns_per_op = seconds_since(t0) * 1e9 / run.ops();
		while (!expiries.empty()) {
			xen_slab_cache_put(run.cache(), expiries.top().second, false);
			expiries.pop();
		}
		run.set_held(0);
	}
	return r;
}

// --- producer/consumer ---------------------------------------------------------

// Objects per second through a ring from a getting thread (CPU 0) to a
// putting thread (CPU 1).
double producer_consumer(unsigned policy, unsigned objects)
{
	xen_slab_cache *c = bench::make_cache(policy);
	constexpr unsigned kRing = 1024;
	std::vector<void *> ring(kRing);
	std::atomic<unsigned> head{ 0 }, tail{ 0 };
	std::atomic<int> ready{ 0 };
	Clock::time_point t0;

	std::thread producer([&] {
		bench::set_cpu(0);
		ready++;
		while (ready.load() < 2)
			;
		for (unsigned i = 0; i < objects; i++) {
			const unsigned h = head.load(std::memory_order_relaxed);

			while (h - tail.load(std::memory_order_acquire) >= kRing)
				__builtin_ia32_pause();
			void *p = xen_slab_cache_get(c, false);

			if (!p)
				abort();
			ring[h % kRing] = p;
			head.store(h + 1, std::memory_order_release);
		}
	});
	std::thread consumer([&] {
		bench::set_cpu(1);
		ready++;
		while (ready.load() < 2)
			;
		for (unsigned i = 0; i < objects; i++) {
			const unsigned t = tail.load(std::memory_order_relaxed);

			while (head.load(std::memory_order_acquire) == t)
				__builtin_ia32_pause();
			xen_slab_cache_put(c, ring[t % kRing], false);
			tail.store(t + 1, std::memory_order_release);
		}
	});
	while (ready.load() < 2)
		;
	t0 = Clock::now();
	producer.join();
	consumer.join();
	const double seconds = seconds_since(t0);

	xen_slab_cache_destroy(c);
	bench::quiesce();
	return objects / seconds;
}

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
	bool quick = false, pc_only = false;
	unsigned set_monitor_ops = 0;
	unsigned pc_objects = 2000000, reps = 5;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--producer-consumer-only"))
			pc_only = true;
		else if (!strcmp(argv[i], "--monitor-ops") && i + 1 < argc)
			set_monitor_ops = static_cast<unsigned>(strtoul(argv[++i], nullptr, 10));
	}

	if (quick) {
		peak = 2048;
		monitor_ops = 1024;
		phase_factor = 10;
		pc_objects = 200000;
		reps = 3;
	}
	if (set_monitor_ops)
		monitor_ops = set_monitor_ops;
	bench::set_nr_cpus(2);
	bench::set_cpu(0);

	if (!pc_only) {
		printf("Policies: peak %u live objects, a monitor pass every %u operations, %u x peak operations per phase\n\n",
		       peak, monitor_ops, phase_factor);
		printf("Columns: live objects, slabs, pages held and ideal pages (live x size / page size),\n"
		       "averaged over the monitor passes of the second half; constructor and destructor\n"
		       "calls over the whole run and (steady) in the second half; ns per get or put.\n\n");
		printf("%-10s %5s %-9s %7s %8s %8s %8s %7s %7s %7s %7s %7s %7s\n", "workload", "size", "policy",
		       "live", "slabs", "pages", "ideal", "p/ideal", "ctor", "dtor", "ctor-s", "dtor-s", "ns/op");
		struct Summary {
			const char *workload;
			size_t size;
			double ratio[3];
			unsigned long long ctor[3], ctor_steady[3];
			size_t max_live;
		};
		std::vector<Summary> summary;
		const char *const workloads[] = { "churn50", "churn90", "burst1.5", "burst0.5", "lifetimes" };

		for (const char *w : workloads) {
			for (size_t size : kSizes) {
				Summary sum{ w, size, {}, {}, {}, 0 };

				for (unsigned k = 0; k < 3; k++) {
					const unsigned policy = kPolicies[k];
					Result r;

					if (!strcmp(w, "churn50"))
						r = churn(policy, size, 0.5);
					else if (!strcmp(w, "churn90"))
						r = churn(policy, size, 0.9);
					else if (!strcmp(w, "burst1.5"))
						r = burst(policy, size, 3);
					else if (!strcmp(w, "burst0.5"))
						r = burst(policy, size, 1);
					else
						r = lifetimes(policy, size);
					sum.ratio[k] = r.ideal > 0 ? r.pages / r.ideal : 0;
					sum.ctor[k] = r.ctor;
					sum.ctor_steady[k] = r.ctor_steady;
					sum.max_live = r.max_live;
					printf("%-10s %5zu %-9s %7.0f %8.1f %8.1f %8.1f %7.3f %7llu %7llu %7llu %7llu %7.1f\n",
					       w, size, policy_name(policy), r.live, r.slabs, r.pages, r.ideal,
					       sum.ratio[k], r.ctor, r.dtor, r.ctor_steady, r.dtor_steady, r.ns_per_op);
					if (!strncmp(w, "burst", 5))
						printf("%-10s %5s %-9s after the 4th burst: pages %ld, 1 pass %ld, 2 passes %ld (floor %llu); 5th burst, shrinker at once: %ld (floor %llu); reservation %llu\n",
						       "", "", "", r.burst_pages[0], r.burst_pages[1], r.burst_pages[2],
						       r.floor_pages, r.burst_pages[3], r.floor_after_shrink, r.reservation_pages);
				}
				summary.push_back(sum);
			}
		}

		printf("\nSummary: pages held / ideal; constructor calls relative to pre-2019, whole run and steady half\n");
		printf("%-10s %5s %9s %9s %9s %10s %10s %10s %10s\n", "workload", "size", "pre-2019", "2019",
		       "ours", "ctor 2019", "ctor ours", "steady 19", "steady ours");
		for (const Summary &s : summary) {
			char c[4][16];
			const unsigned long long num[4] = { s.ctor[1], s.ctor[2], s.ctor_steady[1], s.ctor_steady[2] };
			const unsigned long long den[4] = { s.ctor[0], s.ctor[0], s.ctor_steady[0], s.ctor_steady[0] };

			for (unsigned i = 0; i < 4; i++) {
				if (den[i])
					snprintf(c[i], sizeof(c[i]), "%.3f", double(num[i]) / den[i]);
				else
					snprintf(c[i], sizeof(c[i]), "%s", num[i] ? "inf" : "(0/0)");
			}
			printf("%-10s %5zu %9.3f %9.3f %9.3f %10s %10s %10s %10s\n", s.workload, s.size, s.ratio[0],
			       s.ratio[1], s.ratio[2], c[0], c[1], c[2], c[3]);
		}

		printf("\nConstructor calls / the run's maximum of live objects (max), whole run (no policy\n"
		       "can go below 1.000: those objects are constructed once) and steady half (lower\n"
		       "bound 0); \"bound\" is the least any policy's whole-run calls can be relative to\n"
		       "pre-2019's (max / pre-2019's calls), \"ours/pre\" what ours reaches\n");
		printf("%-10s %5s %6s %9s %9s %9s %9s %9s %9s %9s %9s\n", "workload", "size", "max", "pre-2019", "2019",
		       "ours", "bound", "ours/pre", "steady-pre", "steady-19", "steady-ours");
		for (const Summary &s : summary) {
			const double m = static_cast<double>(s.max_live);

			printf("%-10s %5zu %6zu %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", s.workload, s.size,
			       s.max_live, s.ctor[0] / m, s.ctor[1] / m, s.ctor[2] / m, m / s.ctor[0],
			       double(s.ctor[2]) / s.ctor[0], s.ctor_steady[0] / m, s.ctor_steady[1] / m,
			       s.ctor_steady[2] / m);
		}
	}
	printf("\nProducer/consumer across two CPUs (threads), %u objects of %zu bytes, median of %u:\n",
	       pc_objects, bench::kObjectSize, reps);
	std::vector<double> ours, old;
	for (unsigned i = 0; i < reps; i++) {
		ours.push_back(producer_consumer(XEN_SLAB_CACHE_POLICY_DEFAULT, pc_objects));
		old.push_back(producer_consumer(XEN_SLAB_CACHE_POLICY_2019, pc_objects));
	}
	const double mo = median(ours), m19 = median(old);
	printf("  ours %.2f M objects/s (min %.2f, max %.2f)\n", mo / 1e6,
	       *std::min_element(ours.begin(), ours.end()) / 1e6,
	       *std::max_element(ours.begin(), ours.end()) / 1e6);
	printf("  2019 %.2f M objects/s (min %.2f, max %.2f)\n", m19 / 1e6,
	       *std::min_element(old.begin(), old.end()) / 1e6,
	       *std::max_element(old.begin(), old.end()) / 1e6);
	printf("  ratio ours / 2019: %.2f\n", mo / m19);
	return bench::warning_count() ? 1 : 0;
}
