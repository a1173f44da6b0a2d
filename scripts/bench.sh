#!/usr/bin/env bash
# In-kernel benchmark (make bench): builds the modules against a kernel
# (default Debian 12's 6.1; --kernel 7.3 for SLUB with per-CPU sheaves),
# boots it as a plain QEMU guest and as a Xen 4.17 PV dom0 (both TCG,
# two CPUs) with xen_slab_cache.ko and tests/bench/xsc_bench.ko, and prints
# the two tables side by side with the performance targets (docs/performance.md).
# Timings under TCG are not hardware timings: read the ratios, which are
# measured in one boot on one kernel.
#
# Usage: scripts/bench.sh [--kernel SERIES] [--guests "plain xen-pv"]
#                         [--args "MODULE ARGS"] [--out DIR] [--logs-from DIR]
#
#   --kernel     the kernel series (scripts/kernel.sh: 6.1, 6.12, 7.3; default 6.1)
#   --guests     guests to boot (plain, xen-pv, xen-pvh; default "plain xen-pv")
#   --args       xsc_bench module arguments (iters=, reps=, deep_objects=,
#                pc_objects=); default: the module's defaults
#   --out        where the tree, images and console logs go (default
#                build/bench/SERIES); the report is also saved as report.txt there
#   --logs-from  skip building and booting: report from the console logs
#                DIR/<guest>.log of an earlier run
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

guests="plain xen-pv" args='' out='' logs_from='' series=6.1
cmdline="scripts/bench.sh${*:+ $*}"
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) series=${2:?}; shift 2 ;;
	--guests) guests=${2:?}; shift 2 ;;
	--args) args=${2?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--logs-from) logs_from=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "bench: unknown argument: $1" >&2; usage ;;
	esac
done
out=${out:-$top/build/bench/$series}
mkdir -p "$out"
out=$(cd "$out" && pwd)

info=$(bash "$top/scripts/kernel.sh" "$series") || exit 1
eval "$info"
ver=$release
logs=()
if [ -n "$logs_from" ]; then
	for g in $guests; do
		logs+=("$g=$logs_from/$g.log")
	done
else
	tree=$out/tree
	rm -rf "$tree"
	mkdir -p "$tree"
	(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		Kbuild Makefile drivers include scripts tests) | tar -xf - -C "$tree"
	echo "# building the modules for $ver" >&2
	make -C "$kdir" M="$tree" W=1 modules >"$out/build.log" 2>&1 ||
		{ tail -n 30 "$out/build.log" >&2; exit 1; }
	printf '%s\n' "$args" >"$out/bench-args"
	bash "$top/scripts/mkinitramfs.sh" --out "$out/bench.gz" --script "$top/tests/bench/guest-bench.sh" \
		--module "$tree/drivers/xen/slab-cache/xen_slab_cache.ko" \
		--file "$tree/tests/bench/xsc_bench.ko:/bench/xsc_bench.ko" \
		--file "$out/bench-args:/bench-args"
	for g in $guests; do
		echo "# load before $g: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
		# The guest's result lines (did the module load and finish) go to stderr.
		bash "$top/tests/qemu/run-guest.sh" --guest "$g" --name "bench-$g" --initrd "$out/bench.gz" \
			--kernel "$image" --log "$out/$g.log" --timeout 1500 >&2 ||
			echo "# bench-$g: the guest reported a failure; see $out/$g.log" >&2
		logs+=("$g=$out/$g.log")
	done
fi

{
	echo "# command: $cmdline${args:+ (module arguments: $args)}"
	echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'), source $(git -C "$top" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
	echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u | head -n 1)," \
		"load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# guests: Linux $ver ($origin), $(qemu-system-x86_64 --version | head -n 1), TCG, -smp 2;" \
		"Xen $(dpkg-query -W -f='${Version}' xen-hypervisor-4.17-amd64 2>/dev/null || echo '?') for xen-pv"
	# What the kmem_cache column is: SLUB has per-CPU sheaves (Bonwick
	# magazines, with a per-node barn of full and empty ones) in front of
	# every cache since 7.0.
	case $ver in
	[7-9].*|[1-9][0-9].*) echo "# kmem_cache: SLUB with per-CPU sheaves and a barn (7.0 and later)" ;;
	*) echo "# kmem_cache: SLUB with per-CPU slabs and partial lists (no sheaves before 7.0)" ;;
	esac
	python3 "$top/scripts/bench-report.py" "${logs[@]}"
} | tee "$out/report.txt"
