// SPDX-License-Identifier: GPL-2.0
/*
 * xen_slab_cache module glue: the list of caches, the monitor thread, the
 * shrinker, CPU hotplug, debugfs, module parameters and the exports.
 */
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/wait.h>

#include <xen_slab_cache.h>

#include "xsc_core.h"
#include "xsc_platform.h"

static unsigned int monitor_period_ms = 5000;
static int monitor_period_set(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops monitor_period_ops = {
	.set = monitor_period_set,
	.get = param_get_uint,
};
module_param_cb(monitor_period_ms, &monitor_period_ops, &monitor_period_ms, 0644);
MODULE_PARM_DESC(monitor_period_ms, "Monitor pass period in milliseconds (10 .. 3600000, default 5000)");

static bool strict_puts;
module_param(strict_puts, bool, 0644);
MODULE_PARM_DESC(strict_puts,
		 "Caches created while set bypass the per-CPU magazines, so that every double put is caught (slow; for debugging)");

int xsc_strict_puts(void)
{
	return READ_ONCE(strict_puts);
}

struct xsc_entry {
	struct list_head node;
	struct xen_slab_cache *cache;
	/* The module that created it (NULL: built-in code). */
	struct module *owner;
	/* Code addresses of its callbacks (0 when absent). */
	unsigned long code[4];
	/* The monitor is trimming the cache without xsc_caches_lock. */
	bool pinned;
	/* Being destroyed: the monitor skips it. */
	bool dying;
};

/*
 * Guards xsc_caches and the entries' flags; held across a CPU's drain and
 * the shrinker's calls, but not across a monitor pass: the monitor pins
 * one cache at a time and trims it unlocked, so that reclaim (which only
 * trylocks) is not shut out while destructors run.  Destroy waits for the
 * pin to go (xsc_unpinned).
 */
static DEFINE_MUTEX(xsc_caches_lock);
static DECLARE_WAIT_QUEUE_HEAD(xsc_unpinned);
static LIST_HEAD(xsc_caches);
static struct task_struct *xsc_monitor;
static struct dentry *xsc_debugfs_dir;
static enum cpuhp_state xsc_cpuhp_state;

static int monitor_period_set(const char *val, const struct kernel_param *kp)
{
	unsigned int period;
	int ret = kstrtouint(val, 0, &period);

	if (ret)
		return ret;
	if (period < 10 || period > 3600000)
		return -EINVAL;
	WRITE_ONCE(monitor_period_ms, period);
	/*
	 * Writes through sysfs hold kernel_param_lock(), under which init
	 * publishes the monitor and exit takes it away before stopping it.
	 * At load time (parse_args) there is no monitor yet.
	 */
	if (xsc_monitor)
		wake_up_process(xsc_monitor);
	return 0;
}

int xsc_registry_add(struct xen_slab_cache *cache)
{
	struct xsc_entry *entry = kzalloc(sizeof(*entry), GFP_KERNEL);

	if (!entry)
		return -ENOMEM;
	entry->cache = cache;
	mutex_lock(&xsc_caches_lock);
	list_add_tail(&entry->node, &xsc_caches);
	mutex_unlock(&xsc_caches_lock);
	return 0;
}

void xsc_registry_remove(struct xen_slab_cache *cache)
{
	struct xsc_entry *entry;

	mutex_lock(&xsc_caches_lock);
	list_for_each_entry(entry, &xsc_caches, node) {
		if (entry->cache != cache)
			continue;
		/* A monitor pass may be trimming it: wait until it is done. */
		entry->dying = true;
		while (entry->pinned) {
			mutex_unlock(&xsc_caches_lock);
			wait_event(xsc_unpinned, !READ_ONCE(entry->pinned));
			mutex_lock(&xsc_caches_lock);
		}
		list_del(&entry->node);
		kfree(entry);
		break;
	}
	mutex_unlock(&xsc_caches_lock);
}

void xsc_registry_set_creator(struct xen_slab_cache *cache, const struct xen_slab_cache_args *args,
			      struct module *owner)
{
	struct xsc_entry *entry;

	mutex_lock(&xsc_caches_lock);
	list_for_each_entry(entry, &xsc_caches, node) {
		if (entry->cache != cache)
			continue;
		entry->owner = owner;
		entry->code[0] = (unsigned long)args->ctor;
		entry->code[1] = (unsigned long)args->dtor;
		entry->code[2] = (unsigned long)args->acquire_lock;
		entry->code[3] = (unsigned long)args->release_lock;
	}
	mutex_unlock(&xsc_caches_lock);
}

static bool xsc_owned_by(const struct xsc_entry *entry, const struct module *mod)
{
	int i;

	if (entry->owner == mod)
		return true;
	for (i = 0; i < ARRAY_SIZE(entry->code); i++) {
		if (entry->code[i] && within_module(entry->code[i], mod))
			return true;
	}
	return false;
}

/*
 * A module going away (unloaded, or its init failed) must have destroyed the
 * caches it created or gave callbacks to: the callbacks are about to vanish
 * with it.  Destroy what it left, with a warning, while its code is still
 * there for the dtors.
 */
static int xsc_module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;
	struct xen_slab_cache *cache;
	struct xsc_entry *entry;

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	for (;;) {
		cache = NULL;
		mutex_lock(&xsc_caches_lock);
		list_for_each_entry(entry, &xsc_caches, node) {
			if (xsc_owned_by(entry, mod)) {
				cache = entry->cache;
				break;
			}
		}
		mutex_unlock(&xsc_caches_lock);
		if (!cache)
			return NOTIFY_OK;
		WARN(1, "xen_slab_cache %s: not destroyed by module %s, destroying it now\n",
		     xsc_cache_name(cache), mod->name);
		xen_slab_cache_destroy(cache);
	}
}

static struct notifier_block xsc_module_nb = {
	.notifier_call = xsc_module_notify,
};

/*
 * One pass over every cache, one pinned cache at a time: the pinned entry
 * stays on the list (destroy waits for the pin), so the walk goes on from
 * it once the list lock is taken again.
 */
static void xsc_monitor_pass(void)
{
	struct xsc_entry *entry;

	mutex_lock(&xsc_caches_lock);
	list_for_each_entry(entry, &xsc_caches, node) {
		if (entry->dying)
			continue;
		entry->pinned = true;
		mutex_unlock(&xsc_caches_lock);
		xen_slab_cache_trim(entry->cache);
		cond_resched();
		mutex_lock(&xsc_caches_lock);
		WRITE_ONCE(entry->pinned, false);
		if (entry->dying)
			wake_up_all(&xsc_unpinned);
	}
	mutex_unlock(&xsc_caches_lock);
}

static int xsc_monitor_fn(void *unused)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_timeout(msecs_to_jiffies(READ_ONCE(monitor_period_ms)));
		if (kthread_should_stop())
			break;
		xsc_monitor_pass();
	}
	return 0;
}

/* Reclaim must not wait for a monitor pass or a cache being created. */
static unsigned long xsc_shrink_count(struct shrinker *shrinker, struct shrink_control *sc)
{
	struct xsc_entry *entry;
	unsigned long count = 0;

	if (!mutex_trylock(&xsc_caches_lock))
		return 0;
	list_for_each_entry(entry, &xsc_caches, node)
		count += xsc_cache_shrink_count(entry->cache);
	mutex_unlock(&xsc_caches_lock);
	return count ? count : SHRINK_EMPTY;
}

static unsigned long xsc_shrink_scan(struct shrinker *shrinker, struct shrink_control *sc)
{
	struct xsc_entry *entry;
	unsigned long freed = 0;

	if (!mutex_trylock(&xsc_caches_lock))
		return SHRINK_STOP;
	list_for_each_entry(entry, &xsc_caches, node) {
		if (freed >= sc->nr_to_scan)
			break;
		freed += xsc_cache_shrink_scan(entry->cache, sc->nr_to_scan - freed);
	}
	mutex_unlock(&xsc_caches_lock);
	return freed ? freed : SHRINK_STOP;
}

/* The shrinker is allocated by shrinker_alloc() since 6.7, static before. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static struct shrinker *xsc_shrinker;

static int xsc_shrinker_register(void)
{
	xsc_shrinker = shrinker_alloc(0, "xen_slab_cache");
	if (!xsc_shrinker)
		return -ENOMEM;
	xsc_shrinker->count_objects = xsc_shrink_count;
	xsc_shrinker->scan_objects = xsc_shrink_scan;
	xsc_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(xsc_shrinker);
	return 0;
}

static void xsc_shrinker_unregister(void)
{
	shrinker_free(xsc_shrinker);
}
#else
static struct shrinker xsc_shrinker = {
	.count_objects = xsc_shrink_count,
	.scan_objects = xsc_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int xsc_shrinker_register(void)
{
	return register_shrinker(&xsc_shrinker, "xen_slab_cache");
}

static void xsc_shrinker_unregister(void)
{
	unregister_shrinker(&xsc_shrinker);
}
#endif

/* The CPU is gone: what its magazines held goes back to the slabs. */
static int xsc_cpu_dead(unsigned int cpu)
{
	struct xsc_entry *entry;

	mutex_lock(&xsc_caches_lock);
	list_for_each_entry(entry, &xsc_caches, node)
		xsc_cache_cpu_dead(entry->cache, cpu);
	mutex_unlock(&xsc_caches_lock);
	return 0;
}

static const char *const xsc_policy_names[] = {
	[XEN_SLAB_CACHE_POLICY_DEFAULT] = "default",
	[XEN_SLAB_CACHE_POLICY_2019] = "2019",
	[XEN_SLAB_CACHE_POLICY_PRE2019] = "pre-2019",
	[XEN_SLAB_CACHE_POLICY_NO_MAGAZINES] = "no-magazines",
};

static int xsc_caches_show(struct seq_file *m, void *unused)
{
	struct xen_slab_cache_stats s;
	struct xsc_entry *entry;

	mutex_lock(&xsc_caches_lock);
	list_for_each_entry(entry, &xsc_caches, node) {
		xen_slab_cache_get_stats(entry->cache, &s);
		seq_printf(m,
			   "%s: Count = %llu, Reservation = %llu, Objects = %llu / %llu, Slabs = %llu / %llu, Cap = %llu, Pages = %llu, Slab = %llu x order %llu, Ctor = %llu (%llu failed), Dtor = %llu, Get = %llu fast / %llu slow (%llu failed), Put = %llu fast / %llu slow (%llu refused), Depot = %llu full / %llu empty, Cached = %llu, Policy = %s\n",
			   xsc_cache_name(entry->cache), s.count, s.reservation, s.in_use,
			   s.in_use_max, s.slabs, s.slabs_max, s.cap, s.pages, s.slab_objects,
			   s.slab_order, s.ctor_calls, s.ctor_failures, s.dtor_calls, s.get_fast,
			   s.get_slow, s.get_failures, s.put_fast, s.put_slow, s.bad_puts,
			   s.depot_full, s.depot_empty, s.cached,
			   s.policy < ARRAY_SIZE(xsc_policy_names) ? xsc_policy_names[s.policy] : "?");
	}
	mutex_unlock(&xsc_caches_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xsc_caches);

static int __init xsc_init(void)
{
	struct task_struct *monitor;
	int ret;

	xsc_shim_init();
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "xen_slab_cache:dead", NULL,
					xsc_cpu_dead);
	if (ret < 0)
		return ret;
	xsc_cpuhp_state = ret;

	ret = xsc_shrinker_register();
	if (ret)
		goto err_cpuhp;

	ret = register_module_notifier(&xsc_module_nb);
	if (ret)
		goto err_shrinker;

	monitor = kthread_run(xsc_monitor_fn, NULL, "xen_slab_monitor");
	if (IS_ERR(monitor)) {
		ret = PTR_ERR(monitor);
		goto err_notifier;
	}
	kernel_param_lock(THIS_MODULE);
	xsc_monitor = monitor;
	kernel_param_unlock(THIS_MODULE);

	xsc_debugfs_dir = debugfs_create_dir("xen_slab_cache", NULL);
	debugfs_create_file("caches", 0444, xsc_debugfs_dir, NULL, &xsc_caches_fops);
	return 0;

err_notifier:
	unregister_module_notifier(&xsc_module_nb);
err_shrinker:
	xsc_shrinker_unregister();
err_cpuhp:
	cpuhp_remove_state_nocalls(xsc_cpuhp_state);
	return ret;
}

static void __exit xsc_exit(void)
{
	struct task_struct *monitor;

	debugfs_remove_recursive(xsc_debugfs_dir);
	/* The parameter's setter may run until the module's sysfs is gone. */
	kernel_param_lock(THIS_MODULE);
	monitor = xsc_monitor;
	xsc_monitor = NULL;
	kernel_param_unlock(THIS_MODULE);
	kthread_stop(monitor);
	unregister_module_notifier(&xsc_module_nb);
	xsc_shrinker_unregister();
	cpuhp_remove_state_nocalls(xsc_cpuhp_state);
}

module_init(xsc_init);
module_exit(xsc_exit);

EXPORT_SYMBOL_GPL(xen_slab_cache_create_owned);
EXPORT_SYMBOL_GPL(xen_slab_cache_destroy);
EXPORT_SYMBOL_GPL(xen_slab_cache_get);
EXPORT_SYMBOL_GPL(xen_slab_cache_put);
EXPORT_SYMBOL_GPL(xen_slab_cache_get_direct);
EXPORT_SYMBOL_GPL(xen_slab_cache_put_direct);
EXPORT_SYMBOL_GPL(xen_slab_cache_get_bulk);
EXPORT_SYMBOL_GPL(xen_slab_cache_put_bulk);
EXPORT_SYMBOL_GPL(xen_slab_cache_trim);
EXPORT_SYMBOL_GPL(xen_slab_cache_purge);
EXPORT_SYMBOL_GPL(xen_slab_cache_audit);
EXPORT_SYMBOL_GPL(xen_slab_cache_get_stats);

MODULE_DESCRIPTION("Cache of constructed objects for Xen drivers (port of the Xen PV drivers' XENBUS_CACHE)");
MODULE_LICENSE("GPL");
