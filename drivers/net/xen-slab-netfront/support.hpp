// SPDX-License-Identifier: GPL-2.0
//
// The little of a standard library the ring consumer needs, for a
// freestanding kernel build (no kernel header, no libstdc++).  Its own copy,
// not shared with xen_slab_cache: inline code of two modules must not meet.
#ifndef XSN_SUPPORT_HPP
#define XSN_SUPPORT_HPP

#include "xsn_platform.h"

inline void *operator new(unsigned long, void *where) noexcept
{
	return where;
}

namespace xsn {

using u8 = unsigned char;
using u16 = unsigned short;
using u32 = unsigned int;
using u64 = unsigned long long;
using uptr = unsigned long;

static_assert(sizeof(uptr) == 8 && sizeof(void *) == 8, "the consumer assumes LP64");

template <typename T> constexpr T min(T a, T b)
{
	return a < b ? a : b;
}

#define xsn_likely(x) __builtin_expect(!!(x), 1)
#define xsn_unlikely(x) __builtin_expect(!!(x), 0)

// Counters written by one owner (the poll context) and read by anyone.
template <typename T> inline T read_once(const T &x)
{
	return __atomic_load_n(&x, __ATOMIC_RELAXED);
}

template <typename T> inline void write_once(T &x, T v)
{
	__atomic_store_n(&x, v, __ATOMIC_RELAXED);
}

// Add to a counter that only its owner writes (plain read, single store).
template <typename T> inline void bump(T &x, T v)
{
	write_once(x, static_cast<T>(x + v));
}

// Counters written from more than one context (cache callbacks).
template <typename T> inline void atomic_add(T &x, T v)
{
	__atomic_add_fetch(&x, v, __ATOMIC_RELAXED);
}

// An interrupt-safe spinlock of the shim, held for a scope.
class LockGuard {
public:
	explicit LockGuard(xsn_lock *lock) : lock_(lock), flags_(xsn_lock_irqsave(lock))
	{
	}
	~LockGuard()
	{
		xsn_unlock_irqrestore(lock_, flags_);
	}
	LockGuard(const LockGuard &) = delete;
	LockGuard &operator=(const LockGuard &) = delete;

private:
	xsn_lock *lock_;
	unsigned long flags_;
};

} // namespace xsn

#endif // XSN_SUPPORT_HPP
