// SPDX-License-Identifier: GPL-2.0
/* Loads fine but fires a WARN: the test harness must report it. */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init xsc_harness_warn_init(void)
{
	WARN(1, "xsc_harness_warn: deliberate warning\n");
	return 0;
}

static void __exit xsc_harness_warn_exit(void)
{
}

module_init(xsc_harness_warn_init);
module_exit(xsc_harness_warn_exit);
MODULE_DESCRIPTION("Test harness check: WARN at load");
MODULE_LICENSE("GPL");
