#include "serial/complaints.h"

#include <spdlog/spdlog.h>

#include "serial/escapes.h"

namespace hwb::serial {

const char* to_string(Complaint complaint) {
    switch (complaint) {
        case Complaint::overlong_frame: return "overlong_frame";
        case Complaint::unrecognised_frame: return "unrecognised_frame";
        case Complaint::unreadable_value: return "unreadable_value";
        case Complaint::out_of_range: return "out_of_range";
    }
    return "unknown";
}

void Complaints::note(Complaint kind, std::string_view what, std::string_view sample, Clock::time_point now) {
    ++total_;
    ++by_kind_[static_cast<std::size_t>(kind)];
    ++since_warning_;
    if (warned_ && now - last_warning_ < interval_) return;
    constexpr std::size_t max_sample = 60;
    std::string shown = printable(sample.substr(0, max_sample));
    if (sample.size() > max_sample) shown += "...";
    spdlog::warn("device {}: {} ('{}'); {} unusable input{} since the last warning, {} in all", device_, what, shown,
                 since_warning_, since_warning_ == 1 ? "" : "s", total_);
    warned_ = true;
    last_warning_ = now;
    since_warning_ = 0;
}

}  // namespace hwb::serial
