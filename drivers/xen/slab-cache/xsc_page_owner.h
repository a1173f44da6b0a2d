/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page owner lookup of xen_slab_cache (see shim.c, "Page owners"), inline
 * so that the benchmark module times the same code the shim runs.
 */
#ifndef XSC_PAGE_OWNER_H
#define XSC_PAGE_OWNER_H

#include <linux/compiler.h>
#include <linux/mm.h>

#include "xsc_compat.h"

/*
 * The owner recorded in @page: private = owner, the index word (see
 * xsc_compat.h) = owner ^ @cookie, no mapping.
 */
static inline void *xsc_page_owner_of(const struct page *page, unsigned long cookie)
{
	const unsigned long owner = READ_ONCE(page->private);

	if (!owner || (owner ^ cookie) != READ_ONCE(xsc_page_index(page)) || READ_ONCE(page->mapping))
		return NULL;
	return (void *)owner;
}

/*
 * The owner recorded for the page holding @address, or NULL: only a
 * direct-map address below high_memory whose pfn has a struct page is
 * looked at (virt_addr_valid() without the kernel image, inline).
 */
static inline void *xsc_page_owner_lookup(const void *address, unsigned long cookie)
{
	const unsigned long addr = (unsigned long)address;
	unsigned long pfn;

	if (addr < PAGE_OFFSET || addr >= (unsigned long)high_memory)
		return NULL;
	pfn = PHYS_PFN(__pa(addr));
	if (!pfn_valid(pfn))
		return NULL;
	return xsc_page_owner_of(pfn_to_page(pfn), cookie);
}

#endif /* XSC_PAGE_OWNER_H */
