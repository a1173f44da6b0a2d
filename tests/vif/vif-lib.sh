# Shell functions for the vif tests, sourced by tests/vif/dom0-vif.sh (dom0
# self-attach) and tests/domu/domu-test.sh (domU).

# vif_report DEVICE: xen_slab_vif's last "disconnected" line for a xenbus
# device (vif-0): the final counters of the rings it tore down.
vif_report() { dmesg | grep "xen_slab_vif $1: disconnected" | tail -n 1; }

# vif_clean DEVICE: that line says every grant ended at once and every
# object of the four caches came back, neither ring broken.
vif_clean() {
	vif_r=$(vif_report "$1")
	[ "$(echo "$vif_r" | grep -o 'grants_active 0 ' | wc -l)" = 2 ] &&
	[ "$(echo "$vif_r" | grep -o 'buffers_in_use 0 ' | wc -l)" = 2 ] &&
	[ "$(echo "$vif_r" | grep -o 'broken ok' | wc -l)" = 2 ] &&
	echo "$vif_r" | grep -q 'deferred grant ends 0$'
}

# vif_devices: the xenbus vif devices that xen_slab_vif drives and that
# have a network interface now, as "DEVICE IFNAME" lines.
vif_devices() {
	for vif_n in /sys/bus/xen/drivers/xen_slab_vif/vif-*/net/*; do
		[ -e "$vif_n" ] || continue
		vif_d=${vif_n%/net/*}
		echo "${vif_d##*/} ${vif_n##*/}"
	done
}

# vif_gso DEVICE: its live counters (debugfs) show GSO packets received
# (several slots with GSO extra info) and sent.
vif_gso() {
	vif_g=/sys/kernel/debug/xen_slab_vif/$1
	[ "$(sed -n 's/^rx .* gso_packets \([0-9]*\) .*/\1/p' "$vif_g")" -gt 0 ] 2>/dev/null &&
	[ "$(sed -n 's/^tx .* gso_packets \([0-9]*\) .*/\1/p' "$vif_g")" -gt 0 ] 2>/dev/null
}
