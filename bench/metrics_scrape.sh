#!/usr/bin/env bash
# What a Prometheus scrape of GET /metrics costs the daemon (docs/metrics.md, docs/performance.md):
# a generated map of SENSORS simulated sensors and RELAYS relays (200 channels by default), scraped
# SCRAPES times over one keep-alive connection with curl. The daemon's CPU comes from
# /proc/PID/stat (utime + stime); the same wall time idle before the scrapes is measured too and
# taken off, so what the sensors cost by themselves does not count as scraping.
#   bench/metrics_scrape.sh                          150 sensors at 1/s, 50 relays, 500 scrapes
#   SENSORS=150 RELAYS=50 RATE=1 SCRAPES=500 BUILD=build bench/metrics_scrape.sh
# Prints one line: channels, bytes and samples per page, promtool's verdict, daemon CPU per
# scrape, idle CPU over the same time, and the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
sensors=${SENSORS:-150}
relays=${RELAYS:-50}
rate=${RATE:-1}
scrapes=${SCRAPES:-500}
warmup=${WARMUP:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/hwb-metrics-scrape-XXXXXX")
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$dir"' EXIT
{
  printf 'bridge:\n  name: metrics scrape\n  limits:\n    connection_rate: 0\ndevices:\n  - id: sim\n    driver: sim\nsensors:\n'
  for i in $(seq 1 "$sensors"); do
    printf '  - id: s%d\n    device: sim\n    unit: "°C"\n    signal: sine\n    low: 0\n    high: 100\n    period: 60s\n    rate: %s\n' "$i" "$rate"
  done
  printf 'relays:\n'
  for i in $(seq 1 "$relays"); do
    printf '  - id: r%d\n    device: sim\n    latency: 0ms\n' "$i"
  done
} > "$dir/map.yaml"
"$build/hwbridge" "$dir/map.yaml" --listen 127.0.0.1:0 > "$dir/log" 2>&1 &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p' "$dir/log" | head -n 1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the daemon did not start:" >&2; cat "$dir/log" >&2; exit 1; }
url="http://127.0.0.1:$port/metrics"
sleep "$warmup"  # every sensor has a reading, so every series is on the page
curl -sf "$url" > "$dir/page"
bytes=$(stat -c %s "$dir/page")
samples=$(grep -vc '^#' "$dir/page")
if command -v promtool >/dev/null; then
  lint=$(promtool check metrics < "$dir/page" 2>&1 | head -n 3 | tr '\n' ' ')
  lint=${lint:-clean}
else
  lint="promtool not installed"
fi
cpu() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"; }  # utime + stime, ticks
hz=$(getconf CLK_TCK)
for _ in $(seq 1 "$scrapes"); do echo "url = \"$url\""; done > "$dir/curl.conf"  # one connection, kept alive
start_ns=$(date +%s%N)
before=$(cpu)
curl -sf -K "$dir/curl.conf" > /dev/null
after=$(cpu)
wall_ns=$(($(date +%s%N) - start_ns))
scrape_ticks=$((after - before))
# The same wall time without scrapes: what the sensors and timers cost meanwhile.
idle_before=$(cpu)
sleep "$(awk -v ns="$wall_ns" 'BEGIN { printf "%.3f", ns / 1e9 }')"
idle_ticks=$(($(cpu) - idle_before))
awk -v s="$sensors" -v r="$relays" -v n="$scrapes" -v b="$bytes" -v m="$samples" -v t="$scrape_ticks" -v i="$idle_ticks" \
    -v hz="$hz" -v w="$wall_ns" -v lint="$lint" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  per = (t - i) / hz / n * 1000
  printf "%d channels (%d sensors, %d relays): %d bytes, %d samples per page, promtool %s; %d scrapes in %.2f s: daemon CPU %.2f s (idle over the same time %.2f s), %.2f ms per scrape; load %s\n",
    s + r, s, r, b, m, lint, n, w / 1e9, t / hz, i / hz, per, load
}'
