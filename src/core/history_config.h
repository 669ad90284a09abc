// The `history:` section of the device map (docs/history.md; docs/device-map.md, "history"):
// where the history database lives and how long each tier keeps what.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hwb {

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

    bool operator==(const HistoryConfig&) const = default;
};

}  // namespace hwb
