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

#ifdef __cplusplus
extern "C" {
#endif

struct xen_slab_cache;

/*
 * The platform defines xen_slab_cache_get() and xen_slab_cache_put(), so
 * that the CPU section of their fast paths is inline: on @cpu, with
 * preemption (migration) off -- interrupts may stay on --,
 * xsc_cache_get_on_cpu() returns an object from the CPU's loaded magazine
 * or NULL, xsc_cache_put_on_cpu() returns non-zero when it took the
 * object; after the section, the slow paths do everything else (they
 * enter sections of their own and may take locks).
 */
void *xsc_cache_get_on_cpu(struct xen_slab_cache *cache, unsigned long cpu);
int xsc_cache_put_on_cpu(struct xen_slab_cache *cache, void *object, unsigned long cpu);
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
