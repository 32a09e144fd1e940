#!/usr/bin/env bash
# Installs every build and test dependency of vsrv from Debian 12's archive.
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config git musl-tools
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libseccomp-dev libcap-dev catch2
  libarchive-dev libext2fs-dev libnl-3-dev libnl-route-3-dev libnftables-dev
  busybox-static runc podman containerd util-linux procps iproute2 tmux
  # tests: template archives (tar, gzip, xz, zstd, bzip2), disk images
  # (e2fsck, dumpe2fs), a terminal (script), system calls of vsrv (strace)
  tar gzip zstd bzip2 e2fsprogs diffutils bsdutils strace
  # tests/vm (vm.cgroup_v2): a qemu VM booting Debian's kernel on cgroup v2
  qemu-system-x86 linux-image-amd64 cpio xz-utils binutils
  clang libclang-rt-14-dev
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
