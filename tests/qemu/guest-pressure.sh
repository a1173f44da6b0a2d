# Runs in a small plain guest after /init loaded xen_slab_cache.ko and
# xsc_pressure.ko, which grew a cache, put the guest under memory pressure
# and printed its own XSC-TEST lines.  The cache is now idle: the shrinker,
# called over and over (drop_caches runs every shrinker), must do no work.
# XSC_TEST_PREFIX, if set, starts every result name (tests/domu/domu-test.sh).
t() { if eval "$2"; then echo "XSC-TEST: ok ${XSC_TEST_PREFIX:-}$1"; else echo "XSC-TEST: not ok ${XSC_TEST_PREFIX:-}$1"; fi; }
line() { grep '^pressure-buffers: ' /sys/kernel/debug/xen_slab_cache/caches; }

# No monitor pass in between (setting the period runs one pass now).
echo 3600000 >/sys/module/xen_slab_cache/parameters/monitor_period_ms
sleep 1
echo 2 >/proc/sys/vm/drop_caches
first=$(line)
echo "$first"
i=0
while [ $i -lt 50 ]; do
	echo 2 >/proc/sys/vm/drop_caches
	i=$((i + 1))
done
again=$(line)
echo "$again"
t idle-shrinker-does-nothing '[ -n "$first" ] && [ "$first" = "$again" ]'
count=$(echo "$again" | sed -n 's/.*Count = \([0-9]*\),.*/\1/p')
t reservation-kept-by-shrinker '[ "${count:-0}" -ge 1024 ]'
t unload 'rmmod xsc_pressure && rmmod xen_slab_cache'
