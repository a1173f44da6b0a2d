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
	xen-hypervisor-4.17-amd64 xen-utils-4.17 qemu-system-xen
	googletest libgtest-dev libbenchmark-dev valgrind
	clang libclang-rt-14-dev
)

cache=${XSC_CACHE_DIR:-/var/cache/xen-slab-cache}
kernels=${XSC_KERNELS:-6.1 6.12 7.3}
start=$SECONDS

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	# Installing a kernel or Xen must not try to touch a boot loader on a build machine.
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The newer kernels come from Debian's backports suites: bookworm-backports
# (6.12 LTS, built for Debian 12) and trixie-backports (linux-source-7.3).
# Both are pinned below every installed package (priority 1 and -1), so
# that apt never upgrades anything from them; the packages needed are
# fetched with `apt-get download` and unpacked under the cache, never
# installed.
case " $kernels " in *" 6.12 "*|*" 7.3 "*) ;; *) exit 0 ;; esac

sources=/etc/apt/sources.list.d/xen-slab-cache.sources
prefs=/etc/apt/preferences.d/xen-slab-cache
want_sources='Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
want_prefs='Package: *
Pin: release n=bookworm-backports
Pin-Priority: 1

Package: *
Pin: release n=trixie-backports
Pin-Priority: -1'
if [ "$(cat "$sources" 2>/dev/null)" != "$want_sources" ] ||
	[ "$(cat "$prefs" 2>/dev/null)" != "$want_prefs" ] ||
	! apt-cache show linux-source-7.3 >/dev/null 2>&1; then
	echo "install-deps: adding bookworm-backports and trixie-backports (pinned: nothing is upgraded from them)"
	echo "$want_prefs" >"$prefs"
	echo "$want_sources" >"$sources"
	apt-get update -qq
fi

mkdir -p "$cache/debs"
# newest PACKAGE SUITE: the newest version of PACKAGE in SUITE.
newest() {
	apt-cache madison "$1" | awk -v s="$2" '$0 ~ " " s "/" { print $3 }' | sort -V | tail -n 1
}
# fetch PACKAGE VERSION: the .deb in the cache (downloaded once).
fetch() {
	local deb
	deb=$(ls "$cache/debs/${1}_${2/:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		echo "install-deps: fetching $1 $2" >&2
		(cd "$cache/debs" && apt-get download -qq "$1=$2" 2>&1 | grep -v 'unsandboxed' >&2 || true)
		deb=$(ls "$cache/debs/${1}_${2/:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
		[ -n "$deb" ] || { echo "install-deps: could not fetch $1 $2" >&2; return 1; }
	fi
	echo "$deb"
}

# Debian's 6.12 for bookworm (built with gcc-12): image, headers, kbuild,
# unpacked into one private root; the headers' Makefile names the common
# headers by absolute path, which is pointed into that root.
get_6_12() {
	local meta abi dir p deb
	meta=$(newest linux-image-amd64 bookworm-backports)
	abi=$(apt-cache show "linux-image-amd64=$meta" 2>/dev/null |
		sed -n 's/^Depends: linux-image-\([^ ]*\) .*/\1/p' | head -n 1)
	case $abi in 6.12.*-amd64) ;; *) echo "install-deps: bookworm-backports has no 6.12 kernel (${abi:-none})" >&2; return 1 ;; esac
	dir=$cache/kernel-${abi}
	[ ! -f "$dir/.xsc-unpacked" ] || return 0
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for p in "linux-image-$abi-unsigned" "linux-headers-$abi" \
		"linux-headers-${abi%-amd64}-common" "linux-kbuild-${abi%-amd64}"; do
		deb=$(fetch "$p" "$meta") && dpkg-deb -x "$deb" "$dir/root" || return 1
	done
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$dir/root/usr/src/linux-headers-$abi/Makefile"
	echo "linux-image-$abi-unsigned $meta" >"$dir/.xsc-unpacked"
}

# The 7.3 source only: scripts/build-kernel.sh builds it with the system gcc.
get_7_3() {
	local ver dir deb
	ver=$(newest linux-source-7.3 trixie-backports)
	if [ -z "$ver" ]; then
		echo "install-deps: trixie-backports has no linux-source-7.3 (any more)" >&2
		return 1
	fi
	dir=$cache/pkg/linux-source-7.3_$ver
	[ ! -f "$dir/.xsc-unpacked" ] || return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	deb=$(fetch linux-source-7.3 "$ver") && dpkg-deb -x "$deb" "$dir" || return 1
	touch "$dir/.xsc-unpacked"
}

# A kernel that cannot be had is not fatal here: make check then reports
# "not ok <series>/kernel/ready" and runs the other kernels (an unpacked
# copy already in the cache is still used).
case " $kernels " in *" 6.12 "*)
	get_6_12 || echo "install-deps: WARNING: no Debian 6.12 kernel fetched; the 6.12 steps will fail" >&2
	;;
esac
case " $kernels " in *" 7.3 "*)
	get_7_3 || echo "install-deps: WARNING: no linux-source-7.3 fetched; the 7.3 steps will fail" >&2
	;;
esac

echo "install-deps: ready in $((SECONDS - start)) s; kernel packages: $(du -sh "$cache/debs" | cut -f1), cache in all: $(du -sh "$cache" | cut -f1)"
