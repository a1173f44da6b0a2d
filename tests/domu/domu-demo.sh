# make demo's domU part: runs as /test.sh in an xl-started domU (tests/domu/
# run.sh --demo) after /init loaded xen_slab_cache.ko and xsc_smoke.ko:
# drives the smoke module's cache of page-sized rx-buffer-like objects and
# prints every cache's statistics from inside the guest once a second; then
# puts the domU's network on the vif frontend (xen_slab_vif, served by the
# stock xen-netback in dom0), pings dom0, downloads 20 MiB from it and shows
# the frontend's caches and counters.
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

. /domu/vif-lib.sh
demo() { echo "XSC-DEMO: domU t=${1}s $2"; }
insmod /domu/xen_slab_netfront.ko && insmod /domu/xen_slab_vif.ko ||
	{ echo "XSC-TEST: not ok demo-domu-vif"; exit 1; }
n=0
while [ -z "$(vif_devices)" ] || [ "$(xenstore read device/vif/0/state 2>/dev/null)" != 4 ]; do
	[ $n -lt 300 ] || break
	sleep 0.2
	n=$((n + 1))
done
set -- $(vif_devices)
vif=$2
demo 6 "network on xen_slab_vif: $1 is $vif, $(dmesg | grep "xen_slab_vif $1: connected" | tail -n 1 | sed 's/^.*: connected/connected/')"
ip addr add 10.9.0.2/24 dev "$vif"
ip link set "$vif" up
ping -c 5 -i 0.2 -W 5 10.9.0.1 >/tmp/ping.txt 2>&1
demo 7 "ping dom0: $(grep 'packet loss' /tmp/ping.txt)"
t0=$(cut -d' ' -f1 /proc/uptime)
got=$(wget -q -O - http://10.9.0.1:8080/data | md5sum | cut -d' ' -f1)
t1=$(cut -d' ' -f1 /proc/uptime)
want=$(wget -q -O - http://10.9.0.1:8080/data.md5 | cut -d' ' -f1)
demo 8 "20 MiB from dom0 in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s, md5 $got (dom0's: $want)"
grep "^vif-" /sys/kernel/debug/xen_slab_cache/caches | sed "s/^/XSC-DEMO: domU t=9s /"
sed "s/^/XSC-DEMO: domU t=9s $1 /" /sys/kernel/debug/xen_slab_vif/$1
xenstore write data/xsc-demo/t 9
[ -n "$got" ] && [ "$got" = "$want" ] && grep -q ' 0% packet loss' /tmp/ping.txt &&
	echo "XSC-TEST: ok demo-domu-vif" || echo "XSC-TEST: not ok demo-domu-vif"
echo "$1" >/sys/bus/xen/drivers/xen_slab_vif/unbind
rmmod xen_slab_vif && rmmod xen_slab_netfront
rmmod xen_slab_cache && echo "XSC-TEST: ok demo-domu-unload"
