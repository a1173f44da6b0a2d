# Runs inside a benchmark guest (scripts/bench.sh) after /init loaded
# xen_slab_cache.ko: loads the benchmark module with the arguments in
# /bench-args (its table goes to the console), then checks that the table
# came out whole.
t() { if eval "$2"; then echo "XSC-TEST: ok $1"; else echo "XSC-TEST: not ok $1"; fi; }

args=$(cat /bench-args 2>/dev/null)
# shellcheck disable=SC2086 # word splitting of the module arguments is wanted
t bench-loads 'insmod /bench/xsc_bench.ko $args'
t bench-complete 'dmesg | grep -q "XSC-BENCH: end .* status=0"'
t bench-no-failed-cell '! dmesg | grep -q "XSC-BENCH: failed"'
t bench-unloads 'rmmod xsc_bench'
