// Keys of the `history:` section (docs/history.md; docs/device-map.md, "history").
#include "devicemap/schema.h"

#include <string>

namespace hwb::devicemap::schema {

std::vector<OptionSpec> history() {
    constexpr double minute = 60000.0;
    constexpr double day = 86400000.0;
    return {
        {.key = "enabled", .type = OptionType::boolean, .help = "keep sensor history and relay events in a database",
         .fallback = true},
        {.key = "path", .help = "absolute path of the database (default: $STATE_DIRECTORY/history.db under systemd)"},
        {.key = "raw", .type = OptionType::duration, .help = "how long every kept reading stays",
         .fallback = std::chrono::milliseconds(24LL * 3600000), .min = minute, .max = 366 * day},
        {.key = "minute", .type = OptionType::duration, .help = "how long per-minute min/avg/max/count stay",
         .fallback = std::chrono::milliseconds(30LL * 86400000), .min = 3600000.0, .max = 3660 * day},
        {.key = "hour", .type = OptionType::duration, .help = "how long per-hour min/avg/max/count stay",
         .fallback = std::chrono::milliseconds(1825LL * 86400000), .min = day, .max = 36600 * day},
        {.key = "events", .type = OptionType::duration, .help = "how long relay changes and audit events stay",
         .fallback = std::chrono::milliseconds(365LL * 86400000), .min = day, .max = 36600 * day},
        {.key = "spacing", .type = OptionType::duration,
         .help = "at most one kept reading per sensor per this (0ms: every reading)",
         .fallback = std::chrono::milliseconds(1000), .min = 0, .max = 3600000.0},
        {.key = "flush", .type = OptionType::duration, .help = "a batch is written at most this often",
         .fallback = std::chrono::milliseconds(5000), .min = 100, .max = 600000.0},
        {.key = "max_size_mb", .type = OptionType::integer,
         .help = "size cap of the database in MiB; over it the oldest data is deleted",
         .fallback = std::int64_t{256}, .min = 1, .max = 1048576},
    };
}

std::vector<OptionSpec> sensor_history() {
    std::vector<OptionSpec> own;
    for (auto spec : history()) {
        if (spec.key != "raw" && spec.key != "minute" && spec.key != "hour" && spec.key != "spacing") continue;
        spec.fallback.reset();  // left out: the bridge's value
        spec.help += " (this sensor; default: the history section's)";
        own.push_back(std::move(spec));
    }
    return own;
}

}  // namespace hwb::devicemap::schema
