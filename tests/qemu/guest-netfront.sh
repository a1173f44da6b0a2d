# Runs inside a Xen dom0 (PV or PVH) after /init loaded xen_slab_cache.ko and
# xen_slab_netfront.ko: pushes /netfront/packets rx packets per grant mode
# through the loopback backend (xsn_loopback.ko prints XSN-RESULT and
# XSC-TEST lines), then unloads everything and checks nothing is left.
# /netfront/guest-type holds the expected dom0 type: PV or PVH.
t() { if eval "$2"; then echo "XSC-TEST: ok $1"; else echo "XSC-TEST: not ok $1"; fi; }

t hypervisor-is-xen '[ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]'
expect=$(cat /netfront/guest-type)
echo "XSC-NETFRONT: dom0 guest type: $(cat /sys/hypervisor/guest_type 2>/dev/null)"
t "dom0-is-$expect" '[ "$(cat /sys/hypervisor/guest_type 2>/dev/null)" = "$expect" ]'
t loopback-run "insmod /netfront/xsn_loopback.ko packets=$(cat /netfront/packets)"
t unload-loopback 'rmmod xsn_loopback'
t unload-netfront 'rmmod xen_slab_netfront'
t no-netfront-caches-left '! grep -q "^xsn-" /sys/kernel/debug/xen_slab_cache/caches'
t unload-cache-module 'rmmod xen_slab_cache'
