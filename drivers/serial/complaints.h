// Counts what a device sent that could not be used (over-long frames, unparsable values, ...)
// and warns about it at most once per interval, so a babbling device cannot flood the log.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/event_loop.h"

namespace hwb::serial {

// What was wrong with the input; counted apart for GET /metrics (the `kind` label).
enum class Complaint : std::uint8_t { overlong_frame, unrecognised_frame, unreadable_value, out_of_range };
inline constexpr std::array<Complaint, 4> all_complaints{Complaint::overlong_frame, Complaint::unrecognised_frame,
                                                         Complaint::unreadable_value, Complaint::out_of_range};
const char* to_string(Complaint complaint);

class Complaints {
public:
    Complaints(std::string device, Millis interval) : device_(std::move(device)), interval_(interval) {}
    // `what` says what happened ("over-long frame (max_frame exceeded) discarded", "sensor hum:
    // value 42625 outside its range [0, 100] dropped"), `sample` a bit of the offending input.
    void note(Complaint kind, std::string_view what, std::string_view sample, Clock::time_point now);
    std::uint64_t total() const { return total_; }
    std::uint64_t count(Complaint kind) const { return by_kind_[static_cast<std::size_t>(kind)]; }

private:
    std::string device_;
    Millis interval_;
    std::uint64_t total_ = 0;
    std::array<std::uint64_t, all_complaints.size()> by_kind_{};
    std::uint64_t since_warning_ = 0;
    bool warned_ = false;
    Clock::time_point last_warning_{};
};

}  // namespace hwb::serial
