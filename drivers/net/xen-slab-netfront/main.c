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
EXPORT_SYMBOL_GPL(xsn_tx_sring_init);
EXPORT_SYMBOL_GPL(xsn_tx_create);
EXPORT_SYMBOL_GPL(xsn_tx_send);
EXPORT_SYMBOL_GPL(xsn_tx_send_packet);
EXPORT_SYMBOL_GPL(xsn_tx_push);
EXPORT_SYMBOL_GPL(xsn_tx_poll);
EXPORT_SYMBOL_GPL(xsn_tx_rearm);
EXPORT_SYMBOL_GPL(xsn_tx_has_work);
EXPORT_SYMBOL_GPL(xsn_tx_space);
EXPORT_SYMBOL_GPL(xsn_tx_broken);
EXPORT_SYMBOL_GPL(xsn_tx_get_stats);
EXPORT_SYMBOL_GPL(xsn_tx_destroy);

MODULE_DESCRIPTION("Netfront-style rx and tx rings on xen_slab_cache (example)");
MODULE_LICENSE("GPL");
