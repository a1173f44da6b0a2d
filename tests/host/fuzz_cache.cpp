// SPDX-License-Identifier: GPL-2.0
//
// libFuzzer target: random operation sequences on one cache, checked against
// a simple reference model after every operation.  The model knows which
// objects the caller holds and predicts every observable result: whether a
// get succeeds (it must, unless the cap is reached or a failure was
// injected), how many a bulk get returns, the statistics (in_use, bad_puts,
// ctor and dtor counts) and that the audit passes.  Objects carry a pattern
// that is checked at put, so overlapping or corrupted objects are found.
// Every policy.  Built with ASan twice: with XSC_POISON (the checked build:
// free objects are poisoned, so every double put is refused and every
// access after put is reported) and without (the production build: the
// inline fast paths and put_run; a double put of a free object is not
// attempted there, since only poisoning can refuse one that sits in a
// magazine).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "platform.hpp"

namespace {

constexpr unsigned kCpus = 4;
#ifdef XSC_POISON
constexpr bool kChecked = true;
#else
constexpr bool kChecked = false;
#endif
constexpr uint64_t kMagic = 0x5eedf00dcafe1234ULL;

struct Input {
	const uint8_t *data;
	size_t size;

	unsigned byte()
	{
		if (!size)
			return 0;
		size--;
		return *data++;
	}

	unsigned word()
	{
		return byte() | byte() << 8;
	}
};

struct Model {
	xen_slab_cache *cache = nullptr;
	xen_slab_cache_args args{};
	std::vector<void *> held;
	std::vector<uint64_t> tags; // pattern written into held[i]
	std::vector<void *> freed;  // put by us and not handed out since
	uint64_t next_tag = 1;
	size_t max_held = 0; // the most objects held at once
	uint64_t bad_puts = 0;
	long ctor = 0, dtor = 0, ctor_fail_next = 0;
	bool failures = false; // allocation failures injected
	std::mutex lock;       // the caller's lock, when the cache uses callbacks
	bool lock_held = false;
};

// The constructor's mark: the first 8 bytes of the object, or all of a
// smaller one (reading or writing past the object is reported by ASan).
size_t magic_len(const Model &m)
{
	return m.args.size < sizeof(kMagic) ? m.args.size : sizeof(kMagic);
}

bool has_magic(const Model &m, const void *object)
{
	return !memcmp(object, &kMagic, magic_len(m));
}

int ctor(void *arg, void *object)
{
	Model *m = static_cast<Model *>(arg);

	if (m->ctor_fail_next) {
		m->ctor_fail_next--;
		return -12;
	}
	m->ctor++;
	memcpy(object, &kMagic, magic_len(*m));
	return 0;
}

void dtor(void *arg, void *object)
{
	Model *m = static_cast<Model *>(arg);

	if (!has_magic(*m, object))
		abort(); // an object destructed that was not (or no longer) constructed
	m->dtor++;
}

void acquire(void *arg)
{
	static_cast<Model *>(arg)->lock.lock();
}

void release(void *arg)
{
	static_cast<Model *>(arg)->lock.unlock();
}

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "model mismatch at %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

xen_slab_cache_stats stats(Model &m)
{
	xen_slab_cache_stats s;

	xen_slab_cache_get_stats(m.cache, &s);
	return s;
}

// The pattern a held object carries after its first 8 bytes (the ctor's).
void stamp(Model &m, void *object, uint64_t tag)
{
	const size_t n = m.args.size < 16 ? 0 : 8;

	if (n)
		memcpy(static_cast<char *>(object) + 8, &tag, n);
	if (m.args.size > 16)
		static_cast<char *>(object)[m.args.size - 1] = static_cast<char>(tag);
}

void verify(Model &m, void *object, uint64_t tag)
{
	uint64_t v;

	CHECK(has_magic(m, object));
	if (m.args.size >= 16) {
		memcpy(&v, static_cast<char *>(object) + 8, sizeof(v));
		CHECK(v == tag);
	}
	if (m.args.size > 16)
		CHECK(static_cast<char *>(object)[m.args.size - 1] == static_cast<char>(tag));
}

void take(Model &m, void *object)
{
	CHECK(object);
	CHECK(reinterpret_cast<uintptr_t>(object) % (m.args.align ? m.args.align : 8) == 0);
	for (void *h : m.held)
		CHECK(h != object);
	CHECK(has_magic(m, object));
	m.held.push_back(object);
	if (m.held.size() > m.max_held)
		m.max_held = m.held.size();
	m.tags.push_back(m.next_tag);
	stamp(m, object, m.next_tag++);
	for (size_t i = 0; i < m.freed.size(); i++) {
		if (m.freed[i] == object) {
			m.freed[i] = m.freed.back();
			m.freed.pop_back();
			break;
		}
	}
}

// Releases held[i] from the model (the caller puts it); returns it.
void *give(Model &m, size_t i)
{
	void *object = m.held[i];

	verify(m, object, m.tags[i]);
	stamp(m, object, 0);
	m.held[i] = m.held.back();
	m.tags[i] = m.tags.back();
	m.held.pop_back();
	m.tags.pop_back();
	m.freed.push_back(object);
	return object;
}

// Whether the next get may fail: cap reached, or failures injected.
bool may_fail(Model &m)
{
	return m.failures || m.ctor_fail_next;
}

bool use_locked(Model &m, Input &in)
{
	if (!m.args.acquire_lock || !(in.byte() & 1))
		return false;
	m.lock.lock();
	m.lock_held = true;
	return true;
}

void unlock(Model &m)
{
	if (m.lock_held) {
		m.lock_held = false;
		m.lock.unlock();
	}
}

void step(Model &m, Input &in)
{
	const unsigned op = in.byte() % 15;
	const size_t cap_left = m.args.cap ? m.args.cap - m.held.size() : ~size_t(0);
	const bool could_fail = may_fail(m); // before a ctor consumes a failure

	switch (op) {
	case 0:
	case 1: { // get
		const bool locked = use_locked(m, in);
		void *object = xen_slab_cache_get(m.cache, locked);

		unlock(m);
		if (!cap_left)
			CHECK(!object);
		else if (!could_fail)
			CHECK(object);
		if (object)
			take(m, object);
		break;
	}
	case 2: { // get_bulk
		void *objects[80];
		const unsigned n = in.byte() % 80;
		const bool locked = use_locked(m, in);
		const unsigned got = xen_slab_cache_get_bulk(m.cache, objects, n, locked);

		unlock(m);
		CHECK(got <= n && got <= cap_left);
		if (!could_fail)
			CHECK(got == (n < cap_left ? n : cap_left));
		for (unsigned i = 0; i < got; i++)
			take(m, objects[i]);
		break;
	}
	case 3:
	case 4: { // put
		if (m.held.empty())
			break;
		void *object = give(m, in.word() % m.held.size());
		const bool locked = use_locked(m, in);

		xen_slab_cache_put(m.cache, object, locked);
		unlock(m);
		break;
	}
	case 5: { // put_bulk
		void *objects[80];
		unsigned n = in.byte() % 80;

		if (n > m.held.size())
			n = m.held.size();
		for (unsigned i = 0; i < n; i++)
			objects[i] = give(m, in.word() % m.held.size());
		const bool locked = use_locked(m, in);

		xen_slab_cache_put_bulk(m.cache, objects, n, locked);
		unlock(m);
		break;
	}
	case 6: { // double put of an object that is free
		if (!kChecked || m.freed.empty())
			break;
		xen_slab_cache_put(m.cache, m.freed[in.word() % m.freed.size()], false);
		m.bad_puts++;
		break;
	}
	case 7: { // foreign pointers: heap, stack, inside a held object
		alignas(64) char local[64];
		void *heap = malloc(64);
		void *inside = m.held.empty() ? nullptr : static_cast<char *>(m.held[0]) + 1;

		xen_slab_cache_put(m.cache, heap, false);
		xen_slab_cache_put(m.cache, local, false);
		m.bad_puts += 2;
		if (inside) {
			xen_slab_cache_put(m.cache, inside, false);
			m.bad_puts++;
		}
		free(heap);
		break;
	}
	case 8: // a monitor pass
		xen_slab_cache_trim(m.cache);
		break;
	case 9: // move to another CPU
		host::set_cpu(in.byte() % kCpus);
		break;
	case 10: { // a CPU other than this one goes offline and comes back
		const unsigned cpu = in.byte() % kCpus;

		host::set_online(cpu, false);
		xsc_cache_cpu_dead(m.cache, cpu);
		host::set_online(cpu, true);
		break;
	}
	case 11: // the shrinker
		if (xsc_cache_shrink_count(m.cache))
			xsc_cache_shrink_scan(m.cache, in.word());
		break;
	case 12: // allocation failures on or off
		m.failures = in.byte() & 1;
		host::fail_allocations_every(m.failures ? 1 + in.byte() % 4 : 0);
		break;
	case 13: // the next constructors fail
		m.ctor_fail_next = in.byte() % 3;
		break;
	case 14: { // purge: every free object destructed, the held ones kept
		const long live = m.ctor - m.dtor;
		const unsigned long purged = xen_slab_cache_purge(m.cache);

		// Unless allocations fail (the flush needs spare magazines).
		if (!m.failures) {
			CHECK(m.ctor - m.dtor == static_cast<long>(m.held.size()));
			CHECK(purged == static_cast<unsigned long>(live) - m.held.size());
		}
		break;
	}
	}

	const xen_slab_cache_stats s = stats(m);

	CHECK(xen_slab_cache_audit(m.cache) == 0);
	CHECK(s.in_use == m.held.size());
	CHECK(s.bad_puts == m.bad_puts);
	CHECK(s.ctor_calls - s.ctor_failures == static_cast<uint64_t>(m.ctor));
	CHECK(s.dtor_calls == static_cast<uint64_t>(m.dtor));
	CHECK(s.count >= m.args.reservation);
	CHECK(!m.args.cap || s.in_use <= m.args.cap);
	// Exact for a capped cache: objects handed out, never what a failed
	// or short get reserved and gave back.
	CHECK(!m.args.cap || s.in_use_max == m.max_held);
	CHECK(s.pages * 4096 >= s.count * ((m.args.size + 7) & ~7UL));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 8, 24, 64, 100, 256, 1000, 2048, 4056, 4064, 4072, 4096, 9000, 65536 };
	Input in{ data, size };
	Model m;
	const long pages_before = host::live_pages();

	host::set_nr_cpus(kCpus);
	host::set_cpu(0);
	host::fail_allocations_every(0);
	m.args.size = sizes[in.byte() % (sizeof(sizes) / sizeof(sizes[0]))];
	m.args.align = in.byte() & 1 ? 0 : 1UL << (3 + in.byte() % 10);
	m.args.reservation = in.byte() % 40;
	m.args.cap = in.byte() & 1 ? m.args.reservation + in.byte() % 100 : 0;
	m.args.policy = in.byte() % 4;
	m.args.ctor = ctor;
	m.args.dtor = dtor;
	if (in.byte() & 1) {
		m.args.acquire_lock = acquire;
		m.args.release_lock = release;
	}
	m.args.arg = &m;
	m.cache = xen_slab_cache_create("fuzz", &m.args);
	CHECK(reinterpret_cast<uintptr_t>(m.cache) < static_cast<uintptr_t>(-4095L));
	while (in.size)
		step(m, in);

	host::fail_allocations_every(0);
	m.failures = false;
	m.ctor_fail_next = 0;
	while (!m.held.empty())
		xen_slab_cache_put(m.cache, give(m, m.held.size() - 1), false);
	CHECK(stats(m).in_use == 0);
	// With the faults over, the cache works again.
	void *object = xen_slab_cache_get(m.cache, false);
	CHECK(object);
	xen_slab_cache_put(m.cache, object, false);
	xen_slab_cache_destroy(m.cache);
	CHECK(m.ctor == m.dtor);
	CHECK(host::live_pages() == pages_before);
	return 0;
}
