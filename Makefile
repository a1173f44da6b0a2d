# SPDX-License-Identifier: GPL-2.0
#
# xen-slab-cache.  `make` builds the modules against KDIR; `make check` runs
# every test; `make demo` boots Xen in QEMU and shows a cache at work;
# `make bench` prints the benchmark tables (never part of `make check`).
KDIR ?= $(shell $(CURDIR)/scripts/kdir.sh)

.PHONY: all modules clean install load unload check soak demo host-test bench bench-host bench-kernel bench-net

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

# Only the cache module is installed, not the test modules beside it;
# modules_install runs depmod.
install:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers/xen/slab-cache modules modules_install

load: modules
	insmod drivers/xen/slab-cache/xen_slab_cache.ko

unload:
	rmmod xen_slab_cache

host-test:
	$(MAKE) -C tests/host check

check:
	bash scripts/check.sh

# The KUnit suites with a 4-minute concurrency soak (CPU hotplug included;
# KUnit in 6.1 gives a test case 300 s at most) and 100000 fuzzer runs
# instead of check's 3 s and 3000.
SOAK_MS ?= 240000
soak:
	XSC_STEPS="deps host kunit" XSC_SOAK_MS=$(SOAK_MS) FUZZ_RUNS=100000 bash scripts/check.sh

demo:
	bash scripts/demo.sh

# Host benchmarks of the core: callgrind instruction counts, Google
# Benchmark, the policy comparison (scripts/bench-host.sh).
bench-host:
	bash scripts/bench-host.sh

# The in-kernel benchmark (scripts/bench.sh: a plain guest and a Xen PV dom0
# side by side; BENCH_ARGS passes options to it), then the host benchmarks.
bench-kernel:
	bash scripts/bench.sh $(BENCH_ARGS)

# The vif frontend against the stock xen-netfront on one vif device of one
# domU, both served by the stock xen-netback (scripts/bench-net.sh;
# BENCH_NET_ARGS passes options to it).
bench-net:
	bash scripts/bench-net.sh $(BENCH_NET_ARGS)

bench: bench-kernel
	$(MAKE) bench-net
	$(MAKE) bench-host
