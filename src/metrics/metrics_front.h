// The metrics front (docs/metrics.md): an observer of the core channels that counts relay
// switches (readings it takes from each sensor's sequence number: nothing to do per reading), measures the event loop's lag, and renders GET /metrics from those, the
// process's own figures (memory, CPU, file descriptors) and the sources other parts add (server
// clients, the door's answers, MQTT, history). Cheap on the loop: counting only; the text is built
// when Prometheus asks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/channels.h"
#include "core/event_loop.h"
#include "core/metrics.h"

namespace hwb::metrics {

class MetricsFront final : private ChannelObserver {
public:
    MetricsFront(EventLoop& loop, std::string version);
    ~MetricsFront() override;
    MetricsFront(const MetricsFront&) = delete;
    MetricsFront& operator=(const MetricsFront&) = delete;

    // At start and after every map reload; `channels` must outlive the front or the next attach.
    void attach(Channels& channels);
    // A part of the bridge that writes its own families (each family once).
    void add_source(std::function<void(MetricsWriter&)> source) { sources_.push_back(std::move(source)); }
    // The whole page, text format 0.0.4.
    std::string render() const;

private:
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    void on_relay_failure(const Relay& relay, const RelayFailure& failure) override;
    void tick();

    EventLoop& loop_;
    std::string version_;
    Channels* channels_ = nullptr;
    std::vector<std::function<void(MetricsWriter&)>> sources_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> switches_;      // (relay, cause)
    std::map<std::pair<std::string, std::string>, std::uint64_t> write_failures_;  // (relay, error code)
    Histogram lag_;
    Timer lag_timer_;
    Clock::time_point lag_due_{};
};

}  // namespace hwb::metrics
