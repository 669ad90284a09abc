// The history database (docs/history.md): one SQLite file in WAL mode with three tiers of sensor
// readings (raw, per-minute, per-hour min/avg/max/count) and a table of events (relay changes,
// audit lines). Synchronous and single-threaded: the history front (history_front.h) owns one on
// its writer thread, never on the event loop. Includes no SQLite header.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/history.h"
#include "core/history_config.h"
#include "core/result.h"

struct sqlite3;

namespace hwb::history {

struct Sample {
    std::string channel;
    std::int64_t time_ms = 0;
    double value = 0;
};

class HistoryStore {
public:
    // Opens (creating when missing) the database at `path`, checks it, and sets WAL mode. Errors
    // (code "unavailable") say what is wrong with which file: not a database, corrupt, read-only,
    // its folder missing.
    static Result<std::unique_ptr<HistoryStore>> open(const std::string& path);
    ~HistoryStore();
    HistoryStore(const HistoryStore&) = delete;
    HistoryStore& operator=(const HistoryStore&) = delete;

    // One batch in one transaction: all of it is stored, or nothing (then the error says why).
    Status write(const std::vector<Sample>& samples, const std::vector<HistoryEvent>& events);

    // Bounded upkeep, called after each batch: aggregates at most `max_minutes` finished minutes
    // of raw readings into the minute tier (and finished hours into the hour tier), deletes what
    // is older than its tier keeps, and deletes the oldest data while the file is over max_bytes.
    struct Upkeep {
        std::int64_t minutes_aggregated = 0;
        std::int64_t hours_aggregated = 0;
        std::int64_t rows_deleted = 0;
        bool over_cap = false;
    };
    Result<Upkeep> maintain(std::int64_t now_ms, const HistoryConfig& config, std::int64_t max_minutes = 60);

    // Points of one sensor (min/avg/max/count per step), from the finest tier that still covers
    // `from`, completed from the finer tiers where the coarser one is not aggregated yet.
    Result<HistoryAnswer> points(const HistoryQuery& query, std::int64_t now_ms, const HistoryConfig& config);
    // Events of one channel, oldest first, at most HistorySource::max_points.
    Result<HistoryAnswer> events(const HistoryQuery& query);

    // Bytes the data takes in the file (pages in use; freed pages are reused before it grows).
    std::int64_t used_bytes();
    const std::string& path() const { return path_; }

private:
    HistoryStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
    Status exec(const char* sql);
    Error error(const std::string& what) const;
    std::int64_t channel_key(const std::string& channel, bool create);
    std::int64_t meta(const char* key, std::int64_t fallback);
    Status set_meta(const char* key, std::int64_t value);
    Status aggregate(const char* into, const char* from_table, std::int64_t bucket_ms, std::int64_t start,
                     std::int64_t end);
    std::int64_t delete_before(const char* table, std::int64_t before_ms);
    // Each channel's rows before before(channel name).
    std::int64_t delete_before(const char* table, const std::function<std::int64_t(const std::string&)>& before);
    std::int64_t shrink_oldest();
    // Earliest time at or after `from_ms` in `table` over all channels; `from_ms` when none.
    std::int64_t first_at_or_after(const char* table, std::int64_t from_ms);

    sqlite3* db_;
    std::string path_;
    std::map<std::string, std::int64_t> channel_keys_;
};

}  // namespace hwb::history
