#!/bin/sh
# The kernel build directory to build against: the running kernel's when it
# has one (a real guest), otherwise the newest installed Debian kernel's.
running=/lib/modules/$(uname -r)/build
if [ -d "$running" ]; then
	echo "$running"
	exit 0
fi
newest=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)
if [ -z "$newest" ]; then
	echo "kdir: no kernel build directory under /lib/modules (install linux-headers-amd64)" >&2
	exit 1
fi
echo "$newest"
