# /setup.sh of the vif image (tests/vif/run.sh): the Xen modules, xenfs and
# xenstored, before /init loads this project's modules.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t tmpfs tmpfs /run
mkdir -p /run/xenstored /run/netns /var/lib/xenstored
while read -r m; do
	insmod "/xen/modules/$m" || echo "XSC-INSMOD-FAIL $m (dom0 Xen module)"
done </xen/modules/order
mount -t xenfs xenfs /proc/xen
/usr/lib/xen-4.17/bin/xenstored --pid-file /run/xenstored.pid
# Without a xenstored a client waits for ever on the kernel's xenbus device.
n=0
until timeout 5 xenstore-exists /local 2>/dev/null || [ $n -ge 20 ]; do sleep 0.5; n=$((n + 1)); done
if timeout 5 xenstore-exists /local 2>/dev/null; then
	: >/run/xenstored.ok
	echo "XSC-VIF: xenstored ready at $(cut -d' ' -f1 /proc/uptime) s"
else
	echo "XSC-VIF: xenstored did not start"
fi
