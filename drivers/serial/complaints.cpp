#include "serial/complaints.h"

#include <spdlog/spdlog.h>

#include "serial/escapes.h"

namespace hwb::serial {

void Complaints::note(std::string_view what, std::string_view sample, Clock::time_point now) {
    ++total_;
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
