#!/usr/bin/env bash
# Host benchmarks of the allocator core (`make bench-host`): instructions per
# operation under callgrind (deterministic), Google Benchmark timings, and
# the policy comparison with producer/consumer.  Prints tables; never fails
# for being slow.
#
# Usage: scripts/bench-host.sh [--quick]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench-host
quick=
min_time=0.5
if [ "${1:-}" = --quick ]; then
	quick=--quick
	min_time=0.05
fi

make -s -C "$top/bench/host" OUT="$out" >&2

echo "# Host benchmarks of the allocator core"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "# compiler: $(${CXX:-g++} --version | head -n 1), -O2"
echo

# ir MODE N [CALLGRIND OPTIONS...]: instructions counted for one run.
ir() {
	local mode=$1 n=$2 file
	shift 2
	file=$out/callgrind.$mode.$n.$$
	valgrind --tool=callgrind --callgrind-out-file="$file" "$@" "$out/callgrind_ops" "$mode" "$n" 2>/dev/null
	sed -n 's/^summary: //p' "$file"
	rm -f "$file"
}

# ir_api MODE N FUNC...: from one run, the instructions counted and those
# inside the calls of FUNC (callgrind's inclusive cost), as "TOTAL API".
ir_api() {
	local mode=$1 n=$2 file
	shift 2
	file=$out/callgrind.$mode.$n.$$
	valgrind --tool=callgrind --callgrind-out-file="$file" "$out/callgrind_ops" "$mode" "$n" 2>/dev/null
	printf '%s ' "$(sed -n 's/^summary: //p' "$file")"
	callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null |
		sed -nE 's/^ *([0-9,]+) \( *[0-9.]+%\) +[^ ]*:([A-Za-z0-9_]+)( .*)?$/\2 \1/p' |
		awk -v fns="$*" 'BEGIN { n = split(fns, f, " "); for (i = 1; i <= n; i++) want[f[i]] = 1 }
			!($1 in seen) { seen[$1] = 1; v = $2; gsub(/,/, "", v); if ($1 in want) sum += v }
			END { print sum + 0 }'
	rm -f "$file"
}

# The benchmark platform's functions (xsc_platform.h), counted apart.
platform=()
for f in xsc_cpu_enter xsc_cpu_exit xsc_lock_irqsave xsc_unlock_irqrestore xsc_page_owner \
	xsc_pages_set_owner xsc_pages_clear_owner xsc_pages_alloc xsc_pages_free xsc_meta_alloc xsc_meta_free \
	xsc_meta_free_deferred xsc_run_on_cpu xsc_warn xsc_rcu_read_lock xsc_rcu_read_unlock; do
	platform+=("--toggle-collect=$f")
done

# Per object: the difference of two runs, so that setup is not counted.
n1=1000
n2=21000
caller=$(awk -v a="$(ir caller $n1)" -v b="$(ir caller $n2)" -v d=$((n2 - n1)) 'BEGIN { print (b - a) / d }')
echo "## Instructions per object (valgrind --tool=callgrind, $n1 and $n2 iterations, difference)"
echo "## 'total' counts everything per object; 'platform' is what the benchmark platform's"
echo "## functions (xsc_platform.h) execute; 'core' is total - platform - the caller's loop and calls"
echo "## ($caller instructions per iteration, measured with functions that return at once);"
echo "## 'in API' is what runs inside the API's calls, from their first instruction to their"
echo "## return (callgrind's inclusive cost of xen_slab_cache_get + _put, or of the bulk pair)."
printf '%-12s %-40s %8s %8s %8s %8s\n' mode what total platform core 'in API'
while read -r mode objects what; do
	# deep: an iteration is 256 gets and 256 puts.
	m1=$n1 m2=$n2
	case $mode in *deep) m1=10 m2=110 ;; esac
	pa=$(ir "$mode" $m1 --collect-atstart=no "${platform[@]}")
	pb=$(ir "$mode" $m2 --collect-atstart=no "${platform[@]}")
	if [ "$mode" = leaves ]; then
		fns="front_get front_put"
	elif [ "${mode#*deep}" != "$mode" ]; then
		fns="entry_get entry_put"
	elif [ "$objects" = 1 ]; then
		fns="xen_slab_cache_get xen_slab_cache_put"
	else
		fns="xen_slab_cache_get_bulk xen_slab_cache_put_bulk"
	fi
	read -r a ia < <(ir_api "$mode" $m1 $fns)
	read -r b ib < <(ir_api "$mode" $m2 $fns)
	awk -v m="$mode" -v w="$what" -v a="$a" -v b="$b" -v pa="$pa" -v pb="$pb" -v k="$objects" \
		-v ia="$ia" -v ib="$ib" -v d=$((m2 - m1)) -v caller="$caller" 'BEGIN {
		t = (b - a) / (d * k); p = (pb - pa) / (d * k); i = (ib - ia) / (d * k)
		printf "%-12s %-40s %8.1f %8.1f %8.1f %8.1f\n", m, w, t, p, t - p - caller / k, i }'
done <<'LIST'
pair 1 get+put pair, magazine hit (ours)
pair-2019 1 get+put pair, magazine hit (2019 policy)
leaves 1 kernel fast paths of a pair (re-entry guard)
bulk16 16 bulk get+put of 16, per object
bulk64 64 bulk get+put of 64, per object
slab-pair 1 get+put pair, slab path
slab-bulk16 16 slab path, bulk of 16, per object
slab-bulk64 64 slab path, bulk of 64, per object
deep 256 256 gets, 256 puts (kernel entries)
page-pair 1 as pair, page-sized objects (one a slab)
page-bulk16 16 as bulk16, page-sized objects
page-bulk64 64 as bulk64, page-sized objects
page-deep 256 as deep, page-sized objects
LIST
echo

echo "## Google Benchmark (median of 5 repetitions)"
"$out/bench_core" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
	--benchmark_min_time=$min_time 2>&1 | grep -E '^(Benchmark|-|BM_.*_median|BM_.*_cv)' || true
echo

"$out/bench_policies" $quick
