#!/usr/bin/env bash
# Build the test kernel (KUnit as a module, Xen guest support, KASAN, lockdep,
# kmemleak, fail_page_alloc) from Debian's linux-source-6.1 and print the path
# of its build directory.
#
# The build is cached outside the checkout, keyed by the source package version
# and the config fragment, so a second run only prints the path.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
config="$here/tests/kunit/kunitconfig"
cache=${XSC_CACHE_DIR:-/var/cache/xen-slab-cache}
jobs=${JOBS:-$(nproc)}
tarball=/usr/src/linux-source-6.1.tar.xz

[ -f "$tarball" ] || { echo "build-kunit-kernel: $tarball missing (run scripts/install-deps.sh)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$srcver"; cat "$config" "$0"; } | sha256sum | cut -c1-16)
src="$cache/linux-source-$srcver"
out="$cache/kunit-$key"

if [ -f "$out/.xsc-built" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$src/.xsc-unpacked" ]; then
	echo "build-kunit-kernel: unpacking linux-source $srcver" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.xsc-unpacked"
	mv "$src.tmp" "$src"
fi

if [ ! -f "$out/.xsc-built" ]; then
	echo "build-kunit-kernel: building $out (a few minutes on 2 cores)" >&2
	rm -rf "$out"
	mkdir -p "$out"
	cp "$config" "$out/.kunitconfig"
	(cd "$src" && python3 tools/testing/kunit/kunit.py config --arch=x86_64 \
		--build_dir="$out" --kunitconfig="$out/.kunitconfig") >&2
	make -C "$src" O="$out" ARCH=x86_64 -j"$jobs" bzImage modules >"$out/build.log" 2>&1 ||
		{ tail -n 50 "$out/build.log" >&2; exit 1; }
	touch "$out/.xsc-built"
fi
echo "$out"
