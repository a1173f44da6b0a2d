// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug with full magazines, driven from outside the module: fills
 * one CPU's magazines on request and reports what the cache holds, so that
 * a guest script (tests/domu/domu-test.sh) can take that CPU away -- with
 * `xl vcpu-set` from dom0, or through sysfs -- and check that the objects
 * came back to the slabs.
 *
 * Parameters (/sys/module/xsc_cpufill/parameters/):
 *   objects  objects a fill gets and puts back on the CPU (load time only)
 *   fill     write a CPU number: fill that CPU's magazines; prints an
 *            XSC-TEST line named cpufill.fill<K>-cpu<N> (K: 1, 2, ...)
 *   cached   read: free objects held in magazines and the depot
 *   audit    read: xen_slab_cache_audit() of the cache (0: consistent)
 *
 * The cache is destroyed at unload; its destructor count must equal its
 * constructor count (XSC-TEST cpufill.destroy-balanced).
 */
#include <linux/cpu.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <xen_slab_cache.h>

#define XSC_CPUFILL_MAX 64

static unsigned int objects = 40;
module_param(objects, uint, 0444);
MODULE_PARM_DESC(objects, "Objects one fill gets and puts back on the CPU (at most 64)");

static struct xen_slab_cache *cache;
static atomic_t ctors, dtors, fills;

static int count_ctor(void *arg, void *object)
{
	atomic_inc(&ctors);
	return 0;
}

static void count_dtor(void *arg, void *object)
{
	atomic_inc(&dtors);
}

struct fill_work {
	struct work_struct work;
	unsigned int got;
};

static void fill_fn(struct work_struct *work)
{
	struct fill_work *w = container_of(work, struct fill_work, work);
	void *objs[XSC_CPUFILL_MAX];

	w->got = xen_slab_cache_get_bulk(cache, objs, objects, false);
	xen_slab_cache_put_bulk(cache, objs, w->got, false);
}

static u64 cached_now(void)
{
	struct xen_slab_cache_stats s;

	xen_slab_cache_get_stats(cache, &s);
	return s.cached;
}

static int fill_set(const char *val, const struct kernel_param *kp)
{
	struct fill_work w = { .got = 0 };
	u64 before, after;
	unsigned int cpu;
	bool ok;
	int err;

	err = kstrtouint(val, 0, &cpu);
	if (err)
		return err;
	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	cpus_read_lock();
	if (!cpu_online(cpu)) {
		cpus_read_unlock();
		return -ENODEV;
	}
	before = cached_now();
	INIT_WORK_ONSTACK(&w.work, fill_fn);
	schedule_work_on(cpu, &w.work);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	after = cached_now();
	cpus_read_unlock();
	ok = w.got == objects && after >= before + objects;
	pr_info("XSC-TEST: %s cpufill.fill%d-cpu%u # got %u of %u, cached %llu -> %llu\n",
		ok ? "ok" : "not ok", atomic_inc_return(&fills), cpu, w.got, objects,
		before, after);
	return ok ? 0 : -EIO;
}

static const struct kernel_param_ops fill_ops = { .set = fill_set };
module_param_cb(fill, &fill_ops, NULL, 0200);
MODULE_PARM_DESC(fill, "Write a CPU number: fill that CPU's magazines");

static int cached_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", cached_now());
}

static const struct kernel_param_ops cached_ops = { .get = cached_get };
module_param_cb(cached, &cached_ops, NULL, 0444);
MODULE_PARM_DESC(cached, "Free objects held in magazines and the depot");

static int audit_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", xen_slab_cache_audit(cache));
}

static const struct kernel_param_ops audit_ops = { .get = audit_get };
module_param_cb(audit, &audit_ops, NULL, 0444);
MODULE_PARM_DESC(audit, "The cache's audit result (0: consistent)");

static int __init xsc_cpufill_init(void)
{
	struct xen_slab_cache_args args = {
		.size = 256, .reservation = 0,
		.ctor = count_ctor, .dtor = count_dtor,
	};

	if (!objects || objects > XSC_CPUFILL_MAX)
		return -EINVAL;
	cache = xen_slab_cache_create("cpufill-buffers", &args);
	return PTR_ERR_OR_ZERO(cache);
}

static void __exit xsc_cpufill_exit(void)
{
	xen_slab_cache_destroy(cache);
	pr_info("XSC-TEST: %s cpufill.destroy-balanced # %d constructed, %d destroyed\n",
		atomic_read(&ctors) == atomic_read(&dtors) ? "ok" : "not ok",
		atomic_read(&ctors), atomic_read(&dtors));
}

module_init(xsc_cpufill_init);
module_exit(xsc_cpufill_exit);
MODULE_DESCRIPTION("xen_slab_cache test: fill a CPU's magazines for a hotplug check");
MODULE_LICENSE("GPL");
