// Optional smoothing and rate limiting of a sensor's values before they are published.
// Order: moving average or median over `window` values, then `delta`, then `throttle`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/event_loop.h"

namespace hwb::serial {

struct FilterSpec {
    enum class Smoothing : std::uint8_t { none, moving_average, median };
    Smoothing smoothing = Smoothing::none;
    std::size_t window = 5;
    std::optional<double> delta;      // publish only when the value moved at least this much
    std::optional<Millis> throttle;   // publish at most once per this interval (the latest in between later)
};

class ValueFilter {
public:
    explicit ValueFilter(FilterSpec spec);
    // The value to publish for this input, or nothing. A value held back by `throttle` is kept
    // (the latest one wins) until release() at held_until().
    std::optional<double> push(double value, Clock::time_point now);
    // When the value held back by the throttle is due, if one is.
    std::optional<Clock::time_point> held_until() const;
    // The held value, if it is due at `now`; it counts as published then.
    std::optional<double> release(Clock::time_point now);
    // Forget the history (the port was reopened: old values say nothing about the new ones).
    void reset();

private:
    double smooth(double value);

    FilterSpec spec_;
    std::vector<double> ring_;
    std::vector<double> scratch_;  // for the median, allocated once
    std::size_t next_ = 0;
    std::size_t filled_ = 0;
    std::optional<double> last_published_;
    std::optional<Clock::time_point> last_time_;
    std::optional<double> held_;
};

}  // namespace hwb::serial
