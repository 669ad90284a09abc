// Local time for schedules and time windows: the bridge's wall clock seen in its time zone
// (core/time_zone.h: the map's `bridge.time_zone`, else the process's), which knows the tz
// database and its daylight-saving rules (docs/automations.md, "Time").
#pragma once

#include <cstdint>
#include <optional>

#include "core/automation_config.h"
#include "core/time_zone.h"

namespace hwb::automation {

using LocalTime = TimeZone::Local;

LocalTime local_time(const TimeZone& zone, std::int64_t wall_ms);

// The first moment strictly after `after_ms` that is one of `times` on one of its days. A time
// that does not exist that day (skipped by a daylight-saving change) happens when the clock has
// jumped over it; a time that happens twice (clocks put back) happens once.
std::optional<std::int64_t> next_time(const TimeZone& zone, std::int64_t after_ms, const DailyTimes& times);
// The last such moment at or before `at_ms` (within the past 8 days).
std::optional<std::int64_t> last_time(const TimeZone& zone, std::int64_t at_ms, const DailyTimes& times);

// [from, to) in minutes after midnight; across midnight when to < from (22:00-06:00).
bool in_window(int minute_of_day, int from, int to);

}  // namespace hwb::automation
