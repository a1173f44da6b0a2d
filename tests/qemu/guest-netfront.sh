# Runs inside a Xen dom0 (PV or PVH) or domU after /init loaded xen_slab_cache.ko and
# xen_slab_netfront.ko: pushes /netfront/packets rx packets per grant mode
# through the loopback backend (xsn_loopback.ko prints XSN-RESULT and
# XSC-TEST lines), then unloads everything and checks nothing is left.
# /netfront/guest-type holds the expected guest type: PV, PVH or HVM.
# XSC_TEST_PREFIX, if set, starts every result name (tests/domu/domu-test.sh).
t() { if eval "$2"; then echo "XSC-TEST: ok ${XSC_TEST_PREFIX:-}$1"; else echo "XSC-TEST: not ok ${XSC_TEST_PREFIX:-}$1"; fi; }

t hypervisor-is-xen '[ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]'
expect=$(cat /netfront/guest-type)
echo "XSC-NETFRONT: guest type: $(cat /sys/hypervisor/guest_type 2>/dev/null)"
t "guest-is-$expect" '[ "$(cat /sys/hypervisor/guest_type 2>/dev/null)" = "$expect" ]'
t loopback-run "insmod /netfront/xsn_loopback.ko packets=$(cat /netfront/packets)"
t unload-loopback 'rmmod xsn_loopback'
t unload-netfront 'rmmod xen_slab_netfront'
t no-netfront-caches-left '! grep -q "^xsn-" /sys/kernel/debug/xen_slab_cache/caches'
t unload-cache-module 'rmmod xen_slab_cache'
