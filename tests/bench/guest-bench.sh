# Runs inside a benchmark guest (scripts/bench.sh) after /init loaded
# xen_slab_cache.ko: loads the benchmark module with the arguments in
# /bench-args (its table goes to the console), then checks that the table
# came out whole.
# shellcheck shell=sh disable=SC2016,SC2034 # t() evaluates its quoted test
t() { if eval "$2"; then echo "XSC-TEST: ok $1"; else echo "XSC-TEST: not ok $1"; fi; }

args=$(cat /bench-args 2>/dev/null)
# $args is split into the module's arguments on purpose.
t bench-loads 'insmod /bench/xsc_bench.ko $args'
t bench-complete 'dmesg | grep -q "XSC-BENCH: end .* status=0"'
t bench-no-failed-cell '! dmesg | grep -q "XSC-BENCH: failed"'
t bench-unloads 'rmmod xsc_bench'
