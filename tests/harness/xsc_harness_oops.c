// SPDX-License-Identifier: GPL-2.0
/* Dereferences NULL at load: the test harness must report the oops. */
#include <linux/init.h>
#include <linux/module.h>

static int __init xsc_harness_oops_init(void)
{
	/* volatile: the compiler may neither drop nor fold the load */
	int *volatile p = NULL;

	return *p;
}

static void __exit xsc_harness_oops_exit(void)
{
}

module_init(xsc_harness_oops_init);
module_exit(xsc_harness_oops_exit);
MODULE_DESCRIPTION("Test harness check: NULL dereference at load");
MODULE_LICENSE("GPL");
