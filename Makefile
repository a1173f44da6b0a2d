# SPDX-License-Identifier: GPL-2.0
#
# xen-slab-cache.  `make` builds the modules against KDIR; `make check` runs
# every test; `make demo` boots Xen in QEMU and shows a cache at work.
KDIR ?= $(shell $(CURDIR)/scripts/kdir.sh)
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

.PHONY: all modules clean install load unload check demo host-test

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)

load: modules
	insmod drivers/xen/slab-cache/xen_slab_cache.ko

unload:
	rmmod xen_slab_cache

host-test:
	$(MAKE) -C tests/host check

check:
	bash scripts/check.sh

demo:
	bash scripts/demo.sh
