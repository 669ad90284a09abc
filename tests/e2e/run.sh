#!/usr/bin/env bash
# Runs the web page's end-to-end tests: starts HWBRIDGE_BINARY on config/demo.yaml (any free
# port on 127.0.0.1), runs the node tests in Debian's Chromium against it, stops it again.
#   bash tests/e2e/run.sh build/src/app/hwbridge [tests/NAME.test.js ...]   (default: every test file)
# Needs: node 20+, /usr/bin/chromium (apt-get install chromium), and once: (cd tests/e2e && npm ci)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chromium="${HWB_CHROMIUM:-/usr/bin/chromium}"

fail() { echo "run.sh: $*" >&2; exit 2; }

[ $# -ge 1 ] || fail "usage: $0 HWBRIDGE_BINARY [TEST_FILE...]"
binary="$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")" || fail "no such binary: $1"
shift
files=()
for f in "$@"; do files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
[ -x "$binary" ] || fail "hwbridge binary '$binary' does not exist or is not executable (build the hwbridge target)"
command -v node >/dev/null || fail "node is not installed (need node 20 or newer)"
[ -d "$here/node_modules/playwright-core" ] || fail "tests/e2e/node_modules is missing: run 'cd $here && npm ci' first"
[ -x "$chromium" ] || fail "$chromium is missing: install Debian's chromium ('apt-get install -y chromium')"
newer="$(find "$root/web" -newer "$binary" -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) | head -n 3)"
[ -z "$newer" ] || echo "run.sh: warning: web/ files are newer than $binary (the page is embedded at build time; rebuild the hwbridge target):" $newer >&2
config="$root/config/demo.yaml"
[ -f "$config" ] || fail "demo device map $config is missing"

# Screenshots and the daemon's log. By default tests/e2e/output/, whose screenshots are the ones
# the docs show (run this script by hand to refresh them); CTest points it into the build folder
# so that running the suite does not rewrite tracked files.
out="${HWB_E2E_OUTPUT:-$here/output}"
export HWB_E2E_OUTPUT="$out"
mkdir -p "$out"
log="$out/hwbridge.log"
: > "$log"

# The demo keeps history (docs/history.md) the way it does under systemd: in $STATE_DIRECTORY.
state_dir="$(mktemp -d)"
STATE_DIRECTORY="$state_dir" "$binary" "$config" --listen 127.0.0.1:0 > "$log" 2>&1 &
daemon=$!
cleanup() {
  if kill -0 "$daemon" 2>/dev/null; then
    kill -TERM "$daemon" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon" 2>/dev/null
  fi
  wait "$daemon" 2>/dev/null
  rm -rf "$state_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=""
for _ in $(seq 100); do
  port="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log" | head -n 1)"
  [ -n "$port" ] && break
  kill -0 "$daemon" 2>/dev/null || { cat "$log" >&2; fail "hwbridge exited before listening (log above)"; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; fail "hwbridge did not log 'listening on http://127.0.0.1:PORT' within 10 s"; }

echo "run.sh: hwbridge (pid $daemon) listening on 127.0.0.1:$port; log in $log"
export HWB_BASE_URL="http://127.0.0.1:$port"
export HWB_BINARY="$binary"
export HWB_CHROMIUM="$chromium"

cd "$here"
[ ${#files[@]} -gt 0 ] || files=(tests/*.test.js)
node --test --test-concurrency=2 --test-timeout=60000 "${files[@]}"
status=$?
exit $status
