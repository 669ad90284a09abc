// The bridge's local time zone (docs/automations.md, "Time"): the process's own (TZ, else
// /etc/localtime, through the C library's localtime_r/mktime), or a zone the map names
// (`bridge.time_zone: Europe/Berlin`), read from the tz database in /usr/share/zoneinfo by
// Debian's libdate-tz. A named zone never touches the process's TZ: other threads (the logger,
// the drivers' I/O threads) keep calling localtime as before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace hwb {

class TimeZone {
public:
    TimeZone() = default;  // the process's time zone

    // A zone of the tz database ("Europe/Berlin", "UTC"); an error names the reason.
    static Result<TimeZone> named(const std::string& name);
    // Every zone name the database knows (for did-you-mean), sorted.
    static std::vector<std::string> names();

    const std::string& name() const { return name_; }  // empty: the process's
    bool operator==(const TimeZone& other) const { return name_ == other.name_; }

    struct Local {
        int minute_of_day = 0;  // 0 .. 1439
        int weekday = 0;        // 0 = Sunday, as struct tm
    };
    Local local(std::int64_t wall_ms) const;

    // `minute` after local midnight on the local day `day_offset` days after that of `wall_ms`:
    // the instant (ms since the epoch) and that day's weekday. A time skipped by a daylight-saving
    // change counts as if the clock had not been put forward (02:30 -> 03:30 local); a time that
    // happens twice is its first occurrence.
    std::optional<std::pair<std::int64_t, int>> at(std::int64_t wall_ms, int day_offset, int minute) const;

private:
    std::string name_;
    const void* zone_ = nullptr;  // date::time_zone of the database, which lives as long as the process
};

}  // namespace hwb
