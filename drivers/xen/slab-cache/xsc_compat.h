/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels the modules build for (6.1 to 7.3), for
 * the C files only (the C++ core never sees a kernel): where a kernel
 * renamed something, the code uses the newer name and this header defines
 * it over the older one.  Each entry says when the change came.
 */
#ifndef XSC_COMPAT_H
#define XSC_COMPAT_H

#include <linux/version.h>
#include <linux/hrtimer.h>
#include <linux/mm_types.h>
#include <linux/timer.h>

/*
 * struct page's index word ("page cache and anonymous pages" view) is
 * __folio_index since 6.16: the same word, renamed because new code should
 * reach it through the folio.  See docs/design.md, "Page owners".
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define xsc_page_index(page) ((page)->__folio_index)
#else
#define xsc_page_index(page) ((page)->index)
#endif

/*
 * timer_delete_sync() since 6.2, and in 6.1 from 6.1.84 (del_timer_sync()
 * until 6.14).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 84)
#define timer_delete_sync(timer) del_timer_sync(timer)
#endif

/* timer_container_of() since 6.16 (from_timer() before). */
#ifndef timer_container_of
#define timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

/* hrtimer_setup() since 6.13 (hrtimer_init() and a store of the callback before). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

#endif /* XSC_COMPAT_H */
