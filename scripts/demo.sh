#!/usr/bin/env bash
# make demo: boot Xen 4.17 with the Debian kernel as PV dom0 in QEMU, load
# xen_slab_cache, drive a cache of page-sized buffers and print its
# statistics from inside the guest once a second; then run the netfront
# example (xen_slab_netfront with its loopback backend) with traffic and
# print its two caches' statistics the same way.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/demo
bash "$top/scripts/install-deps.sh"

ver=$(sh "$top/scripts/debian-kernel.sh")
rm -rf "$out"
mkdir -p "$out/tree"
(cd "$top" && tar -cf - Kbuild drivers include scripts tests/bench tests/smoke tests/netfront) | tar -xf - -C "$out/tree"
echo "demo: building the modules for $ver"
make -s -C "/lib/modules/$ver/build" M="$out/tree" modules >"$out/build.log" 2>&1 ||
	{ cat "$out/build.log"; exit 1; }

bash "$top/scripts/mkinitramfs.sh" --out "$out/demo.gz" --script "$top/tests/qemu/guest-demo.sh" \
	--module "$out/tree/drivers/xen/slab-cache/xen_slab_cache.ko" \
	--module "$out/tree/drivers/net/xen-slab-netfront/xen_slab_netfront.ko" \
	--file "$out/tree/tests/smoke/xsc_smoke.ko:/demo/xsc_smoke.ko" \
	--file "$out/tree/tests/netfront/xsn_loopback.ko:/demo/xsn_loopback.ko"
echo "demo: booting Xen 4.17 + Linux $ver as PV dom0 under QEMU (about 20 s)"
rc=0
bash "$top/tests/qemu/run-guest.sh" --guest xen-pv --name demo --initrd "$out/demo.gz" \
	--log "$out/console.log" --timeout 300 >"$out/results" || rc=$?
grep -a 'XSC-DEMO: ' "$out/console.log" | sed 's/^.*XSC-DEMO: //'
grep -a '(XEN) Xen version' "$out/console.log" | head -n 1 | sed 's/^.*(XEN) /Xen: /'
cat "$out/results"
echo "demo: full console in $out/console.log"
exit $rc
