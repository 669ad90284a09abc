// The protocol codec on its hot paths: encoding a reading and a text line (once per message and
// client), and parsing the requests clients send.
#include <benchmark/benchmark.h>

#include "core/channels.h"
#include "core/sensor.h"
#include "protocol/messages.h"

namespace {

struct NoObserver : hwb::ChannelObserver {};

void EncodeReading(benchmark::State& state) {
    NoObserver observer;
    hwb::Sensor sensor({.id = "temperature", .label = "Temperature", .device = "bench", .unit = "°C"}, observer);
    sensor.publish(21.537, 1764129000123);
    for (auto _ : state) benchmark::DoNotOptimize(hwb::protocol::reading(sensor));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(EncodeReading);

void EncodeTextLine(benchmark::State& state) {
    hwb::TextLine line{.text = "T=21.5 H=48 P=1013.2 status ok", .direction = hwb::TextDirection::from_device,
                       .time_ms = 1764129000123, .seq = 4711};
    for (auto _ : state) benchmark::DoNotOptimize(hwb::protocol::text_line("console", line));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(EncodeTextLine);

void ParseRelaySet(benchmark::State& state) {
    const std::string frame = R"({"type":"set","id":"r1","channel":"pump","state":"on","client":"greenhouse-tablet"})";
    for (auto _ : state) benchmark::DoNotOptimize(hwb::protocol::parse_relay_request(frame));
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(ParseRelaySet);

void ParseTextSend(benchmark::State& state) {
    const std::string frame = R"({"type":"send","id":3,"channel":"console","line":"status of every port please"})";
    for (auto _ : state) benchmark::DoNotOptimize(hwb::protocol::parse_text_request(frame));
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(ParseTextSend);

void ParseBadJson(benchmark::State& state) {
    const std::string frame = R"({"type":"set","id":"r1","channel":)";
    for (auto _ : state) benchmark::DoNotOptimize(hwb::protocol::parse_relay_request(frame));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ParseBadJson);

}  // namespace
