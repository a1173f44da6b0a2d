#!/usr/bin/env bash
# The whole test ladder: host tests (ASan/UBSan, TSan), a warning-free build
# with checks of the built modules, KUnit in QEMU, insmod tests on a plain
# kernel, a Xen PV dom0 and a Xen PVH dom0, the netfront example's loopback
# runs in a Xen PV and a PVH dom0, the harness self-test and DKMS.
# Every test prints "ok NAME" or "not ok NAME"; the last line counts them.
#
# Usage: scripts/check.sh            (make check)
#        XSC_STEPS="build kunit" scripts/check.sh   (only those steps)
#        XSC_SOAK_MS=240000 FUZZ_RUNS=100000 ...     (longer soak and fuzzing: make soak)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/check
results=$out/results
mkdir -p "$out"
: >"$results"

log() { echo "# $*"; }
# step NAME COMMAND...: run a step whose stdout carries ok/not ok lines.
step() {
	local name=$1 rc=0
	shift
	if [ -n "${XSC_STEPS:-}" ] && [[ " $XSC_STEPS " != *" $name "* ]]; then
		return 0
	fi
	log "== $name"
	"$@" >"$out/$name.out" 2>"$out/$name.err" || rc=$?
	grep -E '^(ok|not ok) ' "$out/$name.out" | tee -a "$results"
	grep -E '^# XSN-RESULT: ' "$out/$name.out" || true
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$out/$name.out"; then
		echo "not ok $name # exited $rc (see $out/$name.err)" | tee -a "$results"
		tail -n 20 "$out/$name.err" | sed 's/^/# /'
	fi
}

# copy_tree DIR: the sources, so that each kernel gets its own objects.
copy_tree() {
	rm -rf "$1"
	mkdir -p "$1"
	(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		Kbuild Makefile drivers include scripts tests/bench tests/kunit tests/smoke tests/netfront) | tar -xf - -C "$1"
}

host_tests() {
	make -C "$top/tests/host" all >&2 || return 1
	local b brc rc=0
	for b in asan tsan; do
		brc=0
		TSAN_OPTIONS=halt_on_error=1 "$top/build/host/cache_test.$b" >"$out/host-$b.log" 2>&1 || brc=1
		sed -n "s/^\[       OK \] \([^ ]*\).*/ok host-$b\/\1/p; s/^\[  FAILED  \] \([^ ]*\) (.*/not ok host-$b\/\1/p" "$out/host-$b.log"
		grep -q 'Sanitizer' "$out/host-$b.log" && { echo "not ok host-$b/sanitizer-clean"; brc=1; }
		if [ $brc -eq 0 ]; then
			echo "ok host-$b/exit-status"
		else
			echo "not ok host-$b/exit-status"
			rc=1
		fi
	done
	# Random operation sequences against a reference model (libFuzzer).
	if make -C "$top/tests/host" fuzz >"$out/host-fuzz.log" 2>&1; then
		echo "ok host-fuzz/$(grep -o 'Done [0-9]* runs' "$out/host-fuzz.log" | tr ' ' -)"
	else
		echo "not ok host-fuzz/model # see $out/host-fuzz.log"
		grep -E 'mismatch|ERROR|SUMMARY' "$out/host-fuzz.log" | head -n 5 >&2
		rc=1
	fi
	return $rc
}

# check_ko FILE: no global constructors, no C++ runtime, no duplicate thunk sites.
check_ko() {
	local ko=$1 name
	name=$(basename "$ko" .ko)
	if readelf -S "$ko" | grep -qE '\.init_array|\.ctors'; then
		echo "not ok build/$name-no-constructors"
	else
		echo "ok build/$name-no-constructors"
	fi
	if nm -u "$ko" | grep -qE '__cxa|_Unwind|atexit|__dso_handle|_Znw|_Zdl|__gxx'; then
		echo "not ok build/$name-no-cxx-runtime"
	else
		echo "ok build/$name-no-cxx-runtime"
	fi
	local dups
	dups=$(for s in .rela.return_sites .rela.retpoline_sites; do
		readelf -rW "$ko" 2>/dev/null | awk -v s="$s" '/^Relocation section/ {on = index($0, "'"'"'" s "'"'"'") > 0; next} on && NF >= 5 {print s, $5, $NF}'
	done | sort | uniq -d | wc -l)
	if [ "$dups" -eq 0 ]; then
		echo "ok build/$name-unique-thunk-sites"
	else
		echo "not ok build/$name-unique-thunk-sites # $dups duplicates"
	fi
}

build_debian() {
	local ver dir
	ver=$(sh "$top/scripts/debian-kernel.sh") || return 1
	dir=$out/tree-debian
	copy_tree "$dir"
	if make -C "/lib/modules/$ver/build" M="$dir" W=1 modules >"$out/build-debian.log" 2>&1; then
		echo "ok build/debian-modules"
	else
		echo "not ok build/debian-modules # see $out/build-debian.log"
		return 1
	fi
	if grep -iE 'warning|error' "$out/build-debian.log" >&2; then
		echo "not ok build/no-warnings # see $out/build-debian.log"
	else
		echo "ok build/no-warnings"
	fi
	# kernel-doc of the public headers: no warning.
	if perl "/lib/modules/$ver/build/scripts/kernel-doc" -none -Werror \
		"$top/include/xen_slab_cache.h" "$top/drivers/net/xen-slab-netfront/xen_slab_netfront.h" >&2; then
		echo "ok build/kernel-doc"
	else
		echo "not ok build/kernel-doc"
	fi
	check_ko "$dir/drivers/xen/slab-cache/xen_slab_cache.ko"
	check_ko "$dir/drivers/net/xen-slab-netfront/xen_slab_netfront.ko"
	check_ko "$dir/tests/bench/xsc_bench.ko"
}

kunit_tests() {
	local kbuild dir
	kbuild=$(bash "$top/scripts/build-kunit-kernel.sh") || return 1
	dir=$out/tree-kunit
	copy_tree "$dir"
	[ -z "${XSC_SOAK_MS:-}" ] || echo "$XSC_SOAK_MS" >"$out/soak-ms"
	make -C "$kbuild" M="$dir" modules >"$out/build-kunit.log" 2>&1 || { cat "$out/build-kunit.log" >&2; return 1; }
	# xen_slab_cache_kunit last: its final suite provokes a KASAN report,
	# which taints the kernel and turns lockdep off.
	bash "$top/scripts/mkinitramfs.sh" --out "$out/kunit.gz" --script "$top/tests/qemu/guest-kunit.sh" \
		--module "$kbuild/lib/kunit/kunit.ko" \
		--module "$dir/drivers/xen/slab-cache/xen_slab_cache.ko" \
		--module "$dir/drivers/net/xen-slab-netfront/xen_slab_netfront.ko" \
		--module "$dir/tests/kunit/xsn_netfront_kunit.ko" \
		--module "$dir/tests/kunit/xen_slab_cache_kunit.ko" \
		--file "$top/tests/qemu/guest-kunit-setup.sh:/setup.sh" \
		${XSC_SOAK_MS:+--file "$out/soak-ms:/xsc-soak-ms"} >&2
	# Four CPUs: the soak takes CPUs offline and back while it runs.
	bash "$top/tests/qemu/run-guest.sh" --guest kunit --name kunit --initrd "$out/kunit.gz" \
		--log "$out/kunit.log" --timeout $((900 + ${XSC_SOAK_MS:-0} / 1000)) --smp 4
}

insmod_tests() {
	local guest=$1 expect=none dir=$out/tree-debian bench=()
	case $guest in xen-*) expect=xen ;; esac
	echo "$expect" >"$out/expect-$guest"
	# The benchmark module's load-and-print smoke (tiny counts, about 1 s).
	[ "$guest" = plain ] && bench=(--file "$dir/tests/bench/xsc_bench.ko:/bench/xsc_bench.ko")
	bash "$top/scripts/mkinitramfs.sh" --out "$out/$guest.gz" --script "$top/tests/qemu/guest-insmod.sh" \
		--module "$dir/drivers/xen/slab-cache/xen_slab_cache.ko" \
		--module "$dir/tests/smoke/xsc_smoke.ko" \
		--file "$out/expect-$guest:/expect-hypervisor" "${bench[@]}" >&2
	bash "$top/tests/qemu/run-guest.sh" --guest "$guest" --name "$guest" --initrd "$out/$guest.gz" \
		--log "$out/$guest.log" --timeout 400
}

# A small guest under memory pressure: the shrinker gives slabs back.
pressure_test() {
	local dir=$out/tree-debian
	bash "$top/scripts/mkinitramfs.sh" --out "$out/pressure.gz" --script "$top/tests/qemu/guest-pressure.sh" \
		--module "$dir/drivers/xen/slab-cache/xen_slab_cache.ko" \
		--module "$dir/tests/smoke/xsc_pressure.ko" >&2
	bash "$top/tests/qemu/run-guest.sh" --guest plain --name pressure --initrd "$out/pressure.gz" \
		--log "$out/pressure.log" --timeout 300 --mem 256
}

# netfront_tests GUEST: the netfront example's loopback run in a Xen dom0
# (xen-pv or xen-pvh): 100,000 verified rx packets per grant mode.
netfront_tests() {
	local guest=$1 type=PV dir=$out/tree-debian rc=0
	[ "$guest" = xen-pvh ] && type=PVH
	echo "$type" >"$out/netfront-type-$guest"
	echo 100000 >"$out/netfront-packets"
	bash "$top/scripts/mkinitramfs.sh" --out "$out/netfront-$guest.gz" \
		--script "$top/tests/qemu/guest-netfront.sh" \
		--module "$dir/drivers/xen/slab-cache/xen_slab_cache.ko" \
		--module "$dir/drivers/net/xen-slab-netfront/xen_slab_netfront.ko" \
		--file "$dir/tests/netfront/xsn_loopback.ko:/netfront/xsn_loopback.ko" \
		--file "$out/netfront-packets:/netfront/packets" \
		--file "$out/netfront-type-$guest:/netfront/guest-type" >&2
	bash "$top/tests/qemu/run-guest.sh" --guest "$guest" --name "netfront-$guest" \
		--initrd "$out/netfront-$guest.gz" --log "$out/netfront-$guest.log" --timeout 400 || rc=$?
	grep -a 'XSN-RESULT: ' "$out/netfront-$guest.log" | sed 's/^.*XSN-RESULT: /# XSN-RESULT: /'
	return $rc
}

step deps bash -c "bash '$top/scripts/install-deps.sh' >&2 && echo 'ok deps/installed'"
step host host_tests
step build build_debian
step kunit kunit_tests
step plain insmod_tests plain
step xen-pv insmod_tests xen-pv
step xen-pvh insmod_tests xen-pvh
step pressure pressure_test
step netfront-xen-pv netfront_tests xen-pv
step netfront-xen-pvh netfront_tests xen-pvh
step harness bash "$top/tests/harness/selftest.sh"
if [ -f "$top/tests/dkms/test.sh" ]; then
	step dkms bash "$top/tests/dkms/test.sh"
fi

passed=$(grep -c '^ok ' "$results")
failed=$(grep -c '^not ok ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
