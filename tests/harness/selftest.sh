#!/usr/bin/env bash
# Check that tests/qemu/run-guest.sh catches a WARN and an oops at module
# load, and passes a clean boot, on the plain Debian kernel.
#
# Usage: tests/harness/selftest.sh
#
# Also that a WARN a test announced (XSC-EXPECT: WARN <text>) passes, and that
# an announced WARN that never comes fails.
#
# Prints ok/not ok harness/<case> for each; exits 0 iff all are ok. Logs are kept (and their directory printed)
# only when something fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ver=$(sh "$top/scripts/debian-kernel.sh") || { echo "# selftest: no /boot/vmlinuz-*"; exit 1; }
kbuild=/lib/modules/$ver/build

work=$(mktemp -d)
keep=''
trap '[ -n "$keep" ] || rm -rf "$work"' EXIT

mkdir "$work/src"
cp "$here/Kbuild" "$here"/*.c "$work/src/"
if ! make -C "$kbuild" M="$work/src" W=1 >"$work/build.log" 2>&1; then
	sed 's/^/# /' "$work/build.log" | tail -n 30
	keep=1
	for t in detects-warn detects-oops clean-boot-passes; do
		echo "not ok harness/$t # module build failed (log in $work)"
	done
	exit 1
fi

echo 'echo XSC-TEST: ok loaded' >"$work/test.sh"
# Announces the WARN, then loads the module that fires it.
cat >"$work/announced.sh" <<'EOS'
echo "XSC-EXPECT: WARN xsc_harness_warn: deliberate warning" >/dev/kmsg
insmod /harness/xsc_harness_warn.ko && echo XSC-TEST: ok loaded
EOS
# Announces a WARN that never comes.
cat >"$work/missing.sh" <<'EOS'
echo "XSC-EXPECT: WARN xsc_harness_warn: deliberate warning" >/dev/kmsg
echo XSC-TEST: ok loaded
EOS
failed=0

# check TEST MODULE EXPECT [SCRIPT]: boot with MODULE (may be empty) and
# expect run-guest.sh to report a failing console (bad), a failing
# expected-reports result (unmet), or all ok (good).
check() {
	local test=$1 module=$2 expect=$3 script=${4:-$work/test.sh} args=() rc=0 verdict=''
	[ -z "$module" ] || args=(--module "$work/src/$module.ko")
	args+=(--file "$work/src/xsc_harness_warn.ko:/harness/xsc_harness_warn.ko")
	bash "$top/scripts/mkinitramfs.sh" --out "$work/$test.gz" --script "$script" "${args[@]}"
	bash "$top/tests/qemu/run-guest.sh" --guest plain --name "$test" \
		--initrd "$work/$test.gz" --log "$work/$test.log" >"$work/$test.out" 2>&1 || rc=$?
	sed 's/^/# /' "$work/$test.out"
	if [ "$expect" = unmet ]; then
		grep -q "^not ok $test/expected-reports " "$work/$test.out" || verdict='no failing expected-reports result'
		[ "$rc" -ne 0 ] || verdict="${verdict:+$verdict, }run-guest.sh exited 0"
	elif [ "$expect" = bad ]; then
		grep -q "^not ok $test/console " "$work/$test.out" || verdict='no failing console result'
		[ "$rc" -ne 0 ] || verdict="${verdict:+$verdict, }run-guest.sh exited 0"
	else
		grep -q "^ok $test/console$" "$work/$test.out" || verdict='console not ok'
		grep -q "^ok $test/loaded$" "$work/$test.out" || verdict="${verdict:+$verdict, }no ok loaded"
		[ "$rc" -eq 0 ] || verdict="${verdict:+$verdict, }run-guest.sh exited $rc"
	fi
	if [ -z "$verdict" ]; then
		echo "ok harness/$test"
	else
		echo "not ok harness/$test # $verdict (logs in $work)"
		failed=1 keep=1
	fi
}

check detects-warn xsc_harness_warn bad
check detects-oops xsc_harness_oops bad
check clean-boot-passes '' good
check announced-warn-passes '' good "$work/announced.sh"
check announced-warn-missing-fails '' unmet "$work/missing.sh"
exit "$failed"
