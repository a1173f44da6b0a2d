#!/bin/sh
# Print the version of the newest Debian kernel installed in /boot (the
# kernel that test guests boot and test modules are built for; the host's
# own running kernel is not a Debian one).  Fails when there is none.
kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
if [ -z "$kernel" ]; then
	echo "debian-kernel: no /boot/vmlinuz-* (install linux-image-amd64)" >&2
	exit 1
fi
echo "${kernel#/boot/vmlinuz-}"
