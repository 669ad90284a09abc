#include "serial/filters.h"

#include <algorithm>
#include <cmath>

namespace hwb::serial {

ValueFilter::ValueFilter(FilterSpec spec) : spec_(spec) {
    if (spec_.smoothing != FilterSpec::Smoothing::none) {
        ring_.assign(std::max<std::size_t>(spec_.window, 1), 0.0);
        scratch_.reserve(ring_.size());
    }
}

void ValueFilter::reset() {
    next_ = 0;
    filled_ = 0;
    last_published_.reset();
    last_time_.reset();
    held_.reset();
}

double ValueFilter::smooth(double value) {
    if (ring_.empty()) return value;
    ring_[next_] = value;
    next_ = (next_ + 1) % ring_.size();
    filled_ = std::min(filled_ + 1, ring_.size());
    if (spec_.smoothing == FilterSpec::Smoothing::moving_average) {
        double sum = 0;  // summed afresh: a running sum would drift over millions of values
        for (std::size_t i = 0; i < filled_; ++i) sum += ring_[i];
        return sum / static_cast<double>(filled_);
    }
    scratch_.assign(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(filled_));
    auto mid = scratch_.begin() + static_cast<std::ptrdiff_t>(filled_ / 2);
    std::nth_element(scratch_.begin(), mid, scratch_.end());
    if (filled_ % 2 == 1) return *mid;
    double upper = *mid;
    double lower = *std::max_element(scratch_.begin(), mid);
    return (lower + upper) / 2;
}

std::optional<double> ValueFilter::push(double value, Clock::time_point now) {
    double v = smooth(value);
    if (spec_.delta && last_published_ && std::fabs(v - *last_published_) < *spec_.delta) return std::nullopt;
    if (spec_.throttle && last_time_ && now - *last_time_ < *spec_.throttle) {
        held_ = v;
        return std::nullopt;
    }
    held_.reset();
    last_published_ = v;
    last_time_ = now;
    return v;
}

std::optional<Clock::time_point> ValueFilter::held_until() const {
    if (!held_ || !last_time_ || !spec_.throttle) return std::nullopt;
    return *last_time_ + *spec_.throttle;
}

std::optional<double> ValueFilter::release(Clock::time_point now) {
    auto due = held_until();
    if (!due || now < *due) return std::nullopt;
    double v = *held_;
    held_.reset();
    last_published_ = v;
    last_time_ = now;
    return v;
}

}  // namespace hwb::serial
