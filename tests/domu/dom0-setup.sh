# /setup.sh of the dom0 image (tests/domu/run.sh): before the test, start
# the Xen user space that `xl` needs.  /init has mounted proc, sysfs,
# devtmpfs, debugfs and /tmp.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts   # xenconsoled needs ptys
mount -t tmpfs tmpfs /run
mkdir -p /run/xen /run/xenstored /run/lock /var/lib/xenstored /var/lib/xen /var/log/xen/console
while read -r m; do
	insmod "/xen/modules/$m" || echo "XSC-INSMOD-FAIL $m (dom0 Xen module)"
done </xen/modules/order
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid
n=0
until xenstore-exists /local 2>/dev/null || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
xen-init-dom0 || echo "XSC-DOM0: xen-init-dom0 failed"
xenconsoled --pid-file=/run/xen/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console ||
	echo "XSC-DOM0: xenconsoled failed"
echo "XSC-DOM0: tools ready at $(cut -d' ' -f1 /proc/uptime) s"
