// SPDX-License-Identifier: GPL-2.0
/*
 * xen_slab_netfront module glue and the exports of the C++ ring consumer
 * (genksyms cannot read C++, so they live here).
 */
#include <linux/module.h>

#include "xen_slab_netfront.h"

EXPORT_SYMBOL_GPL(xsn_sring_init);
EXPORT_SYMBOL_GPL(xsn_rx_create);
EXPORT_SYMBOL_GPL(xsn_rx_refill);
EXPORT_SYMBOL_GPL(xsn_rx_poll);
EXPORT_SYMBOL_GPL(xsn_rx_rearm);
EXPORT_SYMBOL_GPL(xsn_rx_has_work);
EXPORT_SYMBOL_GPL(xsn_rx_starved);
EXPORT_SYMBOL_GPL(xsn_rx_broken);
EXPORT_SYMBOL_GPL(xsn_rx_get_stats);
EXPORT_SYMBOL_GPL(xsn_rx_trim);
EXPORT_SYMBOL_GPL(xsn_rx_destroy);
EXPORT_SYMBOL_GPL(xsn_broken_name);

MODULE_DESCRIPTION("Netfront-style rx ring consumer on xen_slab_cache (example)");
MODULE_LICENSE("GPL");
