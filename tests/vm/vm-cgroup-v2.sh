#!/usr/bin/env bash
# Runs the cgroup v2 tests for real: boots Debian's kernel in a throw-away
# qemu VM (software emulation unless told otherwise) with cgroup_no_v1=all,
# from an initramfs holding busybox, the vsrv binary and the test binaries
# (debug info stripped, shared libraries copied in as ldd lists them, every
# file at its host path so that compiled-in paths such as VSRV_BINARY hold),
# and reports each test's result. guest-init.sh is the VM's /init.
#
# Usage: vm-cgroup-v2.sh [options] TEST...   (test binaries, or shell scripts)
#   --vsrv FILE      the vsrv binary the tests drive (required)
#   --kernel FILE    bzImage to boot (default: the newest /boot/vmlinuz-*)
#   --cache DIR      keep the unpacked kernel here between runs (default: none)
#   --mem MB         guest memory (default 1024)
#   --smp N          guest CPUs (default 2)
#   --timeout SEC    give up after SEC seconds (default 240)
#   --accel SPEC     qemu -accel (default: $VSRV_VM_ACCEL, else tcg,thread=multi)
#   -v               copy the guest console to stderr as it runs
# Exit status: 0 when every test passed; 1 when one failed; 2 on bad usage or
# a missing host tool; 124 on timeout; 125 when the guest reported nothing.
set -euo pipefail

die() { echo "vm-cgroup-v2: $*" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
vsrv= kernel= cache= mem=1024 smp=2 timeout=240 accel= verbose=0
tests=()
while [ $# -gt 0 ]; do
  case "$1" in
    --vsrv) vsrv=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --accel) accel=$2; shift 2 ;;
    -v) verbose=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) tests+=("$1"); shift ;;
  esac
done
[ -n "$vsrv" ] && [ -x "$vsrv" ] || die "--vsrv: no executable vsrv binary given"
[ ${#tests[@]} -gt 0 ] || die "no test binary given"
for t in "${tests[@]}"; do [ -x "$t" ] || die "test binary $t is missing (build it first)"; done
need() { command -v "$1" >/dev/null || die "$1 not found: install $2 (scripts/install-deps.sh)"; }
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
need xz xz-utils
need strip binutils
need readelf binutils
if [ -z "$kernel" ]; then
  kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$kernel" ] || die "no kernel in /boot: install linux-image-amd64 (scripts/install-deps.sh)"
fi
[ -r "$kernel" ] || die "cannot read kernel $kernel"
busybox=/bin/busybox
readelf -l "$busybox" 2>/dev/null | grep -q INTERP && die "$busybox is not static: install busybox-static"

t0=$(date +%s.%N)
work=$(mktemp -d "${TMPDIR:-/tmp}/vsrv-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,lib/modules,usr/bin}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/guest-init.sh" "$root/init"
chmod 755 "$root/init"

# An ELF file at its host path, without debug info, with its libraries.
add_elf() {
  local src=$1 lib
  mkdir -p "$root$(dirname "$src")"
  strip --strip-debug -o "$root$src" "$src"
  for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ )]*'); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
add_elf "$(readlink -f "$vsrv")"
[ "$(readlink -f "$vsrv")" = "$vsrv" ] || { mkdir -p "$root$(dirname "$vsrv")"; ln -sf "$(readlink -f "$vsrv")" "$root$vsrv"; }
# The per-server monitor program sits next to vsrv (static: no libraries).
monitor=$(dirname "$(readlink -f "$vsrv")")/vsrv-monitor
[ -x "$monitor" ] && add_elf "$monitor"
add_elf /usr/bin/timeout  # the tests' harness bounds every vsrv command with it
: > "$root/etc/vm-tests"
for t in "${tests[@]}"; do
  t=$(readlink -f "$t")
  case "$t" in *.sh) mkdir -p "$root$(dirname "$t")"; cp "$t" "$root$t" ;; *) add_elf "$t" ;; esac
  echo "$t" >> "$root/etc/vm-tests"
done

# Kernel release: from the bzImage's setup header (0x20E: offset of the
# version string - 0x200).
ver_off=$(od -An -tu2 -j $((0x20E)) -N2 "$kernel" | tr -d ' ')
kver=$(dd if="$kernel" bs=1 skip=$((ver_off + 0x200)) count=128 status=none | tr '\0' ' ' | cut -d' ' -f1)
moddir=/lib/modules/$kver
# overlayfs (templates' root filesystems) and loop (the block device the
# blockIO tests throttle) are modules in Debian's kernel.
for m in overlay loop; do
  ko=$(find "$moddir/kernel" -name "$m.ko*" 2>/dev/null | head -n1)
  if [ -z "$ko" ]; then
    grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null || die "module $m not found in $moddir"
    continue
  fi
  case "$ko" in
    *.xz) xz -dc "$ko" > "$root/lib/modules/$m.ko" ;;
    *) cp "$ko" "$root/lib/modules/$m.ko" ;;
  esac
done

initrd=$work/initramfs.cpio
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$initrd"

# Under emulation, decompressing the kernel inside the guest costs seconds:
# unpack the ELF vmlinux here and boot it through its PVH entry point.
unpack_vmlinux() { # $1 bzImage, $2 output
  local setup_sects payload_off payload_len start magic
  setup_sects=$(od -An -tu1 -j $((0x1F1)) -N1 "$1" | tr -d ' ')
  [ "$setup_sects" -gt 0 ] || setup_sects=4
  payload_off=$(od -An -tu4 -j $((0x248)) -N4 "$1" | tr -d ' ')
  payload_len=$(od -An -tu4 -j $((0x24C)) -N4 "$1" | tr -d ' ')
  start=$(((setup_sects + 1) * 512 + payload_off))
  magic=$(od -An -tx1 -j "$start" -N6 "$1" | tr -d ' ')
  [ "$magic" = fd377a585a00 ] || return 1 # xz
  tail -c +$((start + 1)) "$1" | head -c "$payload_len" | xz -dc --single-stream > "$2" 2>/dev/null || true
  readelf -n "$2" 2>/dev/null | grep -q 'Xen.*0x00000012\|PHYS32_ENTRY'
}

# Software emulation unless asked: a /dev/kvm that opens is no proof that
# guests run (nested KVM without VMX hangs them).
[ -n "$accel" ] || accel=${VSRV_VM_ACCEL:-tcg,thread=multi}
case "$accel" in kvm*) cpu=host ;; *) cpu=max ;; esac
boot=$kernel
case "$accel" in
  tcg*)
    vmlinux=$work/vmlinux
    [ -n "$cache" ] && { mkdir -p "$cache"; vmlinux=$cache/vmlinux-$kver; }
    if [ -s "$vmlinux" ] || unpack_vmlinux "$kernel" "$vmlinux"; then
      boot=$vmlinux
    else
      rm -f "$vmlinux"
      echo "vm-cgroup-v2: cannot unpack $kernel for a PVH boot; booting the bzImage (slower)" >&2
    fi
    ;;
esac

cmdline="console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all rdinit=/init tsc=reliable"
cmdline="$cmdline no_timer_check i8042.noaux i8042.nokbd i8042.nopnp"
console=$work/console.log
t1=$(date +%s.%N)
set +e
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -serial stdio -no-reboot
      -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp"
      -kernel "$boot" -initrd "$initrd" -append "$cmdline")
if [ "$verbose" = 1 ]; then
  timeout --foreground -k 5 "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$console" >&2
  qrc=${PIPESTATUS[0]}
else
  timeout --foreground -k 5 "$timeout" "${qemu[@]}" </dev/null >"$console" 2>&1
  qrc=$?
fi
set -e
t2=$(date +%s.%N)

tr -d '\r' < "$console" | sed -n 's/^\(VM-INFO\|VM-TEST\|VM-OUT\|VM-RESULT\) /\1 /p'
awk -v a="$t0" -v b="$t1" -v c="$t2" -v acc="$accel" -v k="$(basename "$boot")" \
  'BEGIN { printf "vm-cgroup-v2: initramfs %.1f s, VM boot+tests %.1f s (%s, %s)\n", b - a, c - b, acc, k }'
result=$(tr -d '\r' < "$console" | sed -n 's/^VM-RESULT failed=\([0-9]*\) total=\([0-9]*\).*/\1 \2/p' | tail -n1)
if [ -z "$result" ]; then
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then echo "vm-cgroup-v2: timed out after ${timeout} s" >&2; exit 124; fi
  echo "vm-cgroup-v2: the guest reported no result (qemu exit $qrc); console tail:" >&2
  tr -d '\r' < "$console" | tail -n 40 >&2
  exit 125
fi
read -r failed total <<<"$result"
[ "$total" = "${#tests[@]}" ] || { echo "vm-cgroup-v2: $total of ${#tests[@]} tests ran" >&2; exit 1; }
[ "$failed" = 0 ] || exit 1
