# Runs inside a test guest after /init loaded xen_slab_cache.ko and
# xsc_smoke.ko (whose checks printed their own XSC-TEST lines).
# /expect-hypervisor holds "xen" or "none".
# XSC_TEST_PREFIX, if set, starts every result name (tests/domu/domu-test.sh).
t() { if eval "$2"; then echo "XSC-TEST: ok ${XSC_TEST_PREFIX:-}$1"; else echo "XSC-TEST: not ok ${XSC_TEST_PREFIX:-}$1"; fi; }

expect=$(cat /expect-hypervisor)
if [ "$expect" = xen ]; then
	t hypervisor-is-xen '[ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]'
else
	t no-hypervisor '[ "$(cat /sys/hypervisor/type 2>/dev/null)" != xen ]'
fi
# The kernel keeps 15 characters of a task name: "xen_slab_monito".
t monitor-thread-runs 'grep -q "^xen_slab_monito" /proc/[0-9]*/comm'
t debugfs-lists-caches '[ -r /sys/kernel/debug/xen_slab_cache/caches ]'
t monitor-period-rejects-0 '! echo 0 > /sys/module/xen_slab_cache/parameters/monitor_period_ms 2>/dev/null'
t monitor-period-accepts-50 'echo 50 > /sys/module/xen_slab_cache/parameters/monitor_period_ms'
sleep 1
# The benchmark module, when the image has it (plain guest only), with tiny
# counts: it loads, and prints one valid row per workload and allocator.
# Its timings mean nothing here and are not checked.
if [ -f /bench/xsc_bench.ko ]; then
	t bench-smoke-loads 'insmod /bench/xsc_bench.ko iters=64 reps=5 deep_objects=64 pc_objects=256'
	allocs=$(dmesg | sed -n 's/.*XSC-BENCH: size=[0-9]* .* allocators=\([0-9]*\)$/\1/p' | awk '{ n += $1 } END { print n + 0 }')
	rows=$(dmesg | grep -c 'XSC-BENCH: row .* valid=1 ')
	t bench-smoke-table '[ "$allocs" -gt 0 ] && [ "$rows" -eq $((allocs * 5)) ] && ! dmesg | grep -q "XSC-BENCH: .*valid=0" && dmesg | grep -q "XSC-BENCH: end .* status=0"'
	t bench-smoke-unloads 'rmmod xsc_bench'
fi
t unload-user 'rmmod xsc_smoke'
# With traffic, the smoke module keeps a cache busy: its debugfs line starts
# like the original's debug line and goes on with the other counters.
t traffic-loads 'insmod /modules/xsc_smoke.ko traffic=1'
sleep 1
line=$(grep '^demo-rx-buffers: ' /sys/kernel/debug/xen_slab_cache/caches)
echo "$line"
t debugfs-line-format 'echo "$line" | grep -qE "^demo-rx-buffers: Count = [0-9]+, Reservation = 64, Objects = [0-9]+ / [1-9][0-9]*, Slabs = [1-9][0-9]* / [1-9][0-9]*, Cap = 0, .*Get = [1-9][0-9]* fast / [0-9]+ slow"'
# Module lifetime: a user module pins the cache module; a user that leaves
# objects outstanding, or forgets its cache, gets one WARN and the system
# goes on.
t cache-module-pinned-by-user '! rmmod xen_slab_cache 2>/tmp/rmmod.err && cat /tmp/rmmod.err && grep -qiE "unavailable|in use|busy" /tmp/rmmod.err'
t traffic-unloads 'rmmod xsc_smoke'
t leaky-user-loads 'insmod /modules/xsc_smoke.ko traffic=1 leak=1'
echo "XSC-EXPECT: WARN xen_slab_cache demo-rx-buffers: destroyed with objects in use, leaking their slabs (3)" >/dev/kmsg
t leaky-user-unloads 'rmmod xsc_smoke'
t forgetful-user-loads 'insmod /modules/xsc_smoke.ko traffic=1 forget=1'
t forgotten-caches-listed 'grep -q "^demo-rx-buffers: " /sys/kernel/debug/xen_slab_cache/caches && grep -q "^smoke-forgotten: " /sys/kernel/debug/xen_slab_cache/caches'
echo "XSC-EXPECT: WARN xen_slab_cache demo-rx-buffers: not destroyed by module xsc_smoke" >/dev/kmsg
# No callbacks, created through a tail call: known by its creator only.
echo "XSC-EXPECT: WARN xen_slab_cache smoke-forgotten: not destroyed by module xsc_smoke" >/dev/kmsg
t forgetful-user-unloads 'rmmod xsc_smoke'
t forgotten-cache-destroyed '! grep -q "^demo-rx-buffers: " /sys/kernel/debug/xen_slab_cache/caches'
t forgotten-tail-created-cache-destroyed '! grep -q "^smoke-forgotten: " /sys/kernel/debug/xen_slab_cache/caches'
t user-reloads-after-misuse 'insmod /modules/xsc_smoke.ko && rmmod xsc_smoke'
t unload-cache-module 'rmmod xen_slab_cache'
t reload-cache-module 'insmod /modules/xen_slab_cache.ko && rmmod xen_slab_cache'
