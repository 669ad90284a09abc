// The serial framer: bytes from the port cut into lines, in the chunk sizes a tty read returns.
#include <benchmark/benchmark.h>

#include <string>

#include "serial/framer.h"

namespace {

std::string lines(int count) {
    std::string s;
    for (int i = 0; i < count; ++i) s += "T=21." + std::to_string(i % 10) + ",H=48,P=1013.2\r\n";
    return s;
}

void FrameLines(benchmark::State& state) {
    const std::string input = lines(1000);
    const auto chunk = static_cast<std::size_t>(state.range(0));
    std::size_t frames = 0;
    auto framer = hwb::serial::Framer::lines("\n", 1024, [&](std::string_view f) { frames += !f.empty(); });
    for (auto _ : state) {
        for (std::size_t at = 0; at < input.size(); at += chunk)
            framer.feed(std::string_view(input).substr(at, chunk));
    }
    benchmark::DoNotOptimize(frames);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(input.size()));
    state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(FrameLines)->Arg(1)->Arg(16)->Arg(4096);

void FrameFixed(benchmark::State& state) {
    const std::string input(64 * 1000, '\xA5');
    std::size_t frames = 0;
    auto framer = hwb::serial::Framer::fixed(8, [&](std::string_view) { ++frames; });
    for (auto _ : state) framer.feed(input);
    benchmark::DoNotOptimize(frames);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(input.size()));
}
BENCHMARK(FrameFixed);

}  // namespace
