#include "automation/local_time.h"

namespace hwb::automation {

namespace {

bool on_day(const DailyTimes& times, int weekday) { return (times.days & (1u << weekday)) != 0; }

}  // namespace

LocalTime local_time(const TimeZone& zone, std::int64_t wall_ms) { return zone.local(wall_ms); }

std::optional<std::int64_t> next_time(const TimeZone& zone, std::int64_t after_ms, const DailyTimes& times) {
    std::optional<std::int64_t> best;
    for (int day = 0; day <= 8; ++day) {
        for (int minute : times.minutes) {
            auto at = zone.at(after_ms, day, minute);
            if (!at || at->first <= after_ms || !on_day(times, at->second)) continue;
            if (!best || at->first < *best) best = at->first;
        }
        if (best) return best;
    }
    return best;
}

std::optional<std::int64_t> last_time(const TimeZone& zone, std::int64_t at_ms, const DailyTimes& times) {
    std::optional<std::int64_t> best;
    for (int day = 0; day >= -8; --day) {
        for (int minute : times.minutes) {
            auto at = zone.at(at_ms, day, minute);
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
