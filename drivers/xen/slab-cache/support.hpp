// SPDX-License-Identifier: GPL-2.0
//
// The little of a standard library the allocator core needs, written for a
// freestanding kernel build (no kernel header, no libstdc++).
#ifndef XSC_SUPPORT_HPP
#define XSC_SUPPORT_HPP

#include "xsc_platform.h"

#if __STDC_HOSTED__
#include <new>
#else
inline void *operator new(unsigned long, void *where) noexcept
{
	return where;
}
#endif

namespace xsc {

using u8 = unsigned char;
using u16 = unsigned short;
using u32 = unsigned int;
using u64 = unsigned long long;
using ulong = unsigned long;
using uptr = unsigned long;

static_assert(sizeof(ulong) == 8 && sizeof(void *) == 8, "the core assumes LP64");

constexpr unsigned kBitsPerLong = 64;

template <typename T> constexpr T min(T a, T b)
{
	return a < b ? a : b;
}

template <typename T> constexpr T max(T a, T b)
{
	return a > b ? a : b;
}

template <typename T> inline void swap(T &a, T &b)
{
	T t = a;
	a = b;
	b = t;
}

constexpr bool is_power_of_2(ulong x)
{
	return x && !(x & (x - 1));
}

constexpr ulong round_up(ulong x, ulong align)
{
	return (x + align - 1) & ~(align - 1);
}

// Orders memory accesses against an interrupt on the same CPU only.
inline void compiler_barrier()
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

#define XSC_ALWAYS_INLINE inline __attribute__((always_inline))
#define xsc_likely(x) __builtin_expect(!!(x), 1)
#define xsc_unlikely(x) __builtin_expect(!!(x), 0)

// Clang's thread-safety analysis (-Wthread-safety, the host's clang
// builds); nothing for other compilers.
#ifdef __clang__
#define XSC_TSA(x) __attribute__((x))
#else
#define XSC_TSA(x)
#endif
#define XSC_CAPABILITY(name) XSC_TSA(capability(name))
#define XSC_SCOPED_CAPABILITY XSC_TSA(scoped_lockable)
#define XSC_GUARDED_BY(lock) XSC_TSA(guarded_by(lock))
#define XSC_ACQUIRE(...) XSC_TSA(acquire_capability(__VA_ARGS__))
#define XSC_RELEASE(...) XSC_TSA(release_capability(__VA_ARGS__))
#define XSC_REQUIRES(...) XSC_TSA(requires_capability(__VA_ARGS__))
// A function that reads guarded fields without their lock on purpose (each
// says why the value it returns is good enough).
#define XSC_NO_TSA XSC_TSA(no_thread_safety_analysis)

// Debug assertions, in checked builds only (XSC_DEBUG: kernels with
// CONFIG_DEBUG_VM or generic KASAN, as VM_WARN_ON_ONCE; the host's checked
// builds and fuzzers): the platform reports a failed one
// (xsc_assert_failed(): a WARN in the kernel, an abort on the host).  In
// other builds the condition is not evaluated.
#ifdef XSC_DEBUG
#define XSC_ASSERT(cond)                                                   \
	do {                                                               \
		if (xsc_unlikely(!(cond)))                                 \
			xsc_assert_failed(#cond, __FILE__, __LINE__);      \
	} while (0)
#else
#define XSC_ASSERT(cond)                                                   \
	do {                                                               \
		if (false && (cond)) {                                     \
		}                                                          \
	} while (0)
#endif

// Counters written by one owner and read by anyone: plain loads and stores
// that the compiler may not tear, and that race detectors understand.
template <typename T> inline T read_once(const T &x)
{
	return __atomic_load_n(&x, __ATOMIC_RELAXED);
}

template <typename T> inline void write_once(T &x, T v)
{
	__atomic_store_n(&x, v, __ATOMIC_RELAXED);
}

template <typename T> inline void owner_add(T &x, T v)
{
	write_once(x, static_cast<T>(read_once(x) + v));
}

// One more on a counter that only its owner CPU writes: a single add to
// memory on x86-64 (what this_cpu_inc() does), which an interrupt on that
// CPU cannot split (the fast paths run with interrupts on) and which stays
// untorn for readers.  Elsewhere a load and a store: an interrupt between
// them, in a fast path's busy window, leaves the counter as it found it.
template <typename T> inline void owner_inc(T &x)
{
#if defined(__x86_64__)
	static_assert(sizeof(T) == 8, "a 64-bit counter");
	asm("addq $1, %0" : "+m"(x));
#else
	owner_add<T>(x, 1);
#endif
}

// Counters written by many: atomic read-modify-write.
template <typename T> inline T atomic_add(T &x, T v)
{
	return __atomic_add_fetch(&x, v, __ATOMIC_RELAXED);
}

template <typename T> inline void atomic_max(T &x, T v)
{
	T cur = read_once(x);

	while (cur < v &&
	       !__atomic_compare_exchange_n(&x, &cur, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

// Without -mpopcnt, __builtin_popcount would call into libgcc.
inline unsigned popcount(ulong w)
{
	w = w - ((w >> 1) & 0x5555555555555555UL);
	w = (w & 0x3333333333333333UL) + ((w >> 2) & 0x3333333333333333UL);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fUL;
	return static_cast<unsigned>((w * 0x0101010101010101UL) >> 56);
}

// Index of the lowest set bit; w must not be zero.
inline unsigned lowest_bit(ulong w)
{
	return static_cast<unsigned>(__builtin_ctzl(w));
}

// Index of the highest set bit; w must not be zero.
inline unsigned highest_bit(u64 w)
{
	return 63u - static_cast<unsigned>(__builtin_clzll(w));
}

// An intrusive circular doubly linked list.
struct ListNode {
	ListNode *next;
	ListNode *prev;

	void init()
	{
		next = prev = this;
	}

	bool empty() const
	{
		return next == this;
	}

	void insert_after(ListNode *head)
	{
		next = head->next;
		prev = head;
		head->next->prev = this;
		head->next = this;
	}

	void insert_before(ListNode *head)
	{
		insert_after(head->prev);
	}

	void unlink()
	{
		prev->next = next;
		next->prev = prev;
		next = prev = this;
	}
};

template <typename T, ListNode T::*Member> inline T *container_of(ListNode *node)
{
	const uptr offset = reinterpret_cast<uptr>(&(static_cast<T *>(nullptr)->*Member));

	return reinterpret_cast<T *>(reinterpret_cast<uptr>(node) - offset);
}

// An interrupt-safe spinlock of the platform, as a capability that the
// thread-safety analysis follows.
class XSC_CAPABILITY("spinlock") SpinLock {
public:
	bool init(xsc_lock_kind kind)
	{
		lock_ = xsc_lock_alloc(kind);
		return lock_ != nullptr;
	}
	bool ready() const
	{
		return lock_ != nullptr;
	}
	void free()
	{
		if (lock_)
			xsc_lock_free(lock_);
		lock_ = nullptr;
	}
	unsigned long lock_irqsave() XSC_ACQUIRE()
	{
		return xsc_lock_irqsave(lock_);
	}
	void unlock_irqrestore(unsigned long flags) XSC_RELEASE()
	{
		xsc_unlock_irqrestore(lock_, flags);
	}

private:
	xsc_lock *lock_ = nullptr;
};

// A SpinLock held for a scope.
class XSC_SCOPED_CAPABILITY LockGuard {
public:
	explicit LockGuard(SpinLock &lock) XSC_ACQUIRE(lock) : lock_(lock), flags_(lock.lock_irqsave())
	{
	}
	~LockGuard() XSC_RELEASE()
	{
		lock_.unlock_irqrestore(flags_);
	}
	LockGuard(const LockGuard &) = delete;
	LockGuard &operator=(const LockGuard &) = delete;

private:
	SpinLock &lock_;
	unsigned long flags_;
};

// An RCU read side, for a scope (xsc_rcu_read_lock()).
class RcuReadSection {
public:
	RcuReadSection()
	{
		xsc_rcu_read_lock();
	}
	~RcuReadSection()
	{
		xsc_rcu_read_unlock();
	}
	RcuReadSection(const RcuReadSection &) = delete;
	RcuReadSection &operator=(const RcuReadSection &) = delete;
};

// The current CPU with interrupts off, for a scope.
class CpuSection {
public:
	CpuSection() : flags_(xsc_cpu_enter(&cpu_))
	{
	}
	~CpuSection()
	{
		xsc_cpu_exit(flags_);
	}
	CpuSection(const CpuSection &) = delete;
	CpuSection &operator=(const CpuSection &) = delete;

	unsigned cpu() const
	{
		return cpu_;
	}

private:
	unsigned cpu_;
	unsigned long flags_;
};

} // namespace xsc

#endif // XSC_SUPPORT_HPP
