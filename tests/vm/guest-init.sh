#!/bin/sh
# /init of the test VM (tests/vm/vm-cgroup-v2.sh): a pure cgroup v2 hierarchy
# owning every controller, then every test binary listed in /etc/vm-tests,
# one result line each on the console, then power off.
#
# Console protocol (read by the host side):
#   VM-TEST <name> rc=<code> secs=<seconds>     one per test
#   VM-OUT <name> <line>                        output of a failed test, and
#                                               every test's "measured" lines
#   VM-RESULT failed=<n> total=<n> uptime=<s>   last line before power-off
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /root /sys/fs/cgroup
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# /tmp stays on the initramfs (a tmpfs): test binaries may live below it.
mount -t tmpfs tmpfs /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
for m in /lib/modules/*.ko; do [ -e "$m" ] && insmod "$m"; done
ip link set lo up

# As systemd does: the init leaves the root cgroup for a leaf, and the root
# hands every controller to its children.
mkdir /sys/fs/cgroup/init
echo $$ > /sys/fs/cgroup/init/cgroup.procs
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || echo "vm-init: cannot enable $c"
done
echo "VM-INFO kernel=$(uname -r) cpus=$(nproc) controllers=$(cat /sys/fs/cgroup/cgroup.subtree_control | tr ' ' ,) uptime=$(cut -d' ' -f1 /proc/uptime)"

failed=0 total=0
while read -r test; do
  [ -n "$test" ] || continue
  name=${test##*/}
  total=$((total + 1))
  start=$(cut -d' ' -f1 /proc/uptime)
  "$test" > "/tmp/$name.out" 2>&1
  rc=$?
  end=$(cut -d' ' -f1 /proc/uptime)
  echo "VM-TEST $name rc=$rc secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
  grep -i "measured\|busy loop used" "/tmp/$name.out" | sed "s/^/VM-OUT $name /"
  if [ "$rc" != 0 ]; then
    failed=$((failed + 1))
    tail -n 60 "/tmp/$name.out" | sed "s/^/VM-OUT $name /"
  fi
done < /etc/vm-tests
echo "VM-RESULT failed=$failed total=$total uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
