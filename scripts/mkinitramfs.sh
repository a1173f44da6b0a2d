#!/usr/bin/env bash
# Build a small gzip'd cpio initramfs for test guests.
#
# Usage: mkinitramfs.sh --out FILE.gz --script GUEST_SCRIPT
#                       [--module PATH.ko]... [--file SRC:DEST]...
#                       [--tree DIR]...
#
# The image holds static busybox (with applet links), the modules in
# /modules (loaded in the given order), the guest script as /test.sh and an
# /init that mounts proc/sys/dev/debugfs/tmp, prints XSC-BOOTED, runs
# /setup.sh if a --file put one there, loads the
# modules (XSC-INSMOD-FAIL <name> <rc> on failure), runs the script, reports
# kmemleak findings (lines prefixed XSC-KMEMLEAK:), prints XSC-DONE and
# reboots (run QEMU with -no-reboot so that ends the guest).
# --tree DIR copies DIR's contents onto the image's root (programs with
# their libraries, configuration).
set -euo pipefail

usage() { sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

out='' script=''
modules=() files=() trees=()
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?}; shift 2 ;;
	--script) script=${2:?}; shift 2 ;;
	--module) modules+=("${2:?}"); shift 2 ;;
	--file) files+=("${2:?}"); shift 2 ;;
	--tree) trees+=("${2:?}"); shift 2 ;;
	-h|--help) usage ;;
	*) echo "mkinitramfs: unknown argument: $1" >&2; usage ;;
	esac
done
if [ -z "$out" ] || [ -z "$script" ]; then usage; fi
[ -f "$script" ] || { echo "mkinitramfs: no such script: $script" >&2; exit 1; }
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "mkinitramfs: $busybox missing (busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,modules,root}
# Trees first: busybox's applet links (absolute symlinks into the image)
# go only where a tree put nothing, and nothing is ever copied through them.
for d in "${trees[@]}"; do
	[ -d "$d" ] || { echo "mkinitramfs: no such directory: $d" >&2; exit 1; }
	cp -a --remove-destination "$d/." "$root/"
done
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
# The kernel opens /dev/console for init before devtmpfs is mounted.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

: >"$root/modules/order"
for m in "${modules[@]}"; do
	name=$(basename "$m")
	[ -f "$m" ] || { echo "mkinitramfs: no such module: $m" >&2; exit 1; }
	[ ! -e "$root/modules/$name" ] || { echo "mkinitramfs: duplicate module: $name" >&2; exit 1; }
	cp "$m" "$root/modules/$name"
	echo "$name" >>"$root/modules/order"
done

for f in "${files[@]}"; do
	src=${f%%:*} dest=${f#*:}
	if [ "$src" = "$f" ] || [ "${dest#/}" = "$dest" ]; then
		echo "mkinitramfs: --file wants SRC:/ABS/DEST, got $f" >&2
		exit 1
	fi
	mkdir -p "$root$(dirname "$dest")"
	cp -rL --remove-destination "$src" "$root$dest"
done

cp "$script" "$root/test.sh"
cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
echo "XSC-BOOTED $(uname -r)"

leaks=/sys/kernel/debug/kmemleak
if [ -e $leaks ]; then
	# Forget what boot left behind before the modules load: no automatic
	# scans, let boot objects reach kmemleak's minimum age (5 s), report
	# them quietly (two scans: the first only records checksums), clear.
	echo scan=off >$leaks
	read -r level _ </proc/sys/kernel/printk
	echo 5 >/proc/sys/kernel/printk
	sleep 5
	echo scan >$leaks
	echo scan >$leaks
	echo "XSC-KMEMLEAK-BASELINE: $(grep -c '^unreferenced object' $leaks) boot objects ignored"
	echo clear >$leaks
	echo "$level" >/proc/sys/kernel/printk
fi

[ ! -f /setup.sh ] || sh /setup.sh

while read -r m; do
	rc=0
	insmod "/modules/$m" || rc=$?
	[ "$rc" -eq 0 ] || echo "XSC-INSMOD-FAIL $m $rc"
done </modules/order

cd /tmp
rc=0
sh /test.sh || rc=$?
echo "XSC-SCRIPT-RC $rc"

if [ -e $leaks ]; then
	# Let the objects the test leaked reach the minimum age, scan twice.
	sleep 6
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	sed 's/^/XSC-KMEMLEAK: /' $leaks
fi
echo XSC-DONE
cd /
sync
reboot -f
poweroff -f
echo o >/proc/sysrq-trigger
EOF
chmod 755 "$root/init" "$root/test.sh"

# Fixed timestamps and sorted names keep the image byte-identical across runs.
find "$root" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$out.tmp"
mv "$out.tmp" "$out"
