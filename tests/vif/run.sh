#!/usr/bin/env bash
# The vif frontend (xen_slab_vif.ko) against the stock xen-netback, both in
# one Xen PV dom0 under QEMU (the frontend attaches to a backend in its own
# domain): tests/vif/dom0-vif.sh runs in the dom0.
#
# Usage: tests/vif/run.sh --tree BUILT_TREE --kernel BZIMAGE --modules DIR
#                         [--name NAME] [--out DIR] [--timeout SEC] [--mb N]
#
#   --tree     a tree with the modules built for that kernel
#   --kernel   the dom0 kernel
#   --modules  that kernel's module tree (.../kernel or a build directory):
#              xen-netback and the Xen modules that are not built in come
#              from there (.ko or .ko.xz)
#   --mb       MiB moved each way per grant mode (default 20)
# Prints `ok NAME/...` lines.
# Example (6.1, after `make check` built build/check/6.1/tree):
#   tests/vif/run.sh --tree build/check/6.1/tree --kernel /boot/vmlinuz-6.1.0-57-amd64 \
#     --modules /lib/modules/6.1.0-57-amd64/kernel
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

tree='' kernel='' moddir='' name=vif-xen-pv out='' timeout=900 mb=20
while [ $# -gt 0 ]; do
	case $1 in
	--tree) tree=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--modules) moddir=${2:?}; shift 2 ;;
	--name) name=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--mb) mb=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "vif: unknown argument: $1" >&2; usage ;;
	esac
done
[ -n "$tree" ] && [ -f "$kernel" ] && [ -d "$moddir" ] || usage
for m in drivers/xen/slab-cache/xen_slab_cache.ko drivers/net/xen-slab-netfront/xen_slab_netfront.ko \
	drivers/net/xen-slab-netfront/xen_slab_vif.ko; do
	[ -f "$tree/$m" ] || { echo "vif: missing $tree/$m" >&2; exit 2; }
done
out=${out:-$top/build/vif/$name}
mkdir -p "$out"
out=$(cd "$out" && pwd)

r=$out/dom0-files
rm -rf "$r"
mkdir -p "$r/xen/modules" "$r/run" "$r/vif" "$r/var"
ln -s /run "$r/var/run"

# copy_bin SRC ROOT [DEST]: a program and every library ldd lists.
copy_bin() {
	local src=$1 root=$2 dst=${3:-$1} lib
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
	for lib in $(ldd "$src" | awk '/=>/ { print $3 } /^\t\/lib64/ { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_bin /bin/ip "$r" /sbin/ip
copy_bin /usr/lib/xen-4.17/bin/xenstored "$r"
copy_bin /usr/bin/xenstore "$r"
for c in read write ls list rm exists; do ln -sf xenstore "$r/usr/bin/xenstore-$c"; done

# The Xen modules that this kernel has as modules, in load order (xenfs
# needs privcmd), then xen-netback.
: >"$r/xen/modules/order"
for m in xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc xen-netback; do
	f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)
	if [ -z "$f" ]; then
		[ "$m" != xen-netback ] || { echo "vif: no xen-netback module under $moddir" >&2; exit 2; }
		continue	# built in
	fi
	case $f in
	*.xz) xz -dc "$f" >"$r/xen/modules/$m.ko" ;;
	*) cp "$f" "$r/xen/modules/$m.ko" ;;
	esac
	echo "$m.ko" >>"$r/xen/modules/order"
done
echo "$mb" >"$r/vif/mb"
cp "$here/vif-lib.sh" "$r/vif/lib.sh"

bash "$top/scripts/mkinitramfs.sh" --out "$out/dom0.gz" --script "$here/dom0-vif.sh" \
	--file "$here/dom0-setup.sh:/setup.sh" --tree "$r" \
	--module "$tree/drivers/xen/slab-cache/xen_slab_cache.ko" \
	--module "$tree/drivers/net/xen-slab-netfront/xen_slab_netfront.ko" \
	--module "$tree/drivers/net/xen-slab-netfront/xen_slab_vif.ko"
rm -rf "$r"
exec bash "$top/tests/qemu/run-guest.sh" --guest xen-pv --name "$name" \
	--initrd "$out/dom0.gz" --kernel "$kernel" --mem 1024 \
	--log "$out/console.log" --timeout "$timeout"
