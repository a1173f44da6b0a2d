# make demo's domU part: runs as /test.sh in an xl-started domU (tests/domu/
# run.sh --demo) after /init loaded xen_slab_cache.ko and xsc_smoke.ko:
# drives the smoke module's cache of page-sized rx-buffer-like objects and
# prints every cache's statistics from inside the guest once a second.
echo "XSC-DEMO: domU: a $(cat /sys/hypervisor/guest_type 2>/dev/null) guest, domain $(xenstore read domid 2>/dev/null), Linux $(uname -r), hypervisor $(cat /sys/hypervisor/type 2>/dev/null)"
echo 1000 >/sys/module/xen_slab_cache/parameters/monitor_period_ms
rmmod xsc_smoke
insmod /modules/xsc_smoke.ko traffic=1 || { echo "XSC-TEST: not ok demo-domu-traffic"; exit 1; }
for second in 1 2 3 4 5; do
	sleep 1
	sed "s/^/XSC-DEMO: domU t=${second}s /" /sys/kernel/debug/xen_slab_cache/caches
	# dom0 prints `xl list` when it sees this (tests/domu/dom0-test.sh).
	xenstore write data/xsc-demo/t "$second"
done
rmmod xsc_smoke && echo "XSC-TEST: ok demo-domu-traffic"
rmmod xen_slab_cache && echo "XSC-TEST: ok demo-domu-unload"
