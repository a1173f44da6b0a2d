# Runs in a Xen PV dom0 (tests/vif/run.sh) after /setup.sh started xenstored
# and loaded xen-netback, and /init loaded xen_slab_cache, xen_slab_netfront
# and xen_slab_vif.  For each grant mode (kept, then per-request) a vif is
# attached with the frontend and the backend in this domain: our frontend
# and the stock xen-netback each move into a network namespace of their own,
# then ping both ways, /vif/mb MiB each way with md5 at both ends, interface
# counters against the backend's, unbind and rebind of the frontend, ping,
# detach; every grant and cached object must be back.
. /vif/lib.sh
t() { if eval "$2"; then echo "XSC-TEST: ok $1"; else echo "XSC-TEST: not ok $1"; fi; }
say() { echo "XSC-VIF: $*"; }
ns() { n=$1; shift; /sbin/ip netns exec "$n" "$@"; }
up() { cut -d' ' -f1 /proc/uptime; }
mb=$(cat /vif/mb)
param=/sys/module/xen_slab_vif/parameters/persistent_grants
caches=/sys/kernel/debug/xen_slab_cache/caches
drv=/sys/bus/xen/drivers/xen_slab_vif

# attach ID MAC: the frontend's and the backend's nodes in one transaction
# (written in two, the backend device is never created).
attach() {
	xenstore-write "$F/backend" "$B" "$F/backend-id" 0 "$F/state" 1 "$F/handle" "$1" \
		"$F/mac" "$2" "$B/frontend" "$F" "$B/frontend-id" 0 "$B/state" 1 "$B/online" 1 \
		"$B/script" /bin/true "$B/mac" "$2" "$B/handle" "$1" "$B/hotplug-status" connected
}
state() { xenstore-read "$1/state" 2>/dev/null; }
# both_in STATE SECONDS
both_in() {
	n=0
	while [ "$(state "$F")" != "$1" ] || [ "$(state "$B")" != "$1" ]; do
		[ $n -lt $(($2 * 10)) ] || { say "states: frontend $(state "$F") backend $(state "$B")"; return 1; }
		sleep 0.1
		n=$((n + 1))
	done
}
# gone PATH SECONDS
gone() {
	n=0
	while [ -e "$1" ]; do
		[ $n -lt $(($2 * 10)) ] || return 1
		sleep 0.1
		n=$((n + 1))
	done
}
frontend_if() { ls "/sys/bus/xen/devices/vif-$id/net/" 2>/dev/null; }
# into_ns IF NS ADDR: move, no IPv6 (its chatter would race the counters), up
into_ns() {
	/sbin/ip link set "$1" netns "$2" &&
	ns "$2" sh -c "[ ! -e /proc/sys/net/ipv6/conf/$1 ] || echo 1 >/proc/sys/net/ipv6/conf/$1/disable_ipv6" &&
	ns "$2" /sbin/ip addr add "$3/24" dev "$1" &&
	ns "$2" /sbin/ip link set "$1" up &&
	ns "$2" /sbin/ip link set lo up
}
# pings FROM_NS TO_ADDR TAG: 20 pings, 0% loss
pings() {
	ns "$1" ping -c 20 -i 0.2 -W 5 "$2" >/tmp/ping.out 2>&1
	say "$3: $(grep 'packet loss' /tmp/ping.out)"
	grep -q ' 0% packet loss' /tmp/ping.out
}
# fetch SERVER_NS SERVER_ADDR CLIENT_NS TAG: the client downloads /www/data
fetch() {
	ns "$1" httpd -f -p "$2:8080" -h /www &
	hp=$!
	sleep 1
	t0=$(up)
	got=$(ns "$3" wget -q -O - "http://$2:8080/data" | md5sum | cut -d' ' -f1)
	t1=$(up)
	kill $hp
	wait $hp 2>/dev/null
	say "$4: $mb MiB in $(awk "BEGIN { printf \"%.1f s, %.2f MB/s\", $t1 - $t0, $mb * 1.048576 / ($t1 - $t0) }"), md5 sent $sum received $got"
	[ "$got" = "$sum" ]
}
stat_of() { ns "$1" cat "/sys/class/net/$2/statistics/$3"; }
t xenstored-runs '[ -f /run/xenstored.ok ]' || exit 1
mkdir -p /www
dd if=/dev/urandom of=/www/data bs=1M count="$mb" 2>/dev/null
sum=$(md5sum /www/data | cut -d' ' -f1)
say "test data: $mb MiB, md5 $sum"

round() {
	id=$1 tag=$3
	F=/local/domain/0/device/vif/$id B=/local/domain/0/backend/vif/0/$id
	fe_ns=fe$id be_ns=be$id fe_ip=10.9.$id.2 be_ip=10.9.$id.1
	echo "$2" >$param
	attach "$id" "00:16:3e:00:00:0$((id + 1))"
	t "$tag/connected" 'both_in 4 60'
	dmesg | grep "xen_slab_vif vif-$id: connected" | tail -n 1 | sed 's/^/XSC-VIF: /'
	fe=$(frontend_if)
	t "$tag/netdev" '[ -n "$fe" ]'
	t "$tag/caches" '[ "$(grep -c "^vif-$id-[rt]x-[a-z]*: " $caches)" = 4 ]'
	/sbin/ip netns add $fe_ns
	/sbin/ip netns add $be_ns
	t "$tag/namespaces" 'into_ns "$fe" $fe_ns $fe_ip && into_ns vif0.$id $be_ns $be_ip'
	t "$tag/ping-frontend-to-backend" "pings $fe_ns $be_ip $tag/ping-frontend-to-backend"
	t "$tag/ping-backend-to-frontend" "pings $be_ns $fe_ip $tag/ping-backend-to-frontend"
	t "$tag/data-backend-to-frontend" "fetch $be_ns $be_ip $fe_ns $tag/backend-to-frontend"
	t "$tag/data-frontend-to-backend" "fetch $fe_ns $fe_ip $be_ns $tag/frontend-to-backend"
	sleep 1
	grep "^vif-$id-" $caches | cut -d, -f1-4 | sed 's/^/XSC-VIF: /'
	grep '^[rt]x ' /sys/kernel/debug/xen_slab_vif/vif-$id | cut -d' ' -f1-7 | sed 's/^/XSC-VIF: counters /'
	t "$tag/gso-both-ways" "vif_gso vif-$id"
	ns $fe_ns /sbin/ip -s link show "$fe" | sed 's/^/XSC-VIF: frontend| /'
	ns $be_ns /sbin/ip -s link show vif0.$id | sed 's/^/XSC-VIF: backend| /'
	for c in packets bytes; do
		t "$tag/frontend-rx-$c-is-backend-tx" \
			'[ "$(stat_of $fe_ns "$fe" rx_$c)" = "$(stat_of $be_ns vif0.$id tx_$c)" ]'
	done
	# xen-netback counts a received frame's bytes after eth_type_trans()
	# pulled its 14-byte Ethernet header.
	t "$tag/frontend-tx-packets-is-backend-rx" \
		'[ "$(stat_of $fe_ns "$fe" tx_packets)" = "$(stat_of $be_ns vif0.$id rx_packets)" ]'
	t "$tag/frontend-tx-bytes-is-backend-rx-plus-headers" \
		'[ "$(stat_of $fe_ns "$fe" tx_bytes)" = $(($(stat_of $be_ns vif0.$id rx_bytes) + 14 * $(stat_of $be_ns vif0.$id rx_packets))) ]'
	t "$tag/no-frontend-drops" \
		'[ "$(stat_of $fe_ns "$fe" rx_dropped)$(stat_of $fe_ns "$fe" tx_dropped)" = 00 ]'

	# Unbind (the netdev goes, the backend closes) and bind again.
	echo "vif-$id" >$drv/unbind
	t "$tag/unbind-closes" 'both_in 6 30'
	t "$tag/unbind-returns-everything" "vif_clean vif-$id"
	t "$tag/unbind-drops-caches" '! grep -q "^vif-$id-" $caches'
	echo "vif-$id" >$drv/bind
	t "$tag/rebind-connects" 'both_in 4 60'
	fe=$(frontend_if)
	t "$tag/rebind-netdev" '[ -n "$fe" ] && into_ns "$fe" $fe_ns $fe_ip'
	t "$tag/rebind-ping" "pings $fe_ns $be_ip $tag/rebind-ping"

	# Detach as a toolstack does: the backend goes offline and closes.
	xenstore-write "$B/online" 0 "$B/state" 5
	t "$tag/detach-backend-gone" "gone /sys/bus/xen-backend/devices/vif-0-$id 30"
	xenstore-rm "$B"
	xenstore-rm "$F"
	t "$tag/detach-frontend-gone" "gone /sys/bus/xen/devices/vif-$id 30"
	vif_report vif-$id | sed 's/^.*: disconnected/XSC-VIF: disconnected/'
	t "$tag/detach-returns-everything" "vif_clean vif-$id"
	t "$tag/detach-drops-caches" '! grep -q "^vif-$id-" $caches'
	/sbin/ip netns del $fe_ns
	/sbin/ip netns del $be_ns
}

round 0 Y kept
round 1 N per-request
t unload-vif 'rmmod xen_slab_vif'
t unload-netfront 'rmmod xen_slab_netfront'
t unload-cache-module 'rmmod xen_slab_cache'
