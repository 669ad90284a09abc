#!/usr/bin/env bash
# Bytes the history store makes the daemon write, per hour (docs/history.md, "Bytes written"):
# SENSORS simulated sensors at RATE readings/s, the database on this machine's disk (not tmpfs:
# /proc/PID/io write_bytes counts what reaches the block layer's page cache for a file system
# that writes back, which tmpfs never does), measured over DURATION seconds after a WARMUP.
#   bench/history_io.sh                         20 sensors at 1/s, flush 5s, 1200 s
#   SENSORS=20 RATE=1 FLUSH=30s DURATION=600 BUILD=build bench/history_io.sh
# Prints one line: flush, sensors, rate, seconds, write_bytes, bytes per hour, database and WAL size.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
sensors=${SENSORS:-20}
rate=${RATE:-1}
flush=${FLUSH:-5s}
duration=${DURATION:-1200}
warmup=${WARMUP:-10}
dir=$(mktemp -d "${WORKDIR:-$PWD/$build}/history-io-XXXXXX")
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
{
  printf 'bridge:\n  name: history io\ndevices:\n  - id: sim\n    driver: sim\nsensors:\n'
  for i in $(seq 1 "$sensors"); do
    printf '  - id: s%d\n    device: sim\n    signal: sine\n    low: 0\n    high: 100\n    period: 60s\n    noise: 0.5\n    rate: %s\n' "$i" "$rate"
  done
  printf 'history:\n  path: %s/history.db\n  flush: %s\n' "$dir" "$flush"
} > "$dir/map.yaml"
"$build/hwbridge" "$dir/map.yaml" --listen 127.0.0.1:0 > "$dir/log" 2>&1 &
pid=$!
sleep "$warmup"
before=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
sleep "$duration"
after=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
written=$((after - before))
per_hour=$((written * 3600 / duration))
db=$(stat -c %s "$dir/history.db")
wal=$(stat -c %s "$dir/history.db-wal" 2>/dev/null || echo 0)
echo "flush $flush, $sensors sensors at $rate/s, ${duration} s: write_bytes $written, $per_hour bytes/h ($((per_hour / 1024)) KiB/h); history.db $db bytes, WAL $wal bytes; load $(cut -d' ' -f1-3 /proc/loadavg)"
