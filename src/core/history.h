// Stored history (docs/history.md): what a front may ask of the history store, and what it gets.
// The store itself (src/history) implements HistorySource; the fronts (the server's sensor
// subprotocol and GET /api/history) see only this interface, so they do not depend on SQLite.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace hwb {

struct HistoryQuery {
    std::string channel;
    std::int64_t from_ms = 0;  // inclusive, ms since the Unix epoch
    std::int64_t to_ms = 0;    // exclusive
    std::int64_t step_ms = 0;  // wanted spacing of points; 0: (to - from) / max_points
};

// One bucket of `step_ms` starting at `time_ms`: min/avg/max over `count` readings.
struct HistoryPoint {
    std::int64_t time_ms = 0;
    double min = 0;
    double avg = 0;
    double max = 0;
    std::int64_t count = 0;
};

// A relay state change or an audit event, as kept in the events table.
struct HistoryEvent {
    std::int64_t time_ms = 0;
    std::string channel;  // empty for events of the bridge (map apply, sign-in)
    std::string kind;     // "relay", "audit"
    std::string detail;   // "on" / "off" / "unknown" for relays; the audit line's text otherwise
    std::string cause;    // relays: client, startup, lease_expired, ... (with the client's name)
};

struct HistoryAnswer {
    std::string channel;
    std::string tier;          // "raw", "minute" or "hour": the finest tier the range needed
    std::int64_t from_ms = 0;
    std::int64_t to_ms = 0;
    std::int64_t step_ms = 0;  // the spacing used (at least the asked one)
    std::vector<HistoryPoint> points;  // sensors, oldest first; buckets without readings left out
    std::vector<HistoryEvent> events;  // relays, oldest first
};

class HistorySource {
public:
    virtual ~HistorySource() = default;
    // Answers on the loop thread, later (the database is read off the loop), once (not at all when
    // the bridge stops meanwhile). Errors:
    // unknown_channel, bad_request (range), unavailable (no history: off, or its database failed).
    virtual void query(HistoryQuery query, std::function<void(Result<HistoryAnswer>)> done) = 0;
    // Largest number of points one answer holds; a smaller step is raised to fit.
    static constexpr std::int64_t max_points = 5000;
};

}  // namespace hwb
