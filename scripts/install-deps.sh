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
		[ -n "$deb" ] || { echo "install-deps: could not fetch $1 $2" >&2; exit 1; }
	fi
	echo "$deb"
}

case " $kernels " in *" 6.12 "*)
	# Debian's 6.12 for bookworm (built with gcc-12): image, headers, kbuild,
	# unpacked into one private root; the headers' Makefile names the
	# common headers by absolute path, which is pointed into that root.
	meta=$(newest linux-image-amd64 bookworm-backports)
	abi=$(apt-cache show "linux-image-amd64=$meta" | sed -n 's/^Depends: linux-image-\([^ ]*\) .*/\1/p' | head -n 1)
	case $abi in 6.12.*-amd64) ;; *) echo "install-deps: bookworm-backports has no 6.12 kernel ($abi)" >&2; exit 1 ;; esac
	dir=$cache/kernel-${abi}
	if [ ! -f "$dir/.xsc-unpacked" ]; then
		rm -rf "$dir"
		mkdir -p "$dir/root"
		for p in "linux-image-$abi-unsigned" "linux-headers-$abi" \
			"linux-headers-${abi%-amd64}-common" "linux-kbuild-${abi%-amd64}"; do
			dpkg-deb -x "$(fetch "$p" "$meta")" "$dir/root"
		done
		sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$dir/root/usr/src/linux-headers-$abi/Makefile"
		echo "linux-image-$abi-unsigned $meta" >"$dir/.xsc-unpacked"
	fi
	;;
esac

case " $kernels " in *" 7.3 "*)
	# The source only: scripts/build-kernel.sh builds it with the system gcc.
	ver=$(newest linux-source-7.3 trixie-backports)
	[ -n "$ver" ] || { echo "install-deps: trixie-backports has no linux-source-7.3" >&2; exit 1; }
	dir=$cache/pkg/linux-source-7.3_$ver
	if [ ! -f "$dir/.xsc-unpacked" ]; then
		rm -rf "$dir"
		dpkg-deb -x "$(fetch linux-source-7.3 "$ver")" "$dir"
		touch "$dir/.xsc-unpacked"
	fi
	;;
esac

echo "install-deps: ready in $((SECONDS - start)) s; kernel packages: $(du -sh "$cache/debs" | cut -f1), cache in all: $(du -sh "$cache" | cut -f1)"
