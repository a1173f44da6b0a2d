#!/usr/bin/env bash
# Where the tests find one kernel series, printed as shell assignments:
#
#   series=   6.1, 6.12 or 7.3
#   release=  its release string (uname -r; the vermagic of modules built for it)
#   kdir=     the build directory that out-of-tree modules build against
#   image=    the bzImage that test guests boot (plain QEMU and Xen dom0)
#   kunit=    1 when the series has a KUnit kernel (build-kernel.sh --flavour kunit)
#   netfront= the series' own xen-netfront module (.ko, or .ko.xz as Debian
#             ships 6.12's), for the domU steps
#   modules=  the tree of the series' own modules (xen-netback and the Xen
#             modules that are not built in), for the vif step
#   origin=   where it comes from, for the logs
#
# Usage: kernel.sh SERIES
#
#   6.1   Debian 12's kernel: linux-image-amd64 and linux-headers-amd64 (apt)
#   6.12  Debian's 6.12 LTS from bookworm-backports: the unsigned image,
#         headers and kbuild, unpacked under the cache by install-deps.sh
#   7.3   built here from trixie-backports' linux-source-7.3 (Debian's own
#         7.3 headers need gcc-14); the first call builds it (minutes)
#
# Nothing here downloads: scripts/install-deps.sh fetches the packages.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${XSC_CACHE_DIR:-/var/cache/xen-slab-cache}

series=${1:-}
case $series in
6.1)
	release=$(sh "$here/debian-kernel.sh")
	case $release in 6.1.*) ;; *) echo "kernel: /boot has $release, not 6.1" >&2; exit 1 ;; esac
	kdir=/lib/modules/$release/build
	image=/boot/vmlinuz-$release
	kunit=1
	netfront=/lib/modules/$release/kernel/drivers/net/xen-netfront.ko
	modules=/lib/modules/$release/kernel
	origin="Debian 12 linux-image-amd64 $(dpkg-query -W -f='${Version}' linux-image-amd64 2>/dev/null || true)"
	;;
6.12)
	root=$(ls -d "$cache"/kernel-6.12.*/root 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$root" ] || [ ! -f "${root%/root}/.xsc-unpacked" ]; then
		echo "kernel: no Debian 6.12 kernel under $cache (run scripts/install-deps.sh)" >&2
		exit 1
	fi
	image=$(ls "$root"/boot/vmlinuz-6.12.* | sort -V | tail -n 1)
	release=${image##*/vmlinuz-}
	kdir=$root/usr/src/linux-headers-$release
	kunit=0
	netfront=$root/lib/modules/$release/kernel/drivers/net/xen-netfront.ko.xz
	modules=$root/lib/modules/$release/kernel
	origin="Debian bookworm-backports, $(cat "${root%/root}/.xsc-unpacked")"
	;;
7.3)
	kdir=$(bash "$here/build-kernel.sh" --source 7.3 --flavour guest)
	image=$kdir/arch/x86/boot/bzImage
	release=$(cat "$kdir/include/config/kernel.release")
	kunit=1
	netfront=$kdir/drivers/net/xen-netfront.ko
	modules=$kdir/drivers
	origin="built from Debian trixie-backports linux-source-7.3 ($(basename "$kdir"))"
	;;
*)
	echo "usage: kernel.sh {6.1|6.12|7.3}" >&2
	exit 2
	;;
esac
[ -f "$image" ] || { echo "kernel: no image $image" >&2; exit 1; }
[ -f "$kdir/Makefile" ] || { echo "kernel: no build directory $kdir" >&2; exit 1; }
printf "series=%q\nrelease=%q\nkdir=%q\nimage=%q\nkunit=%q\nnetfront=%q\nmodules=%q\norigin=%q\n" \
	"$series" "$release" "$kdir" "$image" "$kunit" "$netfront" "$modules" "$origin"
