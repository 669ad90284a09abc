#include "history/history_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>

namespace hwb::history {

namespace {

constexpr std::int64_t minute_ms = 60000;
constexpr std::int64_t hour_ms = 3600000;
// Raw readings are keyed by time * channel_slots + channel (an integer key in time order): every
// batch appends at the end of one B-tree, which SQLite fills page by page without rebalancing
// (docs/history.md, "Bytes written"). Channel keys stay below channel_slots.
constexpr std::int64_t channel_slots = 4096;
// A minute is aggregated once its end is this far behind: readings of the last batch (written at
// most `flush` after they were measured) have arrived by then.
constexpr std::int64_t aggregate_grace_ms = 30000;
constexpr int schema_version = 1;
// Finished minutes are aggregated (and old raw readings deleted) once this many are pending: the
// minute tier's pages are written once per 10 minutes rather than every minute. Queries read the
// raw tier for what is not aggregated yet, so charts do not lag.
constexpr std::int64_t aggregate_batch_minutes = 10;

// One prepared statement; finalized with its owner.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    bool ok() const { return rc_ == SQLITE_OK && stmt_ != nullptr; }
    Statement& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Statement& bind(int i, double v) {
        sqlite3_bind_double(stmt_, i, v);
        return *this;
    }
    Statement& bind(int i, const std::string& v) {
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    int step() { return sqlite3_step(stmt_); }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    double real(int column) const { return sqlite3_column_double(stmt_, column); }
    bool null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    std::string text(int column) const {
        const auto* p = sqlite3_column_text(stmt_, column);
        return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
    }

private:
    sqlite3_stmt* stmt_ = nullptr;
    int rc_ = SQLITE_ERROR;
};

// Aggregates of a tier (min, avg, max, n) bucketed by ?step; ?1 channel, ?2 from, ?3 to, ?4 step.
// Each tier contributes where the coarser one is not aggregated yet: hour rows before ?5, minute
// rows from ?5 to ?6, raw rows from ?6 on (the watermarks of the tiers the query uses).
constexpr const char* points_sql = R"(
SELECT (t / ?4) * ?4 AS b, min(mn), sum(av * n) / sum(n), max(mx), sum(n) FROM (
  SELECT t, min AS mn, avg AS av, max AS mx, n FROM hour
    WHERE channel = ?1 AND t >= ?2 AND t < min(?3, ?5)
  UNION ALL
  SELECT t, min, avg, max, n FROM minute
    WHERE channel = ?1 AND t >= max(?2, ?5) AND t < min(?3, ?6)
  UNION ALL
  SELECT k / 4096, v, v, v, 1 FROM raw
    WHERE k >= max(?2, ?6) * 4096 AND k < ?3 * 4096 AND k % 4096 = ?1
) GROUP BY b ORDER BY b)";

}  // namespace

Result<std::unique_ptr<HistoryStore>> HistoryStore::open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return Error{"unavailable", "cannot open the history database " + path + ": " + message};
    }
    std::unique_ptr<HistoryStore> store(new HistoryStore(db, path));
    sqlite3_busy_timeout(db, 2000);
    sqlite3_extended_result_codes(db, 1);
    // A file that is not a database, or a damaged one, shows here, before anything is written.
    {
        Statement check(db, "PRAGMA quick_check");
        if (!check.ok()) return store->error("cannot read the history database " + path);
        int step = check.step();
        if (step != SQLITE_ROW) return store->error("cannot read the history database " + path);
        std::string verdict = check.text(0);
        if (verdict != "ok") return Error{"unavailable", "the history database " + path + " is damaged: " + verdict};
    }
    {
        Statement mode(db, "PRAGMA journal_mode=WAL");
        if (!mode.ok() || mode.step() != SQLITE_ROW) return store->error("cannot use the history database " + path);
        if (mode.text(0) != "wal")
            return Error{"unavailable", "the history database " + path + " cannot use WAL mode (journal mode " +
                                            mode.text(0) + ")"};
    }
    // WAL with synchronous=NORMAL: a committed batch survives a crash of the process (kill -9);
    // after a power cut the last batches may be gone, but the file is consistent.
    if (auto s = store->exec("PRAGMA synchronous=NORMAL"); !s.ok()) return s.error();
    // After a checkpoint the WAL file is cut back to this, not left at its largest.
    store->exec("PRAGMA journal_size_limit=4194304");
    std::int64_t version = 0;
    {
        Statement v(db, "PRAGMA user_version");
        if (v.ok() && v.step() == SQLITE_ROW) version = v.integer(0);
    }
    if (version > schema_version)
        return Error{"unavailable", "the history database " + path + " was written by a newer hwbridge (schema " +
                                        std::to_string(version) + ")"};
    auto created = store->exec(R"(
BEGIN;
CREATE TABLE IF NOT EXISTS channels(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS raw(k INTEGER PRIMARY KEY, v REAL NOT NULL);
CREATE TABLE IF NOT EXISTS minute(channel INTEGER NOT NULL, t INTEGER NOT NULL, min REAL NOT NULL,
  avg REAL NOT NULL, max REAL NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(channel, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hour(channel INTEGER NOT NULL, t INTEGER NOT NULL, min REAL NOT NULL,
  avg REAL NOT NULL, max REAL NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(channel, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(t INTEGER NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL,
  detail TEXT NOT NULL, cause TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_channel ON events(channel, t);
CREATE INDEX IF NOT EXISTS events_by_time ON events(t);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
PRAGMA user_version = 1;
COMMIT;)");
    if (!created.ok()) {
        store->exec("ROLLBACK");
        return Error{"unavailable", "cannot set up the history database " + path + ": " + created.error().message};
    }
    {
        Statement names(db, "SELECT id, name FROM channels");
        while (names.ok() && names.step() == SQLITE_ROW) store->channel_keys_[names.text(1)] = names.integer(0);
    }
    return store;
}

HistoryStore::~HistoryStore() { sqlite3_close_v2(db_); }

Error HistoryStore::error(const std::string& what) const {
    return Error{"unavailable", what + ": " + sqlite3_errmsg(db_)};
}

Status HistoryStore::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return {};
    std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return Error{"unavailable", text};
}

std::int64_t HistoryStore::channel_key(const std::string& channel, bool create) {
    if (auto it = channel_keys_.find(channel); it != channel_keys_.end()) return it->second;
    if (!create) return -1;
    Statement insert(db_, "INSERT INTO channels(name) VALUES (?1)");
    if (!insert.ok() || insert.bind(1, channel).step() != SQLITE_DONE) return -1;
    std::int64_t key = sqlite3_last_insert_rowid(db_);
    if (key >= channel_slots) return -1;  // 4095 channel names over the file's life
    channel_keys_[channel] = key;
    return key;
}

std::int64_t HistoryStore::meta(const char* key, std::int64_t fallback) {
    Statement get(db_, "SELECT value FROM meta WHERE key = ?1");
    if (get.ok() && get.bind(1, std::string(key)).step() == SQLITE_ROW) return get.integer(0);
    return fallback;
}

Status HistoryStore::set_meta(const char* key, std::int64_t value) {
    Statement put(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)");
    if (!put.ok() || put.bind(1, std::string(key)).bind(2, value).step() != SQLITE_DONE) return error("meta");
    return {};
}

Status HistoryStore::write(const std::vector<Sample>& samples, const std::vector<HistoryEvent>& events) {
    if (auto s = exec("BEGIN"); !s.ok()) return s;
    auto fail = [&](const std::string& what) -> Status {
        Error e = error(what);
        exec("ROLLBACK");
        channel_keys_.clear();  // keys made inside the rolled-back transaction are gone
        Statement names(db_, "SELECT id, name FROM channels");
        while (names.ok() && names.step() == SQLITE_ROW) channel_keys_[names.text(1)] = names.integer(0);
        return e;
    };
    {
        // Two readings of one channel in the same millisecond: the later one stays.
        Statement insert(db_, "INSERT OR REPLACE INTO raw(k, v) VALUES (?2 * 4096 + ?1, ?3)");
        if (!insert.ok()) return fail("cannot write readings");
        for (const auto& sample : samples) {
            std::int64_t key = channel_key(sample.channel, true);
            if (key < 0) return fail("cannot write readings");
            insert.bind(1, key).bind(2, sample.time_ms).bind(3, sample.value);
            if (insert.step() != SQLITE_DONE) return fail("cannot write readings");
            insert.reset();
        }
    }
    {
        Statement insert(db_, "INSERT INTO events(t, channel, kind, detail, cause) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!insert.ok()) return fail("cannot write events");
        for (const auto& event : events) {
            insert.bind(1, event.time_ms).bind(2, event.channel).bind(3, event.kind).bind(4, event.detail).bind(5, event.cause);
            if (insert.step() != SQLITE_DONE) return fail("cannot write events");
            insert.reset();
        }
    }
    if (auto s = exec("COMMIT"); !s.ok()) return fail("cannot commit a batch");
    return {};
}

Status HistoryStore::aggregate(const char* into, const char* from_table, std::int64_t bucket_ms, std::int64_t start,
                               std::int64_t end) {
    const bool from_raw = std::string(from_table) == "raw";
    std::string sql = std::string("INSERT OR REPLACE INTO ") + into + "(channel, t, min, avg, max, n) SELECT channel, (t / ?4) * ?4, " +
                      (from_raw ? "min(v), avg(v), max(v), count(*)" : "min(min), sum(avg * n) / sum(n), max(max), sum(n)") +
                      " FROM " + from_table + " WHERE channel = ?1 AND t >= ?2 AND t < ?3 GROUP BY (t / ?4)";
    if (from_raw) {
        // Raw readings are stored in time order (key t, channel): one pass over the range.
        std::string all = "INSERT OR REPLACE INTO " + std::string(into) +
                          "(channel, t, min, avg, max, n) SELECT k % 4096, (k / 4096 / ?3) * ?3, min(v), avg(v), max(v), "
                          "count(*) FROM raw WHERE k >= ?1 * 4096 AND k < ?2 * 4096 GROUP BY k % 4096, (k / 4096 / ?3)";
        Statement once(db_, all.c_str());
        if (!once.ok() || once.bind(1, start).bind(2, end).bind(3, bucket_ms).step() != SQLITE_DONE)
            return error(std::string("cannot aggregate into ") + into);
        return {};
    }
    Statement insert(db_, sql.c_str());
    if (!insert.ok()) return error(std::string("cannot aggregate into ") + into);
    for (const auto& [name, key] : channel_keys_) {
        insert.bind(1, key).bind(2, start).bind(3, end).bind(4, bucket_ms);
        if (insert.step() != SQLITE_DONE) return error(std::string("cannot aggregate into ") + into);
        insert.reset();
    }
    return {};
}

std::int64_t HistoryStore::delete_before(const char* table, std::int64_t before_ms) {
    return delete_before(table, [before_ms](const std::string&) { return before_ms; });
}

std::int64_t HistoryStore::delete_before(const char* table, const std::function<std::int64_t(const std::string&)>& before) {
    if (std::string(table) == "raw") {
        // Raw readings are keyed by time first: one range delete when every sensor keeps them as
        // long; otherwise one delete per distinct cut, for the sensors that have it.
        std::map<std::int64_t, std::string> cuts;  // before_ms -> "k1,k2,..."
        for (const auto& [name, key] : channel_keys_) {
            std::string& keys = cuts[before(name)];
            keys += (keys.empty() ? "" : ",") + std::to_string(key);
        }
        std::int64_t n = 0;
        const bool one_cut = cuts.size() <= 1;
        for (const auto& [cut, keys] : cuts) {
            std::string sql = "DELETE FROM raw WHERE k < ?1 * 4096";
            if (!one_cut) sql += " AND k % 4096 IN (" + keys + ")";
            Statement del(db_, sql.c_str());
            if (del.ok() && del.bind(1, cut).step() == SQLITE_DONE) n += sqlite3_changes(db_);
        }
        return n;
    }
    std::string sql = std::string("DELETE FROM ") + table + " WHERE channel = ?1 AND t < ?2";
    Statement del(db_, sql.c_str());
    std::int64_t n = 0;
    if (!del.ok()) return 0;
    for (const auto& [name, key] : channel_keys_) {
        del.bind(1, key).bind(2, before(name));
        if (del.step() == SQLITE_DONE) n += sqlite3_changes(db_);
        del.reset();
    }
    return n;
}

std::int64_t HistoryStore::first_at_or_after(const char* table, std::int64_t from_ms) {
    if (std::string(table) == "raw") {
        Statement first(db_, "SELECT min(k) / 4096 FROM raw WHERE k >= ?1 * 4096");
        if (first.ok() && first.bind(1, from_ms).step() == SQLITE_ROW && !first.null(0)) return first.integer(0);
        return from_ms;
    }
    Statement first(db_, (std::string("SELECT min(t) FROM ") + table + " WHERE channel = ?1 AND t >= ?2").c_str());
    std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
    if (!first.ok()) return from_ms;
    for (const auto& [name, key] : channel_keys_) {
        if (first.bind(1, key).bind(2, from_ms).step() == SQLITE_ROW && !first.null(0))
            earliest = std::min(earliest, first.integer(0));
        first.reset();
    }
    return earliest == std::numeric_limits<std::int64_t>::max() ? from_ms : earliest;
}

std::int64_t HistoryStore::used_bytes() {
    auto pragma = [&](const char* sql) -> std::int64_t {
        Statement s(db_, sql);
        return s.ok() && s.step() == SQLITE_ROW ? s.integer(0) : 0;
    };
    return (pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) * pragma("PRAGMA page_size");
}

// The oldest hour of raw readings goes first (the minute tier still has it), then the oldest day
// of minutes, then the oldest week of hours and the oldest events.
std::int64_t HistoryStore::shrink_oldest() {
    auto oldest = [&](const char* table) -> std::int64_t {
        Statement s(db_, (std::string(table) == "raw" ? std::string("SELECT min(k) / 4096 FROM raw")
                                                       : std::string("SELECT min(t) FROM ") + table)
                             .c_str());
        if (!s.ok() || s.step() != SQLITE_ROW || s.null(0)) return std::numeric_limits<std::int64_t>::max();
        return s.integer(0);
    };
    std::int64_t deleted = 0;
    if (auto t = oldest("raw"); t != std::numeric_limits<std::int64_t>::max()) {
        deleted = delete_before("raw", t + hour_ms);
    } else if (auto m = oldest("minute"); m != std::numeric_limits<std::int64_t>::max()) {
        deleted = delete_before("minute", m + 24 * hour_ms);
    } else if (auto h = oldest("hour"); h != std::numeric_limits<std::int64_t>::max()) {
        deleted = delete_before("hour", h + 7 * 24 * hour_ms);
    }
    if (deleted == 0) {
        Statement del(db_, "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events ORDER BY t LIMIT 1000)");
        if (del.ok() && del.step() == SQLITE_DONE) deleted = sqlite3_changes(db_);
    }
    return deleted;
}

Result<HistoryStore::Upkeep> HistoryStore::maintain(std::int64_t now_ms, const HistoryConfig& config,
                                                    std::int64_t max_minutes) {
    Upkeep upkeep;
    if (auto s = exec("BEGIN"); !s.ok()) return s.error();
    auto fail = [&](const Error& e) -> Result<Upkeep> {
        exec("ROLLBACK");
        return e;
    };
    // Minutes: from the watermark (or the oldest raw reading) up to the last finished minute, at
    // most max_minutes per call, so that catching up after a long stop never blocks the writer.
    const std::int64_t minute_target = (now_ms - aggregate_grace_ms) / minute_ms * minute_ms;
    std::int64_t minute_done = meta("minute_done", -1);
    if (minute_done < 0) {
        Statement first(db_, "SELECT min(k) / 4096 FROM raw");
        minute_done = first.ok() && first.step() == SQLITE_ROW && !first.null(0) ? first.integer(0) / minute_ms * minute_ms
                                                                                  : minute_target;
    }
    // A gap (the bridge was stopped) is skipped at once, not walked through minute by minute.
    minute_done = std::max(minute_done, first_at_or_after("raw", minute_done) / minute_ms * minute_ms);
    const bool aggregating = minute_target - minute_done >= aggregate_batch_minutes * minute_ms;
    if (aggregating) {
        std::int64_t end = std::min(minute_target, minute_done + max_minutes * minute_ms);
        if (auto s = aggregate("minute", "raw", minute_ms, minute_done, end); !s.ok()) return fail(s.error());
        upkeep.minutes_aggregated = (end - minute_done) / minute_ms;
        minute_done = end;
    }
    // The watermarks are written only when they move: an unchanged page costs nothing.
    if (minute_done != meta("minute_done", -1))
        if (auto s = set_meta("minute_done", minute_done); !s.ok()) return fail(s.error());

    const std::int64_t hour_target = minute_done / hour_ms * hour_ms;
    std::int64_t hour_done = meta("hour_done", -1);
    if (hour_done < 0) {
        Statement first(db_, "SELECT min(t) FROM minute");
        hour_done = first.ok() && first.step() == SQLITE_ROW && !first.null(0) ? first.integer(0) / hour_ms * hour_ms
                                                                                : hour_target;
    }
    hour_done = std::max(hour_done, first_at_or_after("minute", hour_done) / hour_ms * hour_ms);
    if (hour_done < hour_target) {
        std::int64_t end = std::min(hour_target, hour_done + 24 * hour_ms);
        if (auto s = aggregate("hour", "minute", hour_ms, hour_done, end); !s.ok()) return fail(s.error());
        upkeep.hours_aggregated = (end - hour_done) / hour_ms;
        hour_done = end;
    }
    if (hour_done != meta("hour_done", -1))
        if (auto s = set_meta("hour_done", hour_done); !s.ok()) return fail(s.error());

    // Retention: never delete what the next tier has not taken yet; raw readings go in the same
    // rounds as they are aggregated (deleting a few rows per batch would rewrite a page each time).
    // Each sensor by its own retention (its `history:` key), else the section's.
    if (aggregating)
        upkeep.rows_deleted += delete_before("raw", [&](const std::string& name) {
            return std::min(now_ms - config.retention(name).raw.count(), minute_done);
        });
    upkeep.rows_deleted += delete_before("minute", [&](const std::string& name) {
        return std::min(now_ms - config.retention(name).minute.count(), hour_done);
    });
    upkeep.rows_deleted += delete_before("hour", [&](const std::string& name) {
        return now_ms - config.retention(name).hour.count();
    });
    {
        Statement del(db_, "DELETE FROM events WHERE t < ?1");
        if (del.ok() && del.bind(1, now_ms - config.events.count()).step() == SQLITE_DONE)
            upkeep.rows_deleted += sqlite3_changes(db_);
    }
    // The size cap: bounded too (a few steps per batch); freed pages are reused before the file grows.
    for (int round = 0; round < 4 && used_bytes() > config.max_bytes; ++round) {
        upkeep.over_cap = true;
        std::int64_t n = shrink_oldest();
        upkeep.rows_deleted += n;
        if (n == 0) break;
    }
    if (auto s = exec("COMMIT"); !s.ok()) return fail(s.error());
    return upkeep;
}

Result<HistoryAnswer> HistoryStore::points(const HistoryQuery& query, std::int64_t now_ms, const HistoryConfig& config) {
    HistoryAnswer answer;
    answer.channel = query.channel;
    answer.from_ms = std::max<std::int64_t>(query.from_ms, 0);  // times before 1970 are not stored
    answer.to_ms = query.to_ms;
    const std::int64_t span = query.to_ms - query.from_ms;
    std::int64_t step = query.step_ms > 0 ? query.step_ms : span / 1000;
    step = std::max<std::int64_t>({step, 1, (span + HistorySource::max_points - 1) / HistorySource::max_points});
    answer.step_ms = step;
    // The finest tier that still holds `from` (or that the step makes worth reading).
    const std::int64_t minute_done = meta("minute_done", now_ms);
    const std::int64_t hour_done = meta("hour_done", now_ms);
    constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min() / 2;
    std::int64_t hour_until = none;    // hour rows before this
    std::int64_t minute_until = none;  // minute rows before this (from hour_until on)
    const Retention kept = config.retention(query.channel);
    if (step < minute_ms && query.from_ms >= now_ms - kept.raw.count()) {
        answer.tier = "raw";
    } else if (step < hour_ms && query.from_ms >= now_ms - kept.minute.count()) {
        answer.tier = "minute";
        minute_until = minute_done;
    } else {
        answer.tier = "hour";
        hour_until = hour_done;
        minute_until = minute_done;
    }
    std::int64_t key = channel_key(query.channel, false);
    if (key < 0) return answer;  // nothing recorded yet
    Statement select(db_, points_sql);
    if (!select.ok()) return error("cannot read history");
    select.bind(1, key).bind(2, answer.from_ms).bind(3, query.to_ms).bind(4, step).bind(5, hour_until).bind(6, minute_until);
    int rc;
    while ((rc = select.step()) == SQLITE_ROW) {
        // The average of equal values can come out an ulp beside them: kept within min..max.
        const double min = select.real(1), max = select.real(3);
        answer.points.push_back(
            HistoryPoint{select.integer(0), min, std::clamp(select.real(2), min, max), max, select.integer(4)});
    }
    if (rc != SQLITE_DONE) return error("cannot read history");
    return answer;
}

Result<HistoryAnswer> HistoryStore::events(const HistoryQuery& query) {
    HistoryAnswer answer;
    answer.channel = query.channel;
    answer.from_ms = query.from_ms;
    answer.to_ms = query.to_ms;
    answer.tier = "events";
    Statement select(db_, "SELECT t, channel, kind, detail, cause FROM events WHERE channel = ?1 AND t >= ?2 AND t < ?3 "
                          "ORDER BY t LIMIT ?4");
    if (!select.ok()) return error("cannot read events");
    select.bind(1, query.channel).bind(2, query.from_ms).bind(3, query.to_ms).bind(4, HistorySource::max_points);
    int rc;
    while ((rc = select.step()) == SQLITE_ROW)
        answer.events.push_back(
            HistoryEvent{select.integer(0), select.text(1), select.text(2), select.text(3), select.text(4)});
    if (rc != SQLITE_DONE) return error("cannot read events");
    return answer;
}

}  // namespace hwb::history
