# Runs inside the demo guest (Xen PV dom0): starts traffic on a cache of
# page-sized rx-buffer-like objects and prints every cache's statistics
# once a second; then the same for the netfront example: rx traffic through
# xen_slab_netfront and its loopback backend (persistent grants), whose
# buffer and request caches show up as xsn-demo-rx-buffers/-rx-requests.
echo "XSC-DEMO: hypervisor: $(cat /sys/hypervisor/type 2>/dev/null || echo none)"
echo 1000 > /sys/module/xen_slab_cache/parameters/monitor_period_ms
insmod /demo/xsc_smoke.ko traffic=1 || { echo "XSC-TEST: not ok demo-traffic"; exit 1; }
for second in 1 2 3 4 5 6; do
	sleep 1
	sed "s/^/XSC-DEMO: t=${second}s /" /sys/kernel/debug/xen_slab_cache/caches
done
rmmod xsc_smoke && echo "XSC-TEST: ok demo-traffic"

insmod /demo/xsn_loopback.ko demo_seconds=9 || { echo "XSC-TEST: not ok demo-netfront"; exit 1; }
for second in 1 2 3 4 5 6; do
	sleep 1
	grep '^xsn-demo' /sys/kernel/debug/xen_slab_cache/caches | sed "s/^/XSC-DEMO: netfront t=${second}s /"
done
sleep 1
rmmod xsn_loopback && echo "XSC-TEST: ok demo-netfront"
rmmod xen_slab_netfront && echo "XSC-TEST: ok demo-netfront-unload"
rmmod xen_slab_cache && echo "XSC-TEST: ok demo-unload"
