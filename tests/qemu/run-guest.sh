#!/usr/bin/env bash
# Boot one test guest under QEMU (TCG) and print its results.
#
# Usage: run-guest.sh --guest {kunit|plain|xen-pv|xen-pvh|xen-pv-hap} --initrd FILE.gz
#                     [--kernel PATH] [--name NAME] [--timeout SEC] [--smp N]
#                     [--mem MB] [--log FILE] [--append "extra kernel args"]
#                     [--domu]
#
#   kunit    the self-built KUnit/debug kernel (scripts/build-kernel.sh --flavour kunit),
#            booted with oops=panic
#   plain    the newest Debian kernel in /boot
#   xen-pv   Xen 4.17 with the Debian kernel as PV dom0
#   xen-pvh  Xen 4.17 with the Debian kernel as PVH dom0
#   xen-pv-hap  a PV dom0 on a CPU with SVM and nested paging, which PVH and
#            HVM domUs need (Debian's Xen has no shadow paging)
#
# --domu: the dom0 starts a domU (tests/domu/run.sh) and prints the domU's
# console as "domU-log| " lines (or "domU| " while it runs): each console
# is checked on its own (results NAME/... for the domU, NAME/dom0/... for
# dom0), and a failed run in which an emulator fault shows (see
# domu_fault) is run once more.
#
# Build the initrd with scripts/mkinitramfs.sh. The whole console is saved to
# --log; stdout gets `ok NAME/test` / `not ok NAME/test # reason` lines (from
# XSC-TEST lines, KUnit KTAP and a console check) and `# ` comments.
# Exit status 0 iff every result is ok and there is one besides the console.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${XSC_CACHE_DIR:-/var/cache/xen-slab-cache}

usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

guest='' initrd='' kernel='' name='' log='' append='' domu=''
timeout=300 smp=2 mem=1024
# A guest whose /init has not started after this many seconds is stopped
# (every guest of make check reaches it within about 25 s): see boot_fault.
boot_limit=${XSC_BOOT_LIMIT:-300}
while [ $# -gt 0 ]; do
	case $1 in
	--guest) guest=${2:?}; shift 2 ;;
	--initrd) initrd=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--name) name=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--domu) domu=1; shift ;;
	-h|--help) usage ;;
	*) echo "run-guest: unknown argument: $1" >&2; usage ;;
	esac
done
case $guest in kunit|plain|xen-pv|xen-pvh|xen-pv-hap) ;; *) usage ;; esac
[ -f "$initrd" ] || { echo "run-guest: no such initrd: $initrd" >&2; exit 2; }
name=${name:-$guest}
if [ -z "$log" ]; then
	log=$(mktemp "${TMPDIR:-/tmp}/xsc-$name-XXXXXX.log")
fi

tmp=$(mktemp -d)
qpid=''
trap '[ -z "$qpid" ] || kill "$qpid" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

debian_kernel() {
	local ver
	ver=$(sh "$top/scripts/debian-kernel.sh") || exit 2
	echo "/boot/vmlinuz-$ver"
}

# kunit.py from the KUnit build next to the kernel, else from an unpacked
# (or, as a last resort, freshly extracted) linux-source tree.
find_kunit_py() {
	local c
	for c in "${XSC_KUNIT_PY:-}" "$kdir/source/tools/testing/kunit/kunit.py" \
		"$kdir/tools/testing/kunit/kunit.py"; do
		[ -n "$c" ] && [ -f "$c" ] && { echo "$c"; return; }
	done
	c=$(find "$cache" -maxdepth 5 -path '*/tools/testing/kunit/kunit.py' 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$c" ] && [ -f /usr/src/linux-source-6.1.tar.xz ]; then
		local dest
		dest="$cache/kunit-tool-$(dpkg-query -W -f='${Version}' linux-source-6.1)"
		mkdir -p "$dest"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$dest" --strip-components=1 \
			--wildcards '*/tools/testing/kunit/*'
		c=$dest/tools/testing/kunit/kunit.py
	fi
	echo "$c"
}

kdir=''
if [ "$guest" = kunit ]; then
	if [ -z "$kernel" ]; then
		kdir=$(bash "$top/scripts/build-kernel.sh" --source 6.1 --flavour kunit)
		kernel=$kdir/arch/x86/boot/bzImage
	elif [[ $kernel == */arch/x86/boot/bzImage ]]; then
		kdir=${kernel%/arch/x86/boot/bzImage}
	fi
fi
kernel=${kernel:-$(debian_kernel)}
[ -f "$kernel" ] || { echo "run-guest: no such kernel: $kernel" >&2; exit 2; }

qemu=(qemu-system-x86_64 -accel tcg -smp "$smp" -m "$mem" -nographic -no-reboot -nic none)
case $guest in
plain)
	qemu+=(-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 $append")
	;;
kunit)
	# An oops in a KUnit case would leave KUnit waiting 300 s for the dead
	# test thread: end the boot at once instead.
	qemu+=(-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 oops=panic $append")
	;;
xen-pv|xen-pvh|xen-pv-hap)
	zcat /boot/xen-4.17-amd64.gz >"$tmp/xen"
	dom0_mem=$((mem / 2))M
	# With domUs, dom0 keeps a fixed size (xl.conf: autoballoon off).
	[ -z "$domu" ] || dom0_mem=768M,max:768M
	xen_args="console=com1 com1=115200,8n1 dom0_mem=$dom0_mem noreboot loglvl=all guest_loglvl=all"
	if [ "$guest" = xen-pv-hap ]; then
		# SVM with nested paging, no rdtscp (as for PVH); a PV dom0 on
		# TCG's SMAP/SMEP crashes in create_bounce_frame at boot; without
		# asid=0 an HVM-container domU has triple-faulted under TCG.
		qemu+=(-machine q35 -cpu 'max,-rdtscp')
		xen_args+=" smap=0 smep=0 asid=0"
	fi
	if [ "$guest" = xen-pvh ]; then
		# PVH needs SVM with nested paging (-cpu max) but no rdtscp, and no
		# XSAVE: with it, Debian's 6.12 as PVH dom0 dies at its first
		# context switch in QEMU 7.2's TCG ("Bad FPU state detected at
		# restore_fpregs_from_fpstate", or init's "bad frame in
		# rt_sigreturn"); the kernel then uses FXSAVE.
		qemu+=(-machine q35 -cpu 'max,-rdtscp,-xsave' -device 'intel-iommu,intremap=on')
		xen_args+=" dom0=pvh smap=0 smep=0"
	fi
	# Multiboot modules are comma separated; a literal comma is written ",,".
	dom0="$kernel console=hvc0 panic=-1 $append"
	qemu+=(-kernel "$tmp/xen" -append "$xen_args" -initrd "${dom0//,/,,},${initrd//,/,,}")
	;;
esac

# boot: one run of the guest, its console in $log; sets rc and stuck.
boot() {
	echo "# $name: booting $guest guest (${kernel##*/}), console log: $log"
	start=$SECONDS
	timeout -k 10 "$timeout" "${qemu[@]}" </dev/null >"$log" 2>&1 &
	qpid=$!
	# Xen's noreboot leaves the machine spinning after a dom0 crash (and a guest
	# may hang on the way down): once the end is in the log, allow 15 s to exit.
	end_re='XSC-DONE|Kernel panic'
	# A domU's console lines are prefixed; only dom0's own end counts.
	[ -z "$domu" ] || end_re='^XSC-DONE|^\[ *[0-9.]+\] Kernel panic'
	end_re+=' - not syncing|^\(XEN\) .*(Dom0 crashed|Panic on CPU|Reboot disabled)'
	ended='' stuck='' booted='' hung=''
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		if [ -z "$booted" ] && grep -aq '^XSC-BOOTED' "$log"; then
			booted=$((SECONDS - start))
		fi
		if [ -z "$booted" ] && [ $((SECONDS - start)) -ge "$boot_limit" ]; then
			hung=1
			kill "$qpid" 2>/dev/null || true
			break
		fi
		if [ -z "$ended" ] && grep -aqE "$end_re" "$log"; then
			ended=$SECONDS
		fi
		if [ -n "$ended" ] && [ $((SECONDS - ended)) -ge 15 ]; then
			stuck=--stuck
			kill "$qpid" 2>/dev/null || true
			break
		fi
	done
	rc=0
	wait "$qpid" || rc=$?
	qpid=''
	[ -z "$hung" ] || echo "RUN-GUEST: boot hang: /init not started after $boot_limit s" >>"$log"
	echo "# $name: guest ran $((SECONDS - start)) s${booted:+ (its /init after $booted s)} (qemu exit status $rc${stuck:+, stopped: it did not exit after its end})"
}

# An emulator fault: the guest's kernel died before its init ran (no
# XSC-BOOTED, so nothing of this project was loaded yet): an oops or panic
# while it booted, Xen's report of a triple fault, or a kernel that stopped
# before its init for $boot_limit s.  Seen under QEMU 7.2 TCG: an int3 oops
# in the middle of the kernel patching its own code (static keys) at boot,
# about 1 PVH boot in 20; Debian's 6.12 as PV dom0 printing nothing more
# after 2.3 s of its boot ("VFS: Dquot-cache hash table entries"), until
# the 900 s timeout, once.  Such a run is booted once more, and the first
# console is kept; a failure after init started is a test failure and is
# never retried.
boot_fault() {
	grep -aq 'XSC-BOOTED' "$log" && return 1
	grep -aE 'Oops: |Kernel panic - not syncing|\(XEN\) .*[Tt]riple fault|^RUN-GUEST: boot hang' "$log" |
		head -n 1
}

# split_domu: $log.dom0 gets dom0's console (Xen's and dom0's lines), $log.domU
# the domU's: its full copy if dom0 printed one, else the live lines.
split_domu() {
	grep -avE '^domU(-log)?\| ' "$log" >"$log.dom0" || true
	if grep -aq '^DOM0-DOMU-LOG-END' "$log"; then
		sed -n 's/^domU-log| //p' "$log" >"$log.domU"
	else
		sed -n 's/^domU| //p' "$log" >"$log.domU"
	fi
}

# xen_triple_fault: Xen's first triple-fault line in $log (status 1: none).
xen_triple_fault() {
	grep -aE '\(XEN\) .*[Tt]riple fault' "$log" | head -n 1 | grep .
}

# Emulator faults of a domU run (each seen under QEMU 7.2 TCG with PVH and
# HVM domUs; PV domUs on QEMU's default CPU have not shown them): Xen
# reports a triple fault (of the domU, or of dom0), a dom0 program (xl,
# xenstore-read, busybox) segfaults or traps through a garbage pointer, or
# the domU's kernel dies before its init ran.  The dom0 programs die at
# their first thread-local access (a broken FS base), busybox at the same
# instruction every time; the project's xsc-gntcheck is no safer from it,
# and a real bug of its own would fail the run again.
domu_fault() {
	boot_fault && return 0
	xen_triple_fault && return 0
	grep -aE '(segfault at|general protection fault|trap invalid opcode)' "$log.dom0" |
		grep -avE '^\(XEN\)|Oops|RIP:' | head -n 1 | grep . && return 0
	if ! grep -aq 'XSC-BOOTED' "$log.domU"; then
		grep -aE 'Oops: |Kernel panic - not syncing' "$log.domU" | head -n 1 | grep . && return 0
	fi
	return 1
}

# domu_results: both consoles' result lines into $tmp/results; status 0
# iff all are ok.
domu_results() {
	local crc=0
	split_domu
	{
		# What the domU says it is, and how long it lived.
		grep -a '^XSC-DOMU: ' "$log.domU" | sed "s/^/# $name: /"
		grep -aE '^XSC-DOM0: .*(is domain|domU ran)' "$log.dom0" | sed "s/^/# $name: /"
		python3 "$here/check-console.py" --log "$log.domU" --name "$name" \
			--qemu-rc "$rc" --timeout "$timeout" $stuck || crc=1
		python3 "$here/check-console.py" --log "$log.dom0" --name "$name/dom0" \
			--qemu-rc "$rc" --timeout "$timeout" $stuck || crc=1
		return $crc
	} >"$tmp/results"
}

# results_or_retry RESULTS FAULT: RESULTS (a function) checks the run into
# $tmp/results, status 0 iff all is ok; a run that failed and in which
# FAULT (a function) prints an emulator fault is run once more, its first
# console kept as $log.fault and its failures listed.  Prints the results
# and exits with their status.
results_or_retry() {
	local fault crc
	if "$1"; then
		cat "$tmp/results"
		exit 0
	fi
	fault=$("$2" || true)
	if [ -z "$fault" ]; then
		cat "$tmp/results"
		exit 1
	fi
	mv "$log" "$log.fault"
	echo "# $name: RETRY: emulator fault (\"$fault\"; console in $log.fault); running once more; the failures of the first run:"
	grep -E '^not ok ' "$tmp/results" | sed "s/^/#   first run: /"
	boot
	"$1" && crc=0 || crc=1
	cat "$tmp/results"
	exit $crc
}

# console_results: the console check of $log into $tmp/results; status 0
# iff all is ok.
console_results() {
	local kunit_py=''
	if grep -aqE 'K?TAP version [0-9]+' "$log"; then
		kunit_py=$(find_kunit_py)
	fi
	python3 "$here/check-console.py" --log "$log" --name "$name" \
		--kunit-py "$kunit_py" --qemu-rc "$rc" --timeout "$timeout" $stuck >"$tmp/results"
}

boot
# A domU run that failed is run once more if an emulator fault was seen in
# it; one that passed stands, fault or not (a dom0 program killed by the
# emulator while it polled).
[ -z "$domu" ] || results_or_retry domu_results domu_fault

fault=$(boot_fault || true)
if [ -n "$fault" ]; then
	mv "$log" "$log.fault"
	echo "# $name: RETRY: emulator fault before the guest's init ran (\"$fault\"; console in $log.fault); booting once more"
	boot
fi
# A dom0 run (no domU) that failed after Xen reported a triple fault is run
# once more: a PVH dom0 runs in an HVM container under TCG's SVM emulation,
# where the same fault as in PVH and HVM domUs struck once (2026-12-07,
# after every test of the run had passed; Xen's dump showed its own code
# segment).
results_or_retry console_results xen_triple_fault
