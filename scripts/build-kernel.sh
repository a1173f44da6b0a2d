#!/usr/bin/env bash
# Build a test kernel from a Debian linux-source package and print the path
# of its build directory (an O= tree that out-of-tree modules build against).
#
# Usage: build-kernel.sh --source {6.1|7.3} --flavour {kunit|guest} [--if-built]
#
#   --if-built  print the path only if that kernel is built and cached
#               (exit 1 otherwise); never build
#
#   kunit   KUnit as a module, KASAN, lockdep, kmemleak, fail_page_alloc
#           (tests/kernel/kunit.config, through kunit.py config)
#   guest   plain QEMU, Xen PV and PVH dom0, no debug options
#           (tests/kernel/guest.config): for kernels Debian ships no
#           image of that Debian 12 can use (7.3)
#
# linux-source-6.1 comes from apt (scripts/install-deps.sh); other versions
# from the package that install-deps.sh fetched and unpacked under the cache.
# The build is cached in /var/cache/xen-slab-cache (XSC_CACHE_DIR), keyed by
# the source package version, the config fragment and the recipe version
# below, so a second run only prints the path.  Every line of the fragment must survive
# `make olddefconfig`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${XSC_CACHE_DIR:-/var/cache/xen-slab-cache}
jobs=${JOBS:-$(nproc)}

usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }
series='' flavour='' if_built=''
while [ $# -gt 0 ]; do
	case $1 in
	--source) series=${2:?}; shift 2 ;;
	--flavour) flavour=${2:?}; shift 2 ;;
	--if-built) if_built=1; shift ;;
	-h|--help) usage ;;
	*) echo "build-kernel: unknown argument: $1" >&2; usage ;;
	esac
done
case $flavour in kunit|guest) ;; *) usage ;; esac
[ -n "$series" ] || usage
config="$here/tests/kernel/$flavour.config"

if [ "$series" = 6.1 ]; then
	tarball=/usr/src/linux-source-6.1.tar.xz
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
else
	pkg=$(ls -d "$cache/pkg/linux-source-${series}_"*/.xsc-unpacked 2>/dev/null | sort -V | tail -n 1 || true)
	pkg=${pkg%/.xsc-unpacked}
	tarball=${pkg:+$pkg/usr/src/linux-source-$series.tar.xz}
	srcver=${pkg##*/linux-source-${series}_}
fi
if [ -z "$tarball" ] || [ ! -f "$tarball" ] || [ -z "$srcver" ]; then
	echo "build-kernel: no linux-source-$series (run scripts/install-deps.sh)" >&2
	exit 1
fi
# The key: what the kernel is built from.  Bump recipe when a change to
# this script changes what it builds.
recipe=1
key=$( { echo "$srcver $flavour $recipe"; cat "$config"; } | sha256sum | cut -c1-16)
src="$cache/linux-source-$srcver"
out="$cache/$flavour-$series-$key"

if [ -f "$out/.xsc-built" ]; then
	echo "$out"
	exit 0
fi
[ -z "$if_built" ] || exit 1

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$src/.xsc-unpacked" ]; then
	echo "build-kernel: unpacking linux-source $srcver" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.xsc-unpacked"
	mv "$src.tmp" "$src"
fi

if [ ! -f "$out/.xsc-built" ]; then
	echo "build-kernel: building $flavour kernel $srcver in $out (minutes on 2 cores)" >&2
	start=$SECONDS
	rm -rf "$out"
	mkdir -p "$out"
	if [ "$flavour" = kunit ]; then
		cp "$config" "$out/.kunitconfig"
		(cd "$src" && python3 tools/testing/kunit/kunit.py config --arch=x86_64 \
			--build_dir="$out" --kunitconfig="$out/.kunitconfig") >&2
	else
		grep '^CONFIG_' "$config" >"$out/.config"
		make -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null
		missing=$(grep '^CONFIG_' "$config" | while read -r line; do
			grep -qxF "$line" "$out/.config" || echo "$line"
		done)
		if [ -n "$missing" ]; then
			echo "build-kernel: olddefconfig dropped: $missing" >&2
			exit 1
		fi
	fi
	make -C "$src" O="$out" ARCH=x86_64 -j"$jobs" bzImage modules >"$out/build.log" 2>&1 ||
		{ tail -n 50 "$out/build.log" >&2; exit 1; }
	touch "$out/.xsc-built"
	echo "build-kernel: $flavour kernel $srcver built in $((SECONDS - start)) s" >&2
fi
echo "$out"
