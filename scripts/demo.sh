#!/usr/bin/env bash
# The README's first command: install dependencies, build, and show vsrv at
# work on the built-in busybox template (no network needed). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
V="$PWD/${BUILD_DIR:-build}/cli/vsrv"
ROOT=${VSRV_ROOT:-/run/vsrv}
DATA=${VSRV_DATA:-/var/lib/vsrv}
vsrv() { "$V" --root "$ROOT" --data "$DATA" "$@"; }
step() { printf '\n\033[1m$ vsrv'; printf ' %q' "$@"; printf '\033[0m\n'; }

cleanup() { for s in demo-web demo-lim demo-once; do vsrv delete --force "$s" 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup

if ! vsrv template list | grep -q '^busybox '; then
  step template busybox busybox
  vsrv template busybox busybox
fi
step template list
vsrv template list

cat > /tmp/vsrv-demo-once.yaml <<'YAML'
hostname: once
vsrv: {template: busybox}
process: {terminal: false, args: [sh, -c, "echo \"hostname=$(hostname) my pid=$$ processes=$(ps | wc -l)\"; ls /"]}
YAML
step run --rm -f once.yaml demo-once
vsrv run --rm -f /tmp/vsrv-demo-once.yaml demo-once
rm -f /tmp/vsrv-demo-once.yaml

step run -d -f examples/web.yaml demo-web
vsrv run -d -f examples/web.yaml demo-web
step run -d -f examples/limits.yaml demo-lim
vsrv run -d -f examples/limits.yaml demo-lim
step list
vsrv list
step exec demo-web -- wget -qO- http://127.0.0.1:8080/
for _ in 1 2 3 4 5 6 7 8 9 10; do
  vsrv exec demo-web -- wget -qO- http://127.0.0.1:8080/ 2>/dev/null && break
  sleep 0.1  # httpd may still be binding its port
done
step exec demo-lim -- sh -c 'ulimit -n; cat /proc/1/status | grep -E "^(NSpid|CapEff)"'
vsrv exec demo-lim -- sh -c 'ulimit -n; grep -E "^(NSpid|CapEff)" /proc/1/status'
step ps demo-web
vsrv ps demo-web
step stop -t 1 demo-web
vsrv stop -t 1 demo-web
step stop -t 1 demo-lim
vsrv stop -t 1 demo-lim
step list
vsrv list
step delete demo-web
vsrv delete demo-web
step delete demo-lim
vsrv delete demo-lim
step list
vsrv list
printf '\nDone: every server is gone (state, cgroups, overlay dirs).\n'
