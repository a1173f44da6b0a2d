# Runs as /test.sh in a domU for `make bench-net` (tests/domu/run.sh
# --bench): the same transfers through the stock xen-netfront and through
# xen_slab_vif in both grant modes, on the same vif device against the stock
# xen-netback in dom0, in one boot, in rounds (stock, kept, per-request).
# Per frontend, round and direction it prints one XSC-BENCHNET line with
# what it measured: seconds, this domU's busy CPU time (/proc/stat), the
# interface's packets, the frontend's grant operations (grants made plus
# grants ended: xen_slab_vif's own counters in debugfs; for xen-netfront,
# which has none, kprobes on the two grant table calls it makes for them,
# gnttab_grant_foreign_access_ref and gnttab_end_foreign_access_ref) and
# xen-netback's grant copy, map and unmap operations and calls in dom0
# (kprobes there, read through `ask nbstat`).  scripts/bench-net.sh makes
# the table.
. /domu/vif-lib.sh
up() { cut -d' ' -f1 /proc/uptime | cut -d. -f1; }
wait_for() {
	local deadline=$(($(up) + $1))
	until eval "$2"; do
		[ "$(up)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}
seq=0
ask() {
	seq=$((seq + 1))
	answer=''
	xenstore write data/xsc-vif/req "$seq $*"
	wait_for 300 '[ "$(xenstore read data/xsc-vif/ack 2>/dev/null | cut -d" " -f1)" = "$seq" ]' || return 1
	answer=$(xenstore read data/xsc-vif/ack | cut -d" " -f2-)
}
mb=$(cat /domu/bench-mb)
rounds=$(cat /domu/bench-rounds)
echo "XSC-BENCHNET: setup domU kernel=$(uname -r) type=$(cat /sys/hypervisor/guest_type) cpus=$(grep -c '^processor' /proc/cpuinfo) mib=$mb rounds=$rounds"

# xen-netfront's grant operations: hits of the grant table calls it makes.
T=/sys/kernel/tracing
mount -t tracefs nodev $T 2>/dev/null
kp=1
for f in gnttab_grant_foreign_access_ref gnttab_end_foreign_access_ref; do
	{ echo "p:xscb/$f $f" >>$T/kprobe_events &&
	  echo 'hist:keys=common_pid:vals=hitcount' >$T/events/xscb/$f/trigger; } 2>/dev/null ||
		{ kp=''; echo "XSC-BENCHNET: no kprobe on $f: xen-netfront's grant operations not counted"; }
done
# fe_ops: the grant operations so far of the frontend that drives the device.
fe_ops() {
	case $current in
	stock)
		if [ -n "$kp" ]; then
			cat $T/events/xscb/*/hist | awk '/hitcount:/ { for (i = 1; i <= NF; i++) if ($i == "hitcount:") s += $(i + 1) } END { print s + 0 }'
		else
			echo -1
		fi ;;
	*) awk '/^[rt]x / { for (i = 1; i <= NF; i++) if ($i == "grant_ops") s += $(i + 1) } END { print s + 0 }' \
		/sys/kernel/debug/xen_slab_vif/vif-0 ;;
	esac
}
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
pk() { echo $(($(cat /sys/class/net/$1/statistics/rx_packets) + $(cat /sys/class/net/$1/statistics/tx_packets))); }

mkdir -p /tmp/www
head -c $((mb * 1048576)) /dev/urandom >/tmp/www/data
httpd -p 8080 -h /tmp/www

# measure FRONTEND ROUND IF: dom0-to-domU (rx) then domU-to-dom0 (tx).
# Rx is several times faster than tx under TCG: it fetches the data $rxrep
# times in one measurement, so that both last seconds, not fractions.
rxrep=4
measure() {
	for dir in rx tx; do
		ask nbstat; nb0=$answer
		g0=$(fe_ops) c0=$(busy) p0=$(pk "$3") t0=$(cut -d' ' -f1 /proc/uptime)
		if [ $dir = rx ]; then
			n=$rxrep
			for i in $(seq $rxrep); do
				wget -q -O /dev/null http://10.9.0.1:8080/data || echo "XSC-BENCHNET: rx transfer failed"
			done
		else
			n=1
			ask fetch
		fi
		t1=$(cut -d' ' -f1 /proc/uptime) c1=$(busy) p1=$(pk "$3") g1=$(fe_ops)
		ask nbstat; nb1=$answer
		echo "XSC-BENCHNET: frontend=$1 round=$2 dir=$dir mib=$((mb * n)) secs=$(awk "BEGIN { print $t1 - $t0 }") cpu_jiffies=$((c1 - c0)) packets=$((p1 - p0)) fe_ops=$((g1 - g0)) nb0=$(echo $nb0 | tr " " ,) nb1=$(echo $nb1 | tr " " ,)"
	done
}
# use_stock / use_vif MODE: bind the device to one frontend; sets $ifc.
current=''
backend=$(xenstore read device/vif/0/backend)
release() {
	case $current in
	stock) echo vif-0 >/sys/bus/xen/drivers/vif/unbind ;;
	vif-*) echo vif-0 >/sys/bus/xen/drivers/xen_slab_vif/unbind
		vif_report vif-0 | sed "s/^.*: disconnected/XSC-BENCHNET: report $current/" ;;
	esac
	current=''
	# Each frontend starts from a backend that finished closing.
	wait_for 30 '[ "$(xenstore read $backend/state)" = 6 ]' ||
		echo "XSC-BENCHNET: backend state $(xenstore read $backend/state) after unbind"
}
connected() {
	wait_for 60 '[ "$(xenstore read device/vif/0/state)" = 4 ] && [ "$(xenstore read $backend/state)" = 4 ]' ||
		echo "XSC-BENCHNET: not connected: frontend state $(xenstore read device/vif/0/state), backend $(xenstore read $backend/state)"
}
up_if() {
	ip addr add 10.9.0.2/24 dev "$1" 2>/dev/null
	ip link set "$1" up
	# The first packets after a (re)connect: ARP and a short warm-up.
	ping -c 3 -i 0.2 -W 5 10.9.0.1 >/dev/null 2>&1
}
use_stock() {
	release
	echo vif-0 >/sys/bus/xen/drivers/vif/bind
	wait_for 60 '[ -n "$(ls /sys/bus/xen/drivers/vif/vif-0/net/ 2>/dev/null)" ]'
	connected
	ifc=$(ls /sys/bus/xen/drivers/vif/vif-0/net/)
	current=stock
	up_if "$ifc"
}
use_vif() {
	local grants=$1
	release
	echo "$grants" >/sys/module/xen_slab_vif/parameters/persistent_grants
	echo vif-0 >/sys/bus/xen/drivers/xen_slab_vif/bind
	wait_for 60 '[ -n "$(vif_devices)" ]'
	connected
	set -- $(vif_devices)
	ifc=$2
	current=vif-$grants
	up_if "$ifc"
}

insmod /domu/xen-netfront.ko
insmod /domu/xen_slab_netfront.ko
insmod /domu/xen_slab_vif.ko
# Both drivers are registered; the device starts on the stock one.
current=stock
connected
r=1
while [ $r -le "$rounds" ]; do
	use_stock
	measure stock $r "$ifc"
	use_vif Y
	measure kept $r "$ifc"
	use_vif N
	measure per-request $r "$ifc"
	r=$((r + 1))
done
release
echo XSC-BENCHNET-DONE
