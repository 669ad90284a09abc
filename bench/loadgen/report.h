// Where a scenario's figures go: one JSON line in results.jsonl, the latency distribution
// (<name>.cdf.tsv) and the latency over time (<name>.timeline.tsv) for the plots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "histogram.h"

namespace hwb::bench {

// Worst latency and message count per 10 ms of the run: stalls show up as spikes.
class Timeline {
public:
    explicit Timeline(std::int64_t start_us) : start_us_(start_us) {}
    void record(std::int64_t at_us, std::int64_t latency_us);
    void write(const std::string& path) const;

private:
    struct Slot {
        std::int64_t max_us = 0;
        std::uint64_t count = 0;
    };
    std::int64_t start_us_;
    std::vector<Slot> slots_;
};

nlohmann::json latency_json(const Histogram& h);

// Appends `result` (which must carry "name") to DIR/results.jsonl and writes the plot data.
void write_report(const std::string& dir, const nlohmann::json& result, const Histogram& latency,
                  const Timeline* timeline);

// Reads DIR/results.jsonl and writes DIR/summary.md: all results, ratios to the floor, targets.
int write_summary(const std::string& dir);

}  // namespace hwb::bench
