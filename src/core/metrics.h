// Prometheus' text exposition format, version 0.0.4 (docs/metrics.md): what GET /metrics answers.
// Each front that has something to count writes its own families into one MetricsWriter.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hwb {

using MetricLabels = std::vector<std::pair<std::string_view, std::string_view>>;

class MetricsWriter {
public:
    // Starts a family: # HELP and # TYPE (counter, gauge, histogram). A family written twice
    // is a programming error and throws std::logic_error (Prometheus would reject the page).
    MetricsWriter& family(std::string_view name, std::string_view type, std::string_view help);
    // One sample of the current family (or of its _bucket/_sum/_count series for a histogram).
    MetricsWriter& sample(std::string_view name, const MetricLabels& labels, double value);
    MetricsWriter& sample(std::string_view name, double value) { return sample(name, {}, value); }
    const std::string& text() const { return out_; }

private:
    std::string out_;
    std::set<std::string, std::less<>> families_;
};

// A histogram with fixed bucket bounds (seconds, say), observed on the loop thread.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}
    void observe(double value);
    void write(MetricsWriter& out, std::string_view name, std::string_view help) const;

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

}  // namespace hwb
