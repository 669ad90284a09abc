#!/usr/bin/env bash
# The benchmark: builds a release (RelWithDebInfo) daemon and the harness if needed, runs every
# scenario against the real daemon, writes bench/results/<date>/ (results.jsonl, summary.md,
# plots). See docs/performance.md.
#   bench/run.sh                 every scenario, 5 s each (about 6 minutes)
#   bench/run.sh --smoke         every scenario at its smallest size, 1 s each (CI: .ci/bench-smoke)
#   Environment: DURATION=S, OUT=DIR, BUILD=DIR, DAEMON_CPU=N, GENERATOR_CPU=N (-1: no pinning),
#   RT=1: generator and daemon run with real-time priority (chrt -f 10, needs root), so builds or
#   other work on a shared machine preempt them less; the kernel's own threads (the pty's
#   flush work) keep their normal priority.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
build=${BUILD:-build-bench}
duration=${DURATION:-$([ $smoke = 1 ] && echo 1 || echo 5)}
out=${OUT:-bench/results/$(date +%Y-%m-%d-%H%M%S)}
# Two cores or more: the daemon gets the last core, the generator the first. One core: no pinning.
cores=$(nproc)
daemon_cpu=${DAEMON_CPU:-$([ "$cores" -ge 2 ] && echo $((cores - 1)) || echo -1)}
generator_cpu=${GENERATOR_CPU:-$([ "$cores" -ge 2 ] && echo 0 || echo -1)}

if [ ! -x "$build/bench/hwb-loadgen" ] || [ ! -x "$build/bench/hwb-micro" ] || [ ! -x "$build/bench/hwb-floor-idle" ] || [ ! -x "$build/hwbridge" ] || [ -n "$(find src drivers web bench/loadgen bench/micro bench/CMakeLists.txt -newer "$build/bench/hwb-loadgen" -type f -print -quit)" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHWB_BUILD_TESTS="${HWB_BUILD_TESTS:-OFF}" -DHWB_BUILD_BENCH=ON ${CMAKE_ARGS:-} >/dev/null
  cmake --build "$build" -j2 --target hwbridge hwb-loadgen hwb-micro hwb-floor-idle
fi

mkdir -p "$out"
: > "$out/results.jsonl"
gen=("$build/bench/hwb-loadgen")
if [ "${RT:-0}" = 1 ]; then gen=(chrt -f 10 "$build/bench/hwb-loadgen"); fi
common=(--binary "$build/hwbridge" --maps bench/maps --out "$out" --duration "$duration"
        --daemon-cpu "$daemon_cpu" --generator-cpu "$generator_cpu")
failures=0
run() {
  if ! "${gen[@]}" "$@" "${common[@]}"; then
    echo "FAILED: hwb-loadgen $*" >&2
    failures=$((failures + 1))
  fi
}

{
  echo "date: $(date -Is)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "kernel: $(uname -r)"
  echo "cpus: $cores; daemon on cpu $daemon_cpu, generator on cpu $generator_cpu; real-time priority: ${RT:-0}"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  lscpu | grep -E 'Model name|^CPU\(s\)|Thread|MHz|L2|L3' || true
} > "$out/machine.txt"

if [ $smoke = 1 ]; then
  rates=(100); sizes=(1); storm=100
else
  rates=(100 1000 10000); sizes=(1 10 100 1000); storm=1000
fi

run floor-pty --rate 1000
run floor-tcp --rate 1000
# The CPU floor of the heaviest fan-out: no bridge, one send() per message per client.
run floor-fanout --clients "$([ $smoke = 1 ] && echo 10 || echo 100)" --rate 1000
run idle
for kind in sensor text; do
  for n in "${sizes[@]}"; do
    for r in "${rates[@]}"; do
      run fanout --kind "$kind" --clients "$n" --rate "$r"
    done
  done
done
for r in "${rates[@]}"; do run ws-to-serial --rate "$r"; done
run relay --rate "$([ $smoke = 1 ] && echo 100 || echo 1000)"
# The same while ten DS18B20-like reads (750 ms each) are in flight on the kernel sensor driver's threads.
run relay-w1 --rate "$([ $smoke = 1 ] && echo 100 || echo 1000)"
# The same relay beside a Modbus bus whose every request times out (docs/modbus.md).
run relay-modbus --rate "$([ $smoke = 1 ] && echo 100 || echo 1000)"
# The same round trip while 20 sensors go to the history store, a batch a second (docs/history.md).
[ $smoke = 1 ] || run relay-history --rate 1000
run storm --count "$storm" --concurrency 50
# The MQTT uplink beside the WebSocket path (fanout --clients 1 at the same rate): QoS 0 and 1.
for q in 0 1; do run mqtt --rate "$([ $smoke = 1 ] && echo 100 || echo 1000)" --qos "$q"; done
# A hub importing bridges through the broker (mqtt driver): 10 bridges x 20 channels x 10/s.
if [ $smoke = 1 ]; then run hub --clients 2 --channels 5 --rate 10 --qos 1; else run hub --clients 10 --channels 20 --rate 10 --qos 1; fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

"${gen[@]}" summary "$out" > /dev/null
# Microbenchmarks of the codec and the framer (Google Benchmark), JSON and console.
micro_time=$([ $smoke = 1 ] && echo 0.01 || echo 0.5)
"$build/bench/hwb-micro" --benchmark_min_time="$micro_time" --benchmark_out="$out/micro.json" \
  --benchmark_out_format=json > "$out/micro.txt"
if command -v gnuplot >/dev/null; then
  for cdf in "$out"/*.cdf.tsv; do
    [ -e "$cdf" ] || continue
    name=$(basename "$cdf" .cdf.tsv)
    for ext in svg png; do gnuplot -e "dir='$out'; name='$name'; ext='$ext'" bench/plot.gp; done
  done
else
  echo "gnuplot not found: no plots" >&2
fi
{
  echo
  echo "## Machine"
  echo
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "## Microbenchmarks"
  echo
  sed 's/^/    /' "$out/micro.txt"
} >> "$out/summary.md"
echo "results: $out/summary.md"
[ $failures -eq 0 ] || { echo "$failures scenario(s) failed" >&2; exit 1; }
