# Runs as /test.sh in dom0 (a Xen PV dom0 built by tests/domu/run.sh), once
# /setup.sh (tests/domu/dom0-setup.sh) has started xenstored and
# xenconsoled: starts the domU of /guest/domu.cfg with `xl create`, serves
# it a file over the stock xen-netback, answers its requests (vCPU count
# through `xl vcpu-set`, grant checks through /dev/xen/gntdev with
# xsc-gntcheck; pings, downloads and vif re-attachment for the vif test),
# waits for it to finish and shut down, and prints its whole
# console with every line prefixed "domU-log| " (the live copy, for a run
# that dies early, is prefixed "domU| ").  dom0's own results are XSC-TEST
# lines (checked as NAME/dom0/...).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
t() { if eval "$2"; then echo "XSC-TEST: ok $1"; else echo "XSC-TEST: not ok $1"; fi; }
up() { cut -d' ' -f1 /proc/uptime; }
upi() { cut -d' ' -f1 /proc/uptime | cut -d. -f1; }

cfg=/guest/domu.cfg
name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' $cfg)
type=$(sed -n 's/^type *= *"\(.*\)"/\1/p' $cfg)
limit=$(cat /guest/limit)
echo "XSC-DOM0: kernel $(uname -r), $(cat /sys/hypervisor/guest_type) dom0; domU config:"
sed 's/^/XSC-DOM0:   /' $cfg
xl info | grep -E '^(xen_version|virt_caps|free_memory|nr_cpus)' | sed 's/^/XSC-DOM0: /'

# What the domU downloads over the vif: 4 MiB for the stock frontend, 20
# MiB for this project's (make bench-net: the size in /guest/bench), each
# with its md5.
mkdir -p /tmp/www
head -c 4194304 /dev/urandom >/tmp/www/blob
md5sum </tmp/www/blob >/tmp/www/blob.md5
mib=20
[ ! -s /guest/bench ] || mib=$(cat /guest/bench)
head -c $((mib * 1048576)) /dev/urandom >/tmp/www/data
md5sum </tmp/www/data >/tmp/www/data.md5
httpd -p 8080 -h /tmp/www

t0=$(up)
LIBXL_DEVICE_MODEL_START_TIMEOUT=300 xl create $cfg >/tmp/xl-create.log 2>&1
rc=$?
sed 's/^/XSC-DOM0: xl create: /' /tmp/xl-create.log | tail -n 15
t xl-create "[ $rc -eq 0 ]"
domid=$(xl domid "$name" 2>/dev/null)
echo "XSC-DOM0: $type domU $name is domain ${domid:-none}, created in $(echo "$(up) $t0" | awk '{ printf "%.1f", $1 - $2 }') s"
xl list
log=/var/log/xen/console/guest-$name.log

# The live copy of the domU's console.
( n=0; while [ ! -f $log ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
  tail -f $log 2>/dev/null | while IFS= read -r l; do echo "domU| $l"; done ) &
fwd=$!

d=/local/domain/$domid/data
# gntcheck MODE TEST NODE: xsc-gntcheck MODE on the refs the domU published;
# its last line is the domU's answer in data/xsc-grant/NODE.
gntcheck() {
	local grc=0

	xsc-gntcheck "$1" "$domid" $(xenstore-read $d/xsc-grant/refs) >/tmp/gnt-$1.txt 2>&1 || grc=$?
	sed 's/^/XSC-DOM0: gntcheck: /' /tmp/gnt-$1.txt | tail -n 5
	t "$2" "[ $grc -eq 0 ]"
	xenstore-write $d/xsc-grant/$3 "$(tail -n 1 /tmp/gnt-$1.txt)"
}
# make bench-net: xen-netback's grant operations, counted by kprobes on
# the grant table calls it makes (copy: rx and tx headers; map and unmap:
# tx data).  nbstat prints "calls ops" for copy, map and unmap.
T=/sys/kernel/tracing
nbkp=''
if [ -f /guest/bench ]; then
	mount -t tracefs nodev $T 2>/dev/null
	nbkp=1
	for k in 'copy gnttab_batch_copy n=%si:u32' 'map gnttab_map_refs n=%cx:u32' \
		'unmap gnttab_unmap_refs n=%cx:u32'; do
		set -- $k
		{ echo "p:xscnb/$1 $2 $3" >>$T/kprobe_events &&
		  echo 'hist:keys=common_pid:vals=hitcount,n' >$T/events/xscnb/$1/trigger; } 2>/dev/null ||
			{ nbkp=''; echo "XSC-DOM0: no kprobe on $2: xen-netback's grant operations not counted"; }
	done
fi
nbstat() {
	for k in copy map unmap; do
		if [ -n "$nbkp" ]; then
			awk '/hitcount:/ { for (i = 1; i <= NF; i++) { if ($i == "hitcount:") h += $(i + 1); if ($i == "n:") n += $(i + 1) } }
				END { printf "%d %d ", h, n }' $T/events/xscnb/$k/hist
		else
			printf -- '-1 -1 '
		fi
	done
}

# crashed RC: the status of a program killed by SIGILL, SIGTRAP, SIGBUS or
# SIGSEGV (not by a timeout's SIGTERM).
crashed() { case $1 in 132|133|135|139) return 0 ;; esac; return 1; }
# again CMD ARGS...: run a dom0 program of the vif requests, and once or
# twice more if it crashed.  Under TCG, with an HVM domU running, a
# dom0 program now and then starts with a broken thread pointer and dies at
# its first TLS access (an emulator fault, docs/guests.md); the kernel's
# segfault line and the RETRY are printed.  A program that fails otherwise
# is never run again.
again() {
	local rc n=0

	while :; do
		"$@"
		rc=$?
		crashed $rc && [ $n -lt 2 ] || return $rc
		n=$((n + 1))
		echo "XSC-DOM0: RETRY: '$*' died of signal $((rc - 128)) (emulator fault): $(dmesg | grep -a 'segfault at\|traps:' | tail -n 1)"
	done
}
vif_ping() { ping -c 20 -i 0.2 -W 5 10.9.0.2 >/tmp/vping.txt 2>&1; }
vif_fetch() { timeout 300 wget -q -O /tmp/fetched http://10.9.0.2:8080/data; }
backend_gone() { ! xenstore-exists "/local/domain/0/backend/vif/$domid/$1" 2>/dev/null; }
# vif_request CMD ARGS: a request of the domU's vif test; sets $answer.
vif_request() {
	case $1 in
	ping)
		again vif_ping
		echo "XSC-DOM0: ping domU: $(grep 'packet loss' /tmp/vping.txt)"
		answer=$(sed -n 's/.* \([0-9]*\)% packet loss.*/\1/p' /tmp/vping.txt)
		;;
	fetch)
		t0f=$(up)
		rm -f /tmp/fetched
		again vif_fetch
		t1f=$(up)
		answer="$(md5sum </tmp/fetched | cut -d' ' -f1) $(echo "$t1f $t0f" | awk '{ printf "%.1f", $1 - $2 }')"
		rm -f /tmp/fetched
		echo "XSC-DOM0: fetched from domU: md5 and seconds: $answer"
		;;
	reattach)
		: >/tmp/xl-vif.log
		drc=0
		# A detach that died may have finished: it is run again only
		# while the backend is still there.
		until backend_gone "$2"; do
			xl network-detach "$name" "$2" >>/tmp/xl-vif.log 2>&1
			drc=$?
			crashed $drc || break
			echo "XSC-DOM0: RETRY: xl network-detach died of signal $((drc - 128)) (emulator fault)"
		done
		again xl network-attach "$name" mac=00:16:3e:00:00:01 type=vif \
			script=/etc/xen/scripts/vif-xsc >>/tmp/xl-vif.log 2>&1
		arc=$?
		sed 's/^/XSC-DOM0: xl network-detach|attach: /' /tmp/xl-vif.log | tail -n 5
		t xl-network-detach "[ $drc -eq 0 ]"
		t xl-network-attach "[ $arc -eq 0 ]"
		answer=$((drc + arc))
		;;
	saverestore)
		# The path of live migration: the domU is suspended, saved,
		# destroyed and restored as a new domain.
		t0s=$(up)
		xl save "$name" /tmp/domu.save >/tmp/xl-save.log 2>&1
		src=$?
		t1s=$(up)
		xl restore /tmp/domu.save >>/tmp/xl-save.log 2>&1
		rrc=$?
		rm -f /tmp/domu.save
		sed 's/^/XSC-DOM0: xl save|restore: /' /tmp/xl-save.log | tail -n 6
		t xl-save "[ $src -eq 0 ]"
		t xl-restore "[ $rrc -eq 0 ]"
		domid=$(xl domid "$name" 2>/dev/null)
		d=/local/domain/$domid/data
		echo "XSC-DOM0: saved in $(echo "$t1s $t0s" | awk '{ printf "%.1f", $1 - $2 }') s, restored as domain $domid in $(echo "$(up) $t1s" | awk '{ printf "%.1f", $1 - $2 }') s"
		answer=$((src + rrc))
		;;
	nbstat) answer=$(nbstat) ;;
	*) answer=unknown ;;
	esac
}
granted='' ended='' vcpus=2 gone=0 shown=0 i=0 vifdone=0
deadline=$(($(upi) + limit))
# As few new processes as can be: under TCG with PVH/HVM domUs a dom0
# program now and then starts with a broken thread pointer and dies at its
# first TLS access (busybox, xl, xenstore-read: an emulator fault), so the
# loop reads with shell builtins and runs two programs a second.
while [ -n "$domid" ]; do
	read -r now _ </proc/uptime
	[ "${now%.*}" -lt $deadline ] || break
	i=$((i + 1))
	if [ $((i % 4)) -eq 0 ]; then
		grep -q '^XSC-DONE' $log 2>/dev/null && break
		# `xl` itself may be such a victim: gone means three misses in a row.
		if xl list "$name" >/dev/null 2>&1; then gone=0; else gone=$((gone + 1)); fi
		[ $gone -lt 3 ] || break
	fi
	# The domU's requests: every node under its data/ directory at once.
	xenstore-ls -f $d >/tmp/data.txt 2>/dev/null
	want='' state='' demo_t='' vifreq=''
	while read -r key _ value; do
		value=${value#\"}
		value=${value%\"}
		case $key in
		*/data/xsc-vcpu/want) want=$value ;;
		*/data/xsc-grant/state) state=$value ;;
		*/data/xsc-demo/t) demo_t=$value ;;
		*/data/xsc-vif/req) vifreq=$value ;;
		esac
	done </tmp/data.txt
	# make demo: dom0's view whenever the domU has shown its caches.
	if [ -n "$demo_t" ] && [ "$demo_t" != "$shown" ]; then
		shown=$demo_t
		xl list | sed "s/^/XSC-DEMO: dom0 t=${demo_t}s xl list | /"
	fi
	if [ -n "$want" ] && [ "$want" != "$vcpus" ]; then
		vcpus=$want
		xl vcpu-set "$name" "$want"
		vrc=$?
		t "xl-vcpu-set-$want" "[ $vrc -eq 0 ]"
		xenstore-write $d/xsc-vcpu/done "$want $vrc"
	fi
	if [ -n "$vifreq" ] && [ "${vifreq%% *}" != "$vifdone" ]; then
		vifdone=${vifreq%% *}
		vif_request ${vifreq#* }
		xenstore-write $d/xsc-vif/ack "$vifdone $answer"
	fi
	if [ "$state" = granted ] && [ -z "$granted" ]; then
		granted=1
		gntcheck map mapped-domu-grants verdict
	fi
	if [ "$state" = ended ] && [ -z "$ended" ]; then
		ended=1
		gntcheck refused ended-grants-refused verdict2
	fi
	sleep 1
done
t domu-finished "grep -q '^XSC-DONE' $log"
if [ ! -f /guest/demo ] && [ ! -f /guest/bench ]; then
	t domu-tests-completed "grep -q '^XSC-DOMU-COMPLETE' $log"
	t grant-check-ran "[ -n '$granted' ] && [ -n '$ended' ]"
fi
# The domU reboots at its end, which its config turns into destroy.
n=0
while xl list "$name" >/dev/null 2>&1 && [ $n -lt 60 ]; do sleep 0.5; n=$((n + 1)); done
t domu-shut-down "! xl list '$name' >/dev/null 2>&1 || { xl destroy '$name'; false; }"
echo "XSC-DOM0: domU ran $(echo "$(up) $t0" | awk '{ printf "%.1f", $1 - $2 }') s from xl create"
# A domain whose pages dom0 still maps (a grant left mapped by gntdev or
# xen-netback) cannot die: it stays listed as "(null)", a zombie.
n=0
while xl list | grep -q '(null)' && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
xl list
t no-zombie-domain "! xl list | grep -q '(null)'"
kill $fwd 2>/dev/null
sleep 1
echo "DOM0-DOMU-LOG-BEGIN"
while IFS= read -r l; do echo "domU-log| $l"; done <$log
echo "DOM0-DOMU-LOG-END"
