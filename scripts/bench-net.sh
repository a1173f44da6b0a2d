#!/usr/bin/env bash
# make bench-net: the same transfers through the stock xen-netfront and
# through xen_slab_vif (kept grants, per-request grants), on one vif device
# of one domU (started by `xl create` in a Debian 6.1 PV dom0, all under
# QEMU TCG) against the stock xen-netback, in one boot, in rounds; then the
# table (scripts/bench-net-report.py): throughput, the domU's CPU time per
# MB, the frontend's grants per packet and xen-netback's grant operations
# and grant-table hypercalls per packet, each with its ratio to the stock
# frontend.  Timings under TCG are not hardware timings: read the ratios.
#
# Usage: scripts/bench-net.sh [--kernel SERIES] [--type pv|hvm] [--mib N]
#                             [--rounds N] [--out DIR] [--logs-from DIR]
#
#   --kernel     the domU's kernel (scripts/kernel.sh: 6.1, 6.12, 7.3; default
#                6.1, whose Debian build has the kprobe events the grant
#                counts need); dom0 is always Debian's 6.1
#   --type       the domU's type (default pv)
#   --mib        MiB each way per frontend and round (default 32; rx fetches
#                them 4 times in one measurement)
#   --rounds     rounds of stock, kept, per-request (default 3)
#   --out        where the tree and the logs go (default build/bench-net/SERIES-TYPE);
#                the report is saved as report.txt there
#   --logs-from  skip building and booting: report from DIR/console.log.domU
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

series=6.1 type=pv mib=32 rounds=3 out='' logs_from=''
cmdline="scripts/bench-net.sh${*:+ $*}"
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) series=${2:?}; shift 2 ;;
	--type) type=${2:?}; shift 2 ;;
	--mib) mib=${2:?}; shift 2 ;;
	--rounds) rounds=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--logs-from) logs_from=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "bench-net: unknown argument: $1" >&2; usage ;;
	esac
done
case $type in pv|hvm) ;; *) usage ;; esac
out=${out:-$top/build/bench-net/$series-$type}
mkdir -p "$out"
out=$(cd "$out" && pwd)

info=$(bash "$top/scripts/kernel.sh" "$series") || exit 1
eval "$info"
log=$out/domu/console.log.domU
if [ -n "$logs_from" ]; then
	log=$logs_from/console.log.domU
else
	tree=$out/tree
	rm -rf "$tree"
	mkdir -p "$tree"
	(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		Kbuild Makefile drivers include scripts tests) | tar -xf - -C "$tree"
	echo "# building the modules for $release" >&2
	make -C "$kdir" M="$tree" W=1 modules >"$out/build.log" 2>&1 ||
		{ tail -n 30 "$out/build.log" >&2; exit 1; }
	t0=$SECONDS
	bash "$top/tests/domu/run.sh" --type "$type" --name "bench-net-$type" --tree "$tree" \
		--kernel "$image" --netfront "$netfront" --out "$out/domu" \
		--bench "$mib,$rounds" --timeout 2400 >"$out/run.out" 2>&1 || true
	echo "# guest run: $((SECONDS - t0)) s (results of the run: $out/run.out)" >&2
	grep -q 'XSC-BENCHNET-DONE' "$log" 2>/dev/null ||
		{ echo "bench-net: the domU did not finish; see $out/domu/console.log" >&2; exit 1; }
fi
python3 "$top/scripts/bench-net-report.py" --command "$cmdline" --kernel "$release" "$log" |
	tee "$out/report.txt"
