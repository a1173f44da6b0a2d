#!/usr/bin/env bash
# One domU step: Xen 4.17 under QEMU with Debian 12's kernel as PV dom0,
# which starts an unprivileged guest with `xl create` (PV, PVH or HVM) and
# the stock xen-netback as its vif's backend; the domU loads this project's
# modules and runs tests/domu/domu-test.sh.  Both consoles go through the
# console checker.
#
# Usage: tests/domu/run.sh --type pv|pvh|hvm --tree BUILT_TREE
#                          --kernel DOMU_BZIMAGE --netfront XEN_NETFRONT_KO
#                          [--name NAME] [--out DIR] [--timeout SEC] [--demo]
#                          [--vcpus N] [--bench MIB,ROUNDS]
#
#   --tree      a tree with the modules built for the domU's kernel
#   --kernel    the domU's kernel; --netfront that kernel's xen-netfront.ko
#               (.ko.xz is unpacked)
#   --vcpus     the domU's vCPUs (default 2; with 1 the CPU hotplug checks
#               cannot run and say so)
#   --demo      make demo's part: the domU runs tests/domu/domu-demo.sh (its
#               caches' statistics) and dom0 prints `xl list` meanwhile
#   --bench     make bench-net's part: the domU runs tests/domu/domu-bench.sh
#               (MIB each way per frontend and round) and dom0 counts
#               xen-netback's grant operations
# Prints `ok NAME/...` lines for the domU, `ok NAME/dom0.../...` for dom0.
# Example (6.1 everywhere, after `make check` built build/check/6.1/tree):
#   tests/domu/run.sh --type hvm --tree build/check/6.1/tree \
#     --kernel /boot/vmlinuz-6.1.0-57-amd64 \
#     --netfront /lib/modules/6.1.0-57-amd64/kernel/drivers/net/xen-netfront.ko
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

type='' tree='' kernel='' netfront='' name='' out='' timeout=900 demo='' vcpus=2 bench=
while [ $# -gt 0 ]; do
	case $1 in
	--type) type=${2:?}; shift 2 ;;
	--tree) tree=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--netfront) netfront=${2:?}; shift 2 ;;
	--name) name=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--demo) demo=1; shift ;;
	--vcpus) vcpus=${2:?}; shift 2 ;;
	--bench) bench=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "domu: unknown argument: $1" >&2; usage ;;
	esac
done
case $type in pv|pvh|hvm) ;; *) usage ;; esac
for f in "$kernel" "$netfront" "$tree/drivers/xen/slab-cache/xen_slab_cache.ko" \
	"$tree/tests/domu/xsc_xgrant.ko"; do
	[ -f "$f" ] || { echo "domu: missing $f" >&2; exit 2; }
done
name=${name:-domu-$type}
out=${out:-$top/build/domu/$name}
mkdir -p "$out"
out=$(cd "$out" && pwd)
TYPE=$(echo "$type" | tr a-z A-Z)

# dom0 is always Debian 12's 6.1 with its own Xen modules: the stock
# xen-netback and gntdev are what a Debian host runs.
dom0_info=$(bash "$top/scripts/kernel.sh" 6.1)
dom0_kernel=$(eval "$dom0_info"; echo "$image")
kmod=/lib/modules/$(eval "$dom0_info"; echo "$release")/kernel

stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage"

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

# ---- the domU's image: /init loads xen_slab_cache and xsc_smoke (as the
# dom0 insmod steps do), then runs domu-test.sh.
u=$stage/domu-files
mkdir -p "$u/domu" "$u/netfront"
case $netfront in
*.xz) xz -dc "$netfront" >"$u/domu/xen-netfront.ko" ;;
*) cp "$netfront" "$u/domu/xen-netfront.ko" ;;
esac
for m in drivers/net/xen-slab-netfront/xen_slab_netfront.ko \
	drivers/net/xen-slab-netfront/xen_slab_vif.ko tests/smoke/xsc_pressure.ko \
	tests/smoke/xsc_cpufill.ko tests/domu/xsc_xgrant.ko; do
	cp "$tree/$m" "$u/domu/"
done
cp "$top/tests/qemu/guest-insmod.sh" "$u/domu/insmod.sh"
cp "$top/tests/qemu/guest-netfront.sh" "$u/domu/netfront.sh"
cp "$top/tests/qemu/guest-pressure.sh" "$u/domu/pressure.sh"
cp "$top/tests/vif/vif-lib.sh" "$u/domu/vif-lib.sh"
cp "$tree/tests/netfront/xsn_loopback.ko" "$u/netfront/"
echo 100000 >"$u/netfront/packets"
echo "$TYPE" >"$u/netfront/guest-type"
echo "$TYPE" >"$u/domu/guest-type"
echo xen >"$u/expect-hypervisor"
# xenstore's client, to ask dom0 for things (xl vcpu-set).
copy_bin /usr/bin/xenstore "$u"
script=$here/domu-test.sh
[ -z "$demo" ] || script=$here/domu-demo.sh
if [ -n "$bench" ]; then
	script=$here/domu-bench.sh
	echo "${bench%,*}" >"$u/domu/bench-mb"
	echo "${bench#*,}" >"$u/domu/bench-rounds"
fi
bash "$top/scripts/mkinitramfs.sh" --out "$stage/domu.gz" --script "$script" \
	--module "$tree/drivers/xen/slab-cache/xen_slab_cache.ko" \
	--module "$tree/tests/smoke/xsc_smoke.ko" --tree "$u"

# ---- dom0's image: the Xen tools, the domU's kernel, image and config.
r=$stage/dom0-files
mkdir -p "$r/run" "$r/xen/modules" "$r/guest" "$r/etc/xen/scripts" "$r/var/lib/xen" "$r/var/log/xen"
ln -s /run "$r/var/run"
ln -s /run/lock "$r/var/lock"
copy_bin /bin/ip "$r" /sbin/ip
for b in xl xenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper; do
	copy_bin "/usr/lib/xen-4.17/bin/$b" "$r"
done
copy_bin /usr/bin/xenstore "$r"
# glibc loads libgcc_s for pthread_cancel; ldd does not list it, xl aborts without it.
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$r/lib/x86_64-linux-gnu/"
for c in read write ls list rm exists chmod watch; do ln -sf xenstore "$r/usr/bin/xenstore-$c"; done
: >"$r/xen/modules/order"
for m in drivers/xen/xen-privcmd.ko drivers/xen/xenfs/xenfs.ko drivers/xen/xen-evtchn.ko \
	drivers/xen/xen-gntdev.ko drivers/xen/xen-gntalloc.ko drivers/net/xen-netback/xen-netback.ko; do
	cp "$kmod/$m" "$r/xen/modules/"
	basename "$m" >>"$r/xen/modules/order"
done
gcc -O2 -Wall -Wextra -Werror -o "$stage/xsc-gntcheck" "$here/xsc-gntcheck.c"
copy_bin "$stage/xsc-gntcheck" "$r" /usr/bin/xsc-gntcheck
printf 'autoballoon="off"\nrun_hotplug_scripts=1\nlockfile="/var/lock/xl"\n' >"$r/etc/xen/xl.conf"
cp "$here/vif-xsc" "$r/etc/xen/scripts/vif-xsc"
cp "$kernel" "$r/guest/vmlinuz"
cp "$stage/domu.gz" "$r/guest/domu.gz"
if [ -n "$bench" ]; then echo 1500; else echo 600; fi >"$r/guest/limit"
[ -z "$demo" ] || : >"$r/guest/demo"
[ -z "$bench" ] || echo "${bench%,*}" >"$r/guest/bench"

# 256 MiB and two vCPUs (CPU 1 is taken away and given back).  A PVH or
# HVM guest under TCG has printed "XSAVE consistency problem" with a
# WARNING at boot: it gets no XSAVE.
{
	echo "name = \"xsc-$type\""
	echo "type = \"$type\""
	echo 'kernel = "/guest/vmlinuz"'
	echo 'ramdisk = "/guest/domu.gz"'
	echo 'memory = 256'
	echo "vcpus = $vcpus"
	echo 'vif = [ "mac=00:16:3e:00:00:01,type=vif,script=/etc/xen/scripts/vif-xsc" ]'
	echo 'on_poweroff = "destroy"'
	echo 'on_reboot = "destroy"'
	echo 'on_crash = "destroy"'
	[ "$type" = pv ] || echo 'cpuid = "host,xsave=0"'
	if [ "$type" = hvm ]; then
		# The console is the PV one (hvc0, through xenconsoled) as for
		# PV and PVH: an emulated UART costs a trip to the device model
		# per byte, and the guest has triple-faulted in the middle of
		# one under TCG.
		echo 'device_model_version = "qemu-xen"'
		echo 'cmdline = "console=hvc0 panic=-1"'
		echo 'serial = "none"'
		echo 'vnc = 0'
		echo 'sdl = 0'
		echo 'vga = "none"'
	else
		echo 'extra = "console=hvc0 panic=-1"'
	fi
} >"$r/guest/domu.cfg"
if [ "$type" = hvm ]; then
	# The device model (Debian's qemu-system-xen), hvmloader, SeaBIOS and
	# QEMU's option ROMs for direct kernel boot.
	dm=/usr/libexec/xen-qemu-system-i386
	[ -x "$dm" ] || { echo "domu: no $dm (package qemu-system-xen)" >&2; exit 2; }
	copy_bin "$dm" "$r"
	mkdir -p "$r/usr/lib/xen-4.17/boot" "$r/usr/share/qemu/keymaps"
	cp /usr/lib/xen-4.17/boot/hvmloader "$r/usr/lib/xen-4.17/boot/"
	cp -a /usr/share/seabios "$r/usr/share/"
	cp /usr/share/qemu/{linuxboot.bin,linuxboot_dma.bin,kvmvapic.bin} "$r/usr/share/qemu/"
	cp /usr/share/qemu/keymaps/en-us "$r/usr/share/qemu/keymaps/"
	for k in common modifiers; do
		[ ! -f "/usr/share/qemu/keymaps/$k" ] || cp "/usr/share/qemu/keymaps/$k" "$r/usr/share/qemu/keymaps/"
	done
fi
bash "$top/scripts/mkinitramfs.sh" --out "$out/dom0.gz" --script "$here/dom0-test.sh" \
	--file "$here/dom0-setup.sh:/setup.sh" --tree "$r"
echo "# $name: dom0 image $(du -h "$out/dom0.gz" | cut -f1) (domU image $(du -h "$stage/domu.gz" | cut -f1))"
rm -rf "$stage"

# A PV domU runs on QEMU's default CPU; PVH and HVM need SVM with nested
# paging (the xen-pv-hap guest of run-guest.sh).
guest=xen-pv
[ "$type" = pv ] || guest=xen-pv-hap
exec bash "$top/tests/qemu/run-guest.sh" --guest "$guest" --domu --name "$name" \
	--initrd "$out/dom0.gz" --kernel "$dom0_kernel" --mem 2048 \
	--log "$out/console.log" --timeout "$timeout"
