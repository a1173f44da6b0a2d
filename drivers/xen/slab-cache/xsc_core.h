/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the platform calls in the allocator core, besides the public API
 * (include/xen_slab_cache.h): the halves of the fast paths, the slow paths,
 * and the hooks of the monitor, the shrinker, CPU hotplug and debugfs.
 * Defined by the core (api.cpp); called by shim.c and main.c, or by the host
 * platforms.  The other direction is xsc_platform.h.  Plain C types only.
 */
#ifndef XSC_CORE_H
#define XSC_CORE_H

#include "xsc_front.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xen_slab_cache;

/*
 * The platform defines xen_slab_cache_get() and xen_slab_cache_put(), so
 * that the CPU section of their fast paths is inline: on @cpu, with
 * preemption (migration) off -- interrupts may stay on --, xsc_front_get()
 * returns an object from the CPU's magazines or NULL, xsc_front_put()
 * returns non-zero when they took the object (xsc_front.h: inline, with
 * the core's xsc_cache_get_in_section() and xsc_cache_put_in_section() as
 * their tails); after the section, the slow paths do everything else
 * (they enter sections of their own and may take locks).
 */
void *xsc_cache_get_slow(struct xen_slab_cache *cache, int locked);
void xsc_cache_put_slow(struct xen_slab_cache *cache, void *object, int locked);

#ifndef __KERNEL__
/*
 * For platforms whose CPU sections cost nothing (user space, where a thread
 * is a CPU that nothing interrupts): the fast path on @cpu, then the slow
 * path if it declined, in one call.
 */
void *xsc_cache_get(struct xen_slab_cache *cache, bool locked, unsigned long cpu);
void xsc_cache_put(struct xen_slab_cache *cache, void *object, bool locked, unsigned long cpu);
#endif

/* Entry points of the core that only the platform calls. */
const char *xsc_cache_name(struct xen_slab_cache *cache);
void xsc_cache_cpu_dead(struct xen_slab_cache *cache, unsigned int cpu);
unsigned long xsc_cache_shrink_count(struct xen_slab_cache *cache);
unsigned long xsc_cache_shrink_scan(struct xen_slab_cache *cache, unsigned long nr_to_scan);

#ifdef __cplusplus
}
#endif

#endif /* XSC_CORE_H */
