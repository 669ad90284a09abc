#include "automation/local_time.h"

#include <ctime>

namespace hwb::automation {

namespace {

// `minute` local on the day `day_offset` days after the local day of `wall_ms`, and its weekday.
std::optional<std::pair<std::int64_t, int>> local_at(std::int64_t wall_ms, int day_offset, int minute) {
    std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
    std::tm tm{};
    if (localtime_r(&t, &tm) == nullptr) return std::nullopt;
    tm.tm_mday += day_offset;
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;  // let the tz rules say whether daylight-saving time is in force then
    std::time_t at = std::mktime(&tm);
    if (at == static_cast<std::time_t>(-1)) return std::nullopt;
    return std::pair{static_cast<std::int64_t>(at) * 1000, tm.tm_wday};
}

bool on_day(const DailyTimes& times, int weekday) { return (times.days & (1u << weekday)) != 0; }

}  // namespace

LocalTime local_time(std::int64_t wall_ms) {
    std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    return LocalTime{tm.tm_hour * 60 + tm.tm_min, tm.tm_wday};
}

std::optional<std::int64_t> next_time(std::int64_t after_ms, const DailyTimes& times) {
    std::optional<std::int64_t> best;
    for (int day = 0; day <= 8; ++day) {
        for (int minute : times.minutes) {
            auto at = local_at(after_ms, day, minute);
            if (!at || at->first <= after_ms || !on_day(times, at->second)) continue;
            if (!best || at->first < *best) best = at->first;
        }
        if (best) return best;
    }
    return best;
}

std::optional<std::int64_t> last_time(std::int64_t at_ms, const DailyTimes& times) {
    std::optional<std::int64_t> best;
    for (int day = 0; day >= -8; --day) {
        for (int minute : times.minutes) {
            auto at = local_at(at_ms, day, minute);
            if (!at || at->first > at_ms || !on_day(times, at->second)) continue;
            if (!best || at->first > *best) best = at->first;
        }
        if (best) return best;
    }
    return best;
}

bool in_window(int minute_of_day, int from, int to) {
    if (from < to) return minute_of_day >= from && minute_of_day < to;
    return minute_of_day >= from || minute_of_day < to;
}

}  // namespace hwb::automation
