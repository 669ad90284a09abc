// The `history:` section of the device map (docs/history.md; docs/device-map.md, "history"):
// where the history database lives and how long each tier keeps what.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace hwb {

// A sensor's own `history:` key: `false` keeps nothing of it; a mapping sets its own raw, minute,
// hour and spacing; what it leaves out is the bridge's (the `history:` section).
struct ChannelHistory {
    bool keep = true;
    std::optional<std::chrono::milliseconds> raw, minute, hour, spacing;
    bool operator==(const ChannelHistory&) const = default;
};

// How long one sensor's readings stay in each tier, and their spacing: its own where it says so.
struct Retention {
    bool keep = true;
    std::chrono::milliseconds raw, minute, hour, spacing;
};

struct HistoryConfig {
    bool enabled = true;       // `enabled: false` turns the store off
    // Database file; empty: $STATE_DIRECTORY/history.db (systemd's StateDirectory=), and no
    // history when that is not set either (a development run does not litter the map's folder).
    std::string path;
    std::chrono::milliseconds raw{std::chrono::hours(24)};             // raw readings kept this long
    std::chrono::milliseconds minute{std::chrono::hours(24 * 30)};     // per-minute min/avg/max/count
    std::chrono::milliseconds hour{std::chrono::hours(24 * 365 * 5)};  // per-hour
    std::chrono::milliseconds events{std::chrono::hours(24 * 365)};    // relay changes, audit events
    std::chrono::milliseconds spacing{1000};   // at most one raw reading per channel per spacing
    std::chrono::milliseconds flush{5000};     // a batch is written at most this often
    std::int64_t max_bytes = 256LL * 1024 * 1024;  // size cap of the database (oldest data goes first)
    std::map<std::string, ChannelHistory> channels;  // sensors with their own `history:` key

    Retention retention(const std::string& sensor) const {
        Retention r{true, raw, minute, hour, spacing};
        auto it = channels.find(sensor);
        if (it == channels.end()) return r;
        const ChannelHistory& own = it->second;
        return Retention{own.keep, own.raw.value_or(raw), own.minute.value_or(minute), own.hour.value_or(hour),
                         own.spacing.value_or(spacing)};
    }
    // The longest any sensor keeps raw readings (older ones go for every sensor at once).
    std::chrono::milliseconds longest_raw() const {
        auto longest = raw;
        for (const auto& [id, own] : channels)
            if (own.raw) longest = std::max(longest, *own.raw);
        return longest;
    }

    bool operator==(const HistoryConfig&) const = default;
};

}  // namespace hwb
