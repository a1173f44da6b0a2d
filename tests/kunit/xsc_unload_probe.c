// SPDX-License-Identifier: GPL-2.0
/*
 * Writes xen_slab_cache's monitor_period_ms while that module goes away:
 * after its exit ran (the monitor thread stopped) and before its parameters
 * leave sysfs, from a module notifier.  The KUnit guest loads this module
 * before it unloads xen_slab_cache (tests/qemu/guest-kunit.sh); the kernel
 * there has KASAN, so a write that wakes the stopped monitor's freed task
 * is a report on the console, which fails the run.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

static const char period_path[] = "/sys/module/xen_slab_cache/parameters/monitor_period_ms";

static int probe_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;
	struct file *f;
	loff_t pos = 0;
	ssize_t ret;

	if (action != MODULE_STATE_GOING || strcmp(mod->name, "xen_slab_cache"))
		return NOTIFY_DONE;
	/* The stopped thread's task is freed after a grace period. */
	msleep(200);
	rcu_barrier();
	f = filp_open(period_path, O_WRONLY, 0);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
	} else {
		ret = kernel_write(f, "100", 3, &pos);
		filp_close(f, NULL);
	}
	pr_info("XSC-TEST: %s period-write-while-unloading %zd\n", ret == 3 ? "ok" : "not ok", ret);
	return NOTIFY_OK;
}

static struct notifier_block probe_nb = {
	.notifier_call = probe_notify,
};

static int __init probe_init(void)
{
	return register_module_notifier(&probe_nb);
}

static void __exit probe_exit(void)
{
	unregister_module_notifier(&probe_nb);
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_DESCRIPTION("Writes xen_slab_cache's monitor period while it unloads (KUnit guest)");
MODULE_LICENSE("GPL");
