#include "core/time_zone.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <exception>

#include <date/tz.h>

namespace hwb {

namespace {

const date::time_zone* zone_of(const void* zone) { return static_cast<const date::time_zone*>(zone); }

}  // namespace

Result<TimeZone> TimeZone::named(const std::string& name) {
    try {
        const date::time_zone* zone = date::locate_zone(name);
        TimeZone out;
        out.name_ = name;
        out.zone_ = zone;
        return out;
    } catch (const std::exception& e) {
        // An unknown name, or no tz database at all (tzdata not installed).
        return Error{"unknown_time_zone", e.what()};
    }
}

std::vector<std::string> TimeZone::names() {
    std::vector<std::string> out;
    try {
        for (const auto& zone : date::get_tzdb().zones) out.emplace_back(zone.name());
    } catch (const std::exception&) {
        return out;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

TimeZone::Local TimeZone::local(std::int64_t wall_ms) const {
    if (zone_ == nullptr) {
        std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
        std::tm tm{};
        localtime_r(&t, &tm);
        return Local{tm.tm_hour * 60 + tm.tm_min, tm.tm_wday};
    }
    auto local = zone_of(zone_)->to_local(date::sys_seconds(std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(wall_ms))));
    auto day = date::floor<date::days>(local);
    auto minute = std::chrono::duration_cast<std::chrono::minutes>(local - day).count();
    return Local{static_cast<int>(minute), static_cast<int>(date::weekday(day).c_encoding())};
}

std::optional<std::pair<std::int64_t, int>> TimeZone::at(std::int64_t wall_ms, int day_offset, int minute) const {
    if (zone_ == nullptr) {
        std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
        std::tm tm{};
        if (localtime_r(&t, &tm) == nullptr) return std::nullopt;
        tm.tm_mday += day_offset;
        tm.tm_hour = minute / 60;
        tm.tm_min = minute % 60;
        tm.tm_sec = 0;
        tm.tm_isdst = -1;  // let the tz rules say whether daylight-saving time is in force then
        std::time_t instant = std::mktime(&tm);
        if (instant == static_cast<std::time_t>(-1)) return std::nullopt;
        return std::pair{static_cast<std::int64_t>(instant) * 1000, tm.tm_wday};
    }
    const date::time_zone* zone = zone_of(zone_);
    auto now = zone->to_local(date::sys_seconds(std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(wall_ms))));
    auto day = date::floor<date::days>(now) + date::days(day_offset);
    auto local = date::local_seconds(day) + std::chrono::minutes(minute);
    // Unique, skipped (`first` is the offset before the clocks went forward) or repeated (`first`
    // is the earlier of the two): the offset in `first` gives the documented instant in each case.
    date::local_info info = zone->get_info(local);
    auto instant = local.time_since_epoch() - info.first.offset;
    return std::pair{static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(instant).count()),
                     static_cast<int>(date::weekday(day).c_encoding())};
}

}  // namespace hwb
