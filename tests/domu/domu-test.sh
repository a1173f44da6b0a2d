# Runs as /test.sh inside an unprivileged guest (a domU that dom0 started
# with `xl create`), after /init loaded xen_slab_cache.ko and xsc_smoke.ko
# (whose checks printed their own XSC-TEST lines).  In order:
#   1. the hypervisor and the guest type (/domu/guest-type: PV, PVH or HVM);
#   2. the stock xen-netfront against the stock xen-netback in dom0: ping
#      and a download checked against dom0's md5; then this project's vif
#      frontend (xen_slab_vif) takes the device over: per grant mode (kept,
#      then per-request; PV and HVM domUs) ping both ways and 20 MiB each way
#      with md5 at both ends, switched by `xl network-detach` and
#      `network-attach` in dom0;
#      a PV domU is saved and restored by dom0 (`xl save`, `xl restore`) in
#      the kept mode and moves the same data again;
#   3. the insmod smoke checks of the dom0 steps (tests/qemu/guest-insmod.sh);
#   4. the netfront example's loopback run (tests/qemu/guest-netfront.sh),
#      on the domain's real id;
#   5. the shrinker under memory pressure (tests/qemu/guest-pressure.sh);
#   6. CPU hotplug with full magazines: `xl vcpu-set` from dom0 (PV, PVH;
#      asked for through xenstore) or sysfs (HVM), xsc_cpufill.ko;
#   7. grants across domains (xsc_xgrant.ko, dom0 maps them through gntdev).
# dom0 (tests/domu/dom0-test.sh) answers the requests of 2, 6 and 7; the
# xenstore nodes are under this domain's data/ directory.
t() { if eval "$2"; then echo "XSC-TEST: ok $1"; else echo "XSC-TEST: not ok $1"; fi; }
# sub SCRIPT PREFIX: run one of the dom0 steps' guest scripts; its own
# results get PREFIX (the modules' lines already carry theirs).
sub() { XSC_TEST_PREFIX=$2. sh "$1"; }
up() { cut -d' ' -f1 /proc/uptime | cut -d. -f1; }
# wait_for SECONDS CONDITION: poll the condition every 0.2 s.
wait_for() {
	local deadline=$(($(up) + $1))
	until eval "$2"; do
		[ "$(up)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}
param=/sys/module/xen_slab_cache/parameters/monitor_period_ms

type=$(cat /domu/guest-type)
domid=$(xenstore read domid 2>/dev/null)
echo "XSC-DOMU: hypervisor=$(cat /sys/hypervisor/type 2>/dev/null) guest_type=$(cat /sys/hypervisor/guest_type 2>/dev/null) domid=$domid kernel=$(uname -r) cpus=$(grep -c '^processor' /proc/cpuinfo) uptime=$(cut -d' ' -f1 /proc/uptime)s"
t domu-hypervisor-is-xen '[ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]'
t "domu-guest-type-is-$type" '[ "$(cat /sys/hypervisor/guest_type 2>/dev/null)" = "$type" ]'
t domu-is-unprivileged '[ -n "$domid" ] && [ "$domid" -gt 0 ]'
if [ "$type" = HVM ]; then
	# 5853:0001, the Xen platform PCI device, bound to its driver.
	platform_pci() {
		for d in /sys/bus/pci/devices/*; do
			[ "$(cat $d/vendor):$(cat $d/device)" = 0x5853:0x0001 ] && [ -e $d/driver ] && return 0
		done
		return 1
	}
	t domu-xen-platform-pci platform_pci
fi

# 2. The stock frontend, loaded next to this project's modules.
t stock-netfront-loads 'insmod /domu/xen-netfront.ko'
t stock-netfront-eth0 'wait_for 20 "[ -d /sys/class/net/eth0 ]"'
ip link set lo up
ip addr add 10.9.0.2/24 dev eth0
ip link set eth0 up
t stock-netfront-ping 'ping -c 10 -i 0.2 -W 2 10.9.0.1 >/tmp/ping.txt 2>&1; cat /tmp/ping.txt | tail -n 2; grep -q " 0% packet loss" /tmp/ping.txt'
t stock-netfront-download 'timeout 120 wget -q -O /tmp/blob http://10.9.0.1:8080/blob && timeout 30 wget -q -O /tmp/blob.md5 http://10.9.0.1:8080/blob.md5 && echo "$(wc -c </tmp/blob) bytes" && [ "$(md5sum </tmp/blob | cut -d" " -f1)" = "$(cut -d" " -f1 /tmp/blob.md5)" ]'
rm -f /tmp/blob

# 2b. This project's vif frontend on the same device, against the same
# stock xen-netback.  ask CMD ARGS...: dom0 runs CMD (ping, fetch,
# reattach DEVID); its answer goes to $answer.
. /domu/vif-lib.sh
seq=0
ask() {
	seq=$((seq + 1))
	answer=''
	xenstore write data/xsc-vif/req "$seq $*"
	wait_for 240 '[ "$(xenstore read data/xsc-vif/ack 2>/dev/null | cut -d" " -f1)" = "$seq" ]' || return 1
	answer=$(xenstore read data/xsc-vif/ack | cut -d" " -f2-)
}
mb=20
have_vif() { [ -n "$(vif_devices)" ]; }
vif_state() { xenstore read "device/vif/${1#vif-}/state" 2>/dev/null; }
# vif_round MODE: the interface up, pings both ways, 20 MiB each way.
vif_round() {
	m=$1
	t "vif-$m-netdev" 'wait_for 60 have_vif'
	set -- $(vif_devices)
	vdev=$1 vif=$2
	t "vif-$m-connected" "wait_for 60 '[ \"\$(vif_state $vdev)\" = 4 ]'"
	dmesg | grep "xen_slab_vif $vdev: connected" | tail -n 1 | sed 's/^.*: connected/XSC-DOMU: vif connected/'
	ip addr add 10.9.0.2/24 dev "$vif" 2>/dev/null
	ip link set "$vif" up
	t "vif-$m-ping-to-dom0" 'ping -c 20 -i 0.2 -W 5 10.9.0.1 >/tmp/ping.txt 2>&1; tail -n 1 /tmp/ping.txt; grep -q " 0% packet loss" /tmp/ping.txt'
	t "vif-$m-ping-from-dom0" 'ask ping && [ "$answer" = 0 ]'
	t0=$(cut -d" " -f1 /proc/uptime)
	got=$(timeout 300 wget -q -O - http://10.9.0.1:8080/data | md5sum | cut -d" " -f1)
	t1=$(cut -d" " -f1 /proc/uptime)
	want=$(timeout 30 wget -q -O - http://10.9.0.1:8080/data.md5 | cut -d" " -f1)
	echo "XSC-DOMU: vif $m dom0-to-domU: $mb MiB in $(awk "BEGIN { printf \"%.1f s, %.2f MB/s\", $t1 - $t0, $mb * 1.048576 / ($t1 - $t0) }"), md5 dom0 $want domU $got"
	t "vif-$m-${mb}MiB-from-dom0" '[ -n "$got" ] && [ "$got" = "$want" ]'
	httpd -f -p 10.9.0.2:8080 -h /tmp/vifwww &
	hp=$!
	ask fetch
	kill $hp
	wait $hp 2>/dev/null
	dom0sum=${answer%% *}
	echo "XSC-DOMU: vif $m domU-to-dom0: $mb MiB in ${answer#* } s, md5 domU $sum dom0 ${dom0sum:-none}"
	t "vif-$m-${mb}MiB-to-dom0" '[ -n "$dom0sum" ] && [ "$dom0sum" = "$sum" ]'
	grep '^[rt]x ' "/sys/kernel/debug/xen_slab_vif/$vdev" | cut -d' ' -f1-7 | sed 's/^/XSC-DOMU: vif counters /'
	t "vif-$m-gso-both-ways" 'vif_gso "$vdev"'
	# BusyBox's ip has no -s: the netdev's counters from sysfs.
	echo "XSC-DOMU: $vif netdev $(for c in rx_packets rx_bytes tx_packets tx_bytes rx_dropped tx_dropped; do
		printf '%s=%s ' "$c" "$(cat "/sys/class/net/$vif/statistics/$c")"; done)"
}
vif_tests() {
	mkdir -p /tmp/vifwww
	head -c $((mb * 1048576)) /dev/urandom >/tmp/vifwww/data
	sum=$(md5sum </tmp/vifwww/data | cut -d" " -f1)
	# A xenbus driver's module stays pinned while it drives a device.
	t vif-stock-netfront-unbinds 'echo vif-0 >/sys/bus/xen/drivers/vif/unbind'
	t vif-stock-netfront-unloads 'rmmod xen-netfront'
	t vif-netfront-loads 'insmod /domu/xen_slab_netfront.ko'
	t vif-frontend-loads 'insmod /domu/xen_slab_vif.ko'
	vif_round kept
	if [ "$type" = PV ]; then
		# Saved and restored by dom0 while connected with kept grants: every
		# old reference is void afterwards, the frontend connects anew.
		t vif-save-restore 'ask saverestore && [ "$answer" = 0 ]'
		echo "XSC-DOMU: restored as domain $(xenstore read domid 2>/dev/null)"
		t vif-resume-returns-everything "vif_clean $vdev"
		vif_report "$vdev" | sed 's/^.*: disconnected/XSC-DOMU: vif disconnected/'
		vif_round kept-restored
	fi
	old=$vdev
	echo N >/sys/module/xen_slab_vif/parameters/persistent_grants
	t vif-reattach 'ask reattach ${old#vif-} && [ "$answer" = 0 ]'
	t vif-detached-returns-everything "vif_clean $old"
	vif_report "$old" | sed 's/^.*: disconnected/XSC-DOMU: vif disconnected/'
	vif_round per-request
	t vif-frontend-unbinds 'echo $vdev >/sys/bus/xen/drivers/xen_slab_vif/unbind'
	# On failure, who pinned it (seen once: EAGAIN right after the unbind).
	t vif-frontend-unloads 'rmmod xen_slab_vif || { echo "XSC-DOMU: xen_slab_vif refcnt $(cat /sys/module/xen_slab_vif/refcnt 2>&1), holders: $(ls /sys/module/xen_slab_vif/holders 2>&1 | tr "\n" " ")"; false; }'
	t vif-unbind-returns-everything "vif_clean $vdev"
	vif_report "$vdev" | sed 's/^.*: disconnected/XSC-DOMU: vif disconnected/'
	t vif-netfront-unloads 'rmmod xen_slab_netfront'
	rm -rf /tmp/vifwww
}
# In PV and HVM domUs; a PVH domU's vif and grant table are a PV domU's,
# and the step's time goes to the other guest types.
if [ "$type" = PVH ]; then
	echo "XSC-DOMU: vif frontend checks not run in a PVH domU (they run in the PV and HVM ones)"
else
	vif_tests
fi

# 3. The smoke checks of the dom0 steps; they unload the cache module.
sub /domu/insmod.sh insmod

# 4. The netfront example with its loopback backend, on this domain's id.
insmod /modules/xen_slab_cache.ko
insmod /domu/xen_slab_netfront.ko
sub /domu/netfront.sh netfront

# 5. Memory pressure: the guest is small (its config says how small).
insmod /modules/xen_slab_cache.ko
t pressure-loads 'insmod /domu/xsc_pressure.ko'
sub /domu/pressure.sh pressure

# 6. CPU 1 goes away while its magazines are full; no monitor pass meanwhile.
# A one-vCPU domU (see tests/domu/run.sh --vcpus) has no CPU 1 to take.
hotplug() {
echo 3600000 >$param
t cpufill-loads 'insmod /domu/xsc_cpufill.ko'
cached() { cat /sys/module/xsc_cpufill/parameters/cached; }
cpu1=/sys/devices/system/cpu/cpu1
t hotplug-cpu1-online '[ "$(cat $cpu1/online 2>/dev/null)" = 1 ]'
echo 1 >/sys/module/xsc_cpufill/parameters/fill
full=$(cached)
t hotplug-magazines-full "[ $full -ge 40 ] # cached=$full"
# vcpus: what to ask dom0 for; how: xl vcpu-set (PV, PVH) or sysfs (HVM,
# whose vCPU hotplug goes through the device model's ACPI).
set_vcpus() {
	if [ "$type" = HVM ]; then
		echo $(($1 - 1)) >$cpu1/online
	else
		xenstore write data/xsc-vcpu/want "$1"
	fi
}
how=xl-vcpu-set
[ "$type" = HVM ] && how=sysfs
set_vcpus 1
t "hotplug-cpu1-offline-by-$how" 'wait_for 60 "[ ! -e $cpu1/online ] || [ \"\$(cat $cpu1/online)\" = 0 ]"'
t hotplug-magazines-drained '[ "$(cached)" -eq $((full - 40)) ] # cached=$(cached)'
t hotplug-audit-clean '[ "$(cat /sys/module/xsc_cpufill/parameters/audit)" = 0 ]'
set_vcpus 2
wait_for 60 "[ -e $cpu1/online ]"
[ "$(cat $cpu1/online 2>/dev/null)" = 1 ] || echo 1 >$cpu1/online
t "hotplug-cpu1-back-by-$how" 'wait_for 30 "[ \"\$(cat $cpu1/online 2>/dev/null)\" = 1 ]"'
echo 1 >/sys/module/xsc_cpufill/parameters/fill
t cpufill-unloads 'rmmod xsc_cpufill'
t hotplug-unload-cache-module 'rmmod xen_slab_cache'
}
if [ -e /sys/devices/system/cpu/cpu1 ]; then
	insmod /modules/xen_slab_cache.ko
	hotplug
else
	echo "XSC-DOMU: CPU hotplug checks not run: this domU has one vCPU"
fi

# 7. Grants across domains: pages from a cache's constructor granted to
# dom0, which maps them, checks them, writes back, and later finds every
# old reference refused.
insmod /modules/xen_slab_cache.ko
t xgrant-loads 'insmod /domu/xsc_xgrant.ko'
t xgrant-unloads 'rmmod xsc_xgrant'
t xgrant-unload-cache-module 'rmmod xen_slab_cache'
t no-caches-left '[ ! -d /sys/module/xen_slab_cache ]'
# dom0 checks that the script got here (domu-tests-completed).
echo XSC-DOMU-COMPLETE
