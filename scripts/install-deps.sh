#!/usr/bin/env bash
# Install the Debian packages the build and the test ladder need.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

packages=(
	build-essential gcc-12 g++-12 make python3 git
	bc flex bison libelf-dev libssl-dev dwarves rsync
	kmod cpio busybox-static dkms
	qemu-system-x86 qemu-utils
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	xen-hypervisor-4.17-amd64 xen-utils-4.17
	googletest libgtest-dev libbenchmark-dev valgrind
	clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Installing a kernel or Xen must not try to touch a boot loader on a build machine.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
