// Latency histogram in microseconds: exact below 2 ms, then 1024 steps per power of two
// (0.1 % resolution), so percentiles of millions of samples cost a few hundred KB.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace hwb::bench {

class Histogram {
public:
    Histogram() : counts_(exact + 44 * steps, 0) {}

    void record(std::int64_t us) {
        if (us < 0) us = 0;
        auto v = static_cast<std::uint64_t>(us);
        ++counts_[std::min(index(v), counts_.size() - 1)];
        ++total_;
        sum_ += v;
        max_ = std::max(max_, v);
    }
    void merge(const Histogram& other) {
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
        total_ += other.total_;
        sum_ += other.sum_;
        max_ = std::max(max_, other.max_);
    }

    std::uint64_t count() const { return total_; }
    std::uint64_t max() const { return max_; }
    double mean() const { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0; }
    // Smallest recorded value v such that at least fraction p of the samples are <= v.
    std::uint64_t percentile(double p) const {
        if (total_ == 0) return 0;
        auto rank = static_cast<std::uint64_t>(p * static_cast<double>(total_));
        if (rank == 0) rank = 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(value(i), max_);
        }
        return max_;
    }
    // (value, fraction of samples <= value) for each non-empty bucket: the distribution's CDF.
    template <class F>
    void for_each_bucket(F f) const {
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            if (counts_[i] == 0) continue;
            seen += counts_[i];
            f(std::min(value(i), max_), static_cast<double>(seen) / static_cast<double>(total_));
        }
    }

private:
    static constexpr std::size_t exact = 2048;
    static constexpr std::size_t steps = 1024;
    static std::size_t index(std::uint64_t v) {
        if (v < exact) return v;
        int e = 63 - std::countl_zero(v);  // >= 11
        return exact + static_cast<std::size_t>(e - 11) * steps + ((v >> (e - 10)) & (steps - 1));
    }
    static std::uint64_t value(std::size_t i) {
        if (i < exact) return i;
        std::size_t e = 11 + (i - exact) / steps;
        std::uint64_t m = (i - exact) % steps;
        return (std::uint64_t{1} << e) + (m << (e - 10));
    }

    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace hwb::bench
