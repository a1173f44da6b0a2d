// SPDX-License-Identifier: GPL-2.0
//
// The C API (include/xen_slab_cache.h) and the entry points the C shim
// calls (xsc_core.h).  Part of the core's one translation unit
// (core.cpp); the exports are in main.c.

#include "xsc_core.h"

// --- the C API ----------------------------------------------------------------

namespace {

inline xsc::Cache *to_cache(xen_slab_cache *cache)
{
	return xsc::Cache::from_handle(cache);
}

// ERR_PTR() without the kernel header: errors live in the last page.
inline bool is_error_or_null(const void *ptr)
{
	return !ptr || reinterpret_cast<xsc::uptr>(ptr) >= static_cast<xsc::uptr>(-4095L);
}

} // namespace

extern "C" {

struct xen_slab_cache *xen_slab_cache_create_owned(const char *name,
						   const struct xen_slab_cache_args *args,
						   struct module *owner)
{
	int error = 0;
	xsc::Cache *cache = xsc::Cache::create(name, args, &error);

	if (!cache)
		return reinterpret_cast<xen_slab_cache *>(static_cast<long>(error));
	xsc_registry_set_creator(cache->handle(), args, owner);
	return cache->handle();
}

void xen_slab_cache_destroy(struct xen_slab_cache *cache)
{
	if (!is_error_or_null(cache))
		to_cache(cache)->destroy();
}

void *xsc_cache_get_in_section(struct xen_slab_cache *cache, struct xsc_cpu_front *f)
{
	return to_cache(cache)->get_in_section(xsc::Cache::cpu_cache_of(f));
}

int xsc_cache_put_in_section(struct xen_slab_cache *cache, void *object, struct xsc_cpu_front *f)
{
	return to_cache(cache)->put_in_section(object, xsc::Cache::cpu_cache_of(f));
}

void *xsc_cache_get_slow(struct xen_slab_cache *cache, int locked)
{
	return to_cache(cache)->get_slow(locked);
}

void xsc_cache_put_slow(struct xen_slab_cache *cache, void *object, int locked)
{
	to_cache(cache)->put_slow(object, locked);
}

#ifndef __KERNEL__
void *xsc_cache_get(struct xen_slab_cache *cache, bool locked, unsigned long cpu)
{
	xsc::Cache *c = to_cache(cache);

	return c->get_on_cpu(c->cpu_cache(cpu), [c, locked] { return c->get_slow(locked); });
}

void xsc_cache_put(struct xen_slab_cache *cache, void *object, bool locked, unsigned long cpu)
{
	xsc::Cache *c = to_cache(cache);

	c->put_on_cpu(c->cpu_cache(cpu), object, [c, object, locked] {
		c->put_slow(object, locked);
		return true;
	});
}
#endif

unsigned int xen_slab_cache_get_bulk(struct xen_slab_cache *cache, void **objects,
				     unsigned int n, bool locked)
{
	return to_cache(cache)->get_bulk(objects, n, locked);
}

void xen_slab_cache_put_bulk(struct xen_slab_cache *cache, void **objects, unsigned int n,
			     bool locked)
{
	to_cache(cache)->put_bulk(objects, n, locked);
}

void xen_slab_cache_trim(struct xen_slab_cache *cache)
{
	to_cache(cache)->trim();
}

unsigned long xen_slab_cache_purge(struct xen_slab_cache *cache)
{
	return to_cache(cache)->purge();
}

int xen_slab_cache_audit(struct xen_slab_cache *cache)
{
	return to_cache(cache)->audit();
}

void xen_slab_cache_get_stats(struct xen_slab_cache *cache, struct xen_slab_cache_stats *stats)
{
	to_cache(cache)->read_stats(stats);
}

const char *xsc_cache_name(struct xen_slab_cache *cache)
{
	return to_cache(cache)->name();
}

void xsc_cache_cpu_dead(struct xen_slab_cache *cache, unsigned int cpu)
{
	to_cache(cache)->cpu_dead(cpu);
}

unsigned long xsc_cache_shrink_count(struct xen_slab_cache *cache)
{
	return to_cache(cache)->shrink_count();
}

unsigned long xsc_cache_shrink_scan(struct xen_slab_cache *cache, unsigned long nr_to_scan)
{
	return to_cache(cache)->shrink_scan(nr_to_scan);
}

} // extern "C"
