#!/usr/bin/env bash
# make demo: boot Xen 4.17 with a Linux kernel as PV dom0 in QEMU, load
# xen_slab_cache, drive a cache of page-sized buffers and print its
# statistics from inside the guest once a second; then run the netfront
# example (xen_slab_netfront with its loopback backend) with traffic and
# print its two caches' statistics the same way.  Last, the same kernel as
# an HVM guest that dom0 starts with `xl create` shows its caches from
# inside, beside dom0's `xl list` (tests/domu/run.sh --demo; about 2 min).
#
# The kernel: XSC_DEMO_KERNEL (6.1, 6.12 or 7.3) if set, else the newest
# that is ready without building anything: 7.3 if its build is cached,
# else 6.12 (Debian's, unpacked by install-deps.sh), else 6.1.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/demo
bash "$top/scripts/install-deps.sh"

series=${XSC_DEMO_KERNEL:-}
if [ -z "$series" ]; then
	if bash "$top/scripts/build-kernel.sh" --source 7.3 --flavour guest --if-built >/dev/null 2>&1; then
		series=7.3
	elif bash "$top/scripts/kernel.sh" 6.12 >/dev/null 2>&1; then
		series=6.12
	else
		series=6.1
	fi
fi
info=$(bash "$top/scripts/kernel.sh" "$series") || exit 1
eval "$info"
echo "demo: kernel $release ($origin); XSC_DEMO_KERNEL=6.1|6.12|7.3 picks another"
rm -rf "$out"
mkdir -p "$out/tree"
(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	Kbuild drivers include scripts tests/bench tests/smoke tests/netfront tests/domu) | tar -xf - -C "$out/tree"
echo "demo: building the modules for $release"
make -s -C "$kdir" M="$out/tree" modules >"$out/build.log" 2>&1 ||
	{ cat "$out/build.log"; exit 1; }

bash "$top/scripts/mkinitramfs.sh" --out "$out/demo.gz" --script "$top/tests/qemu/guest-demo.sh" \
	--module "$out/tree/drivers/xen/slab-cache/xen_slab_cache.ko" \
	--module "$out/tree/drivers/net/xen-slab-netfront/xen_slab_netfront.ko" \
	--file "$out/tree/tests/smoke/xsc_smoke.ko:/demo/xsc_smoke.ko" \
	--file "$out/tree/tests/netfront/xsn_loopback.ko:/demo/xsn_loopback.ko"
echo "demo: booting Xen 4.17 + Linux $release as PV dom0 under QEMU (about 20 s)"
rc=0
bash "$top/tests/qemu/run-guest.sh" --guest xen-pv --name demo --initrd "$out/demo.gz" \
	--kernel "$image" --log "$out/console.log" --timeout 300 >"$out/results" || rc=$?
grep -a 'XSC-DEMO: ' "$out/console.log" | sed 's/^.*XSC-DEMO: //'
grep -a '(XEN) Xen version' "$out/console.log" | head -n 1 | sed 's/^.*(XEN) /Xen: /'
cat "$out/results"
echo "demo: full console in $out/console.log"

echo "demo: an HVM domU with Linux $release, started by xl in a PV dom0 (Debian's 6.1) under QEMU (about 2 min)"
bash "$top/tests/domu/run.sh" --type hvm --demo --name demo-hvm --tree "$out/tree" \
	--kernel "$image" --netfront "$netfront" --out "$out/hvm" >"$out/hvm-results" || rc=$?
# Second by second: the domU's caches, then dom0's `xl list` at that moment.
{ grep -a 'XSC-DEMO: domU' "$out/hvm/console.log.domU"; grep -a 'XSC-DEMO: dom0 ' "$out/hvm/console.log.dom0"; } |
	sed 's/^.*XSC-DEMO: //' | awk '{ t = 0; if (match($0, / t=[0-9]+s /)) t = substr($0, RSTART + 3, RLENGTH - 5) + 0; print t "\t" NR "\t" $0 }' |
	sort -n -k1,1 -k2,2 | cut -f3-
grep -E '^(ok|not ok|# .*(RETRY|XSC-DOM))' "$out/hvm-results"
echo "demo: consoles in $out/hvm/console.log.dom0 and $out/hvm/console.log.domU"
exit $rc
