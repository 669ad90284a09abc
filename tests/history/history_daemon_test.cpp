// The history store in the real daemon: stored readings over HTTP (JSON, CSV) and the sensor
// subprotocol, relay changes as events, kill -9 (at most the last batch lost, the file opens
// cleanly), and a corrupt or unreachable database (a clear error; relays still switch).
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon.h"
#include "support/eventually.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/hwb-history-daemon-XXXXXX";
        path_ = mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string history_map(const std::string& db, const std::string& flush = "300ms") {
    return R"(devices:
  - id: bench
    driver: sim
sensors:
  - id: level
    device: bench
    unit: "°C"
    signal: sine
    low: 10
    high: 20
    period: 10s
    rate: 20
relays:
  - id: pump
    device: bench
    latency: 0ms
history:
  path: )" + db + "\n  flush: " + flush + "\n  spacing: 100ms\n";
}

// Polls at most about 7 times a second: each HTTP poll is a new connection, and the bridge refuses
// more than 10 a second from one address after a burst (bridge.limits.connection_rate).
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json history_json(std::uint16_t port, const std::string& query) {
    auto r = http_get(port, "/api/history?" + query);
    if (r.status != 200) return json{{"status", r.status}, {"body", r.body}};
    return json::parse(r.body, nullptr, false);
}

// Newest raw reading in the file, read with SQLite directly (not through the bridge).
std::int64_t newest_in_file(const std::string& path, std::string* integrity) {
    sqlite3* db = nullptr;
    std::int64_t newest = 0;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            *integrity = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        if (sqlite3_prepare_v2(db, "SELECT max(k) / 4096 FROM raw", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            newest = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return newest;
}

TEST(HistoryDaemon, StoredReadingsComeBackAsJsonAndCsv) {
    TempDir dir;
    Daemon daemon(history_map(dir.file("h.db")));
    const std::int64_t start = now_ms();
    json answer;
    ASSERT_TRUE(eventually([&] {
        answer = history_json(daemon.port(), "channel=level&from=-1m&step=1s");
        return answer.contains("points") && answer["points"].size() >= 2;
    }, 8000ms, 150ms)) << answer.dump();
    EXPECT_EQ(answer["channel"], "level");
    EXPECT_EQ(answer["tier"], "raw");
    EXPECT_EQ(answer["step"], 1000);
    for (const auto& p : answer["points"]) {
        ASSERT_EQ(p.size(), 5u);
        EXPECT_GE(p[0].get<std::int64_t>(), start - 60000);
        EXPECT_LE(p[1].get<double>(), p[2].get<double>());
        EXPECT_LE(p[2].get<double>(), p[3].get<double>());
        EXPECT_GE(p[1].get<double>(), 10 - 1e-9);
        EXPECT_LE(p[3].get<double>(), 20 + 1e-9);
        EXPECT_GE(p[4].get<int>(), 1);
    }
    auto csv = http_get(daemon.port(), "/api/history?channel=level&from=-1m&step=10s&format=csv");
    ASSERT_EQ(csv.status, 200);
    EXPECT_NE(csv.head.find("text/csv"), std::string::npos);
    EXPECT_EQ(csv.body.rfind("time,time_ms,min,avg,max,count\r\n", 0), 0u) << csv.body;
    EXPECT_NE(csv.body.find("Z,"), std::string::npos);  // ISO 8601 times a spreadsheet reads

    EXPECT_EQ(http_get(daemon.port(), "/api/history?channel=nope&from=-1h").status, 404);
    EXPECT_EQ(http_get(daemon.port(), "/api/history?channel=level&from=yesterday").status, 400);
    EXPECT_EQ(http_get(daemon.port(), "/api/history?channel=level&from=-1h&format=xml").status, 400);
    EXPECT_EQ(http_get(daemon.port(), "/api/history?from=-1h").status, 400);
}

TEST(HistoryDaemon, ASensorWithHistoryFalseIsNotKeptAndOneWithItsOwnSpacingIsThinned) {
    TempDir dir;
    std::string map = history_map(dir.file("h.db"));
    const std::string extra = R"(  - id: noise
    device: bench
    signal: sine
    rate: 20
    history: false
  - id: slow
    device: bench
    signal: sine
    rate: 20
    history: {spacing: 1s}
relays:)";
    map.replace(map.find("relays:"), 7, extra);
    Daemon daemon(map);
    // level keeps a reading per 100 ms (the section's spacing), slow one per second, noise none.
    json level;
    ASSERT_TRUE(eventually([&] {
        level = history_json(daemon.port(), "channel=level&from=-1m&step=1ms");
        return level.contains("points") && level["points"].size() >= 30;
    }, 15000ms, 150ms)) << level.dump();
    json slow = history_json(daemon.port(), "channel=slow&from=-1m&step=1ms");
    ASSERT_TRUE(slow.contains("points")) << slow.dump();
    level = history_json(daemon.port(), "channel=level&from=-1m&step=1ms");  // at least as many as then
    ASSERT_TRUE(level.contains("points")) << level.dump();
    EXPECT_GE(slow["points"].size(), 1u) << slow.dump();
    // One in ten of level's (100 ms against 1 s), give or take the first of each.
    EXPECT_LE(slow["points"].size(), level["points"].size() / 10 + 2) << slow.dump();
    // Points are times rounded down to the answer's step.
    const std::int64_t step = slow["step"].get<std::int64_t>();
    for (std::size_t i = 1; i < slow["points"].size(); ++i)
        EXPECT_GT(slow["points"][i][0].get<std::int64_t>() - slow["points"][i - 1][0].get<std::int64_t>(), 1000 - step);
    json noise = history_json(daemon.port(), "channel=noise&from=-1m&step=1ms");
    ASSERT_TRUE(noise.contains("points")) << noise.dump();
    EXPECT_TRUE(noise["points"].empty()) << noise.dump();
}

TEST(HistoryDaemon, SensorSubprotocolAnswersAStoredHistoryRequest) {
    TempDir dir;
    Daemon daemon(history_map(dir.file("h.db")));
    WsClient ws(daemon.port(), "sensor");
    ASSERT_TRUE(ws.ok());
    ASSERT_TRUE(ws.wait_type("hello"));
    std::optional<json> ack;
    ASSERT_TRUE(eventually([&] {
        ws.send_json({{"type", "history"}, {"id", "h1"}, {"channel", "level"}, {"from", now_ms() - 60000}, {"step", 1000}});
        ack = ws.wait_for([](const json& m) { return m.value("id", json()) == "h1"; });
        if (ack && ack->value("type", "") == "ack" && (*ack)["points"].size() >= 2) return true;
        std::this_thread::sleep_for(200ms);  // within the sensor request rate (bridge.limits)
        return false;
    }, 8000ms, 150ms)) << (ack ? ack->dump() : "no answer");
    EXPECT_EQ((*ack)["tier"], "raw");
    EXPECT_EQ((*ack)["points"][0].size(), 5u);
    // The old form still answers from memory, as before.
    ws.send_json({{"type", "history"}, {"id", "h2"}, {"channel", "level"}});
    auto recent = ws.wait_for([](const json& m) { return m.value("id", json()) == "h2"; });
    ASSERT_TRUE(recent);
    EXPECT_TRUE(recent->contains("readings"));
    ws.send_json({{"type", "history"}, {"id", "h3"}, {"channel", "level"}, {"to", 5}});
    auto bad = ws.wait_for([](const json& m) { return m.value("id", json()) == "h3"; });
    ASSERT_TRUE(bad);
    EXPECT_EQ((*bad)["code"], "bad_request");
}

TEST(HistoryDaemon, RelayChangesAreKeptAsEventsWithTheirCause) {
    TempDir dir;
    Daemon daemon(history_map(dir.file("h.db")));
    WsClient relay(daemon.port(), "relay");
    ASSERT_TRUE(relay.ok());
    ASSERT_TRUE(relay.wait_type("hello"));
    relay.send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}, {"client", "tablet"}});
    ASSERT_TRUE(relay.wait_type("ack"));
    relay.send_json({{"type", "set"}, {"id", 2}, {"channel", "pump"}, {"state", "off"}, {"client", "tablet"}});
    ASSERT_TRUE(relay.wait_type("ack"));
    json answer;
    ASSERT_TRUE(eventually([&] {
        answer = history_json(daemon.port(), "channel=pump&from=-1h");
        return answer.contains("events") && answer["events"].size() >= 2;
    }, 8000ms, 150ms)) << answer.dump();
    EXPECT_EQ(answer["tier"], "events");
    const auto& events = answer["events"];
    EXPECT_EQ(events[events.size() - 2][1], "on");
    EXPECT_EQ(events[events.size() - 2][2], "client tablet");
    EXPECT_EQ(events[events.size() - 1][1], "off");
}

// Rows of the events table of one kind, read with SQLite directly.
std::vector<std::string> events_in_file(const std::string& path, const std::string& kind) {
    sqlite3* db = nullptr;
    std::vector<std::string> out;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT detail FROM events WHERE kind = ?1 ORDER BY t", -1, &s, nullptr) == SQLITE_OK) {
            sqlite3_bind_text(s, 1, kind.c_str(), -1, SQLITE_TRANSIENT);
            while (sqlite3_step(s) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return out;
}

TEST(HistoryDaemon, AuditLinesOfTheDoorAreKeptAsEvents) {
    TempDir dir;
    Daemon daemon(history_map(dir.file("h.db")));
    auto r = http_request(daemon.port(), "POST", "/api/map/apply", {"Content-Type: application/json"},
                          json{{"text", "devices: []\n"}, {"version", "not-the-running-one"}}.dump());
    EXPECT_EQ(r.status, 409) << r.body;
    std::vector<std::string> audit;
    ASSERT_TRUE(eventually([&] {
        audit = events_in_file(dir.file("h.db"), "audit");
        return !audit.empty();
    }, 8000ms, 150ms));
    EXPECT_NE(audit.back().find("map apply by"), std::string::npos) << audit.back();
    EXPECT_NE(audit.back().find("refused (stale)"), std::string::npos) << audit.back();
}

TEST(HistoryDaemon, KillNineLosesAtMostTheLastBatchAndTheFileOpensCleanly) {
    TempDir dir;
    const std::string db = dir.file("h.db");
    const std::int64_t flush_ms = 500;
    std::int64_t killed_at = 0;
    {
        Daemon daemon(history_map(db, "500ms"));
        ASSERT_TRUE(eventually([&] {
            auto a = history_json(daemon.port(), "channel=level&from=-1m&step=100ms");
            return a.contains("points") && a["points"].size() >= 20;
        }, 8000ms, 150ms));
        killed_at = now_ms();
        EXPECT_EQ(daemon.stop(SIGKILL), 128 + SIGKILL);
    }
    std::string integrity;
    const std::int64_t newest = newest_in_file(db, &integrity);
    EXPECT_EQ(integrity, "ok");
    // Readings are batched every 500 ms: what was lost is at most the batch being collected
    // (plus one spacing and scheduling slack on a loaded machine).
    EXPECT_GE(newest, killed_at - 2 * flush_ms - 1000);
    // The bridge starts again on the same file, and what was written before is still there.
    Daemon again(history_map(db, "500ms"));
    json answer = history_json(again.port(), "channel=level&from=" + std::to_string(killed_at - 30000) +
                                                 "&to=" + std::to_string(killed_at) + "&step=100ms");
    ASSERT_TRUE(answer.contains("points")) << answer.dump();
    EXPECT_GE(answer["points"].size(), 20u);
    EXPECT_EQ(again.log().find("history: cannot"), std::string::npos) << again.log();
}

void expect_runs_without_history(Daemon& daemon, const std::string& problem) {
    EXPECT_TRUE(eventually([&] { return daemon.log().find(problem) != std::string::npos; }, 8000ms, 150ms)) << daemon.log();
    EXPECT_NE(daemon.log().find("the bridge runs on without history"), std::string::npos) << daemon.log();
    // Relays switch as always.
    WsClient relay(daemon.port(), "relay");
    ASSERT_TRUE(relay.ok());
    ASSERT_TRUE(relay.wait_type("hello"));
    relay.send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}});
    auto ack = relay.wait_for([](const json& m) { return m.value("id", json()) == 1; });
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["type"], "ack");
    EXPECT_EQ((*ack)["state"], "on");
    auto r = http_get(daemon.port(), "/api/history?channel=level&from=-1h");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("unavailable"), std::string::npos);
    WsClient sensor(daemon.port(), "sensor");
    ASSERT_TRUE(sensor.wait_type("hello"));
    sensor.send_json({{"type", "history"}, {"id", "h"}, {"channel", "level"}, {"from", 0}});
    auto answer = sensor.wait_for([](const json& m) { return m.value("id", json()) == "h"; });
    ASSERT_TRUE(answer);
    EXPECT_EQ((*answer)["code"], "unavailable");
}

TEST(HistoryDaemon, ACorruptDatabaseIsLoggedAndTheBridgeRunsWithoutHistory) {
    TempDir dir;
    const std::string db = dir.file("h.db");
    {
        std::ofstream garbage(db);
        for (int i = 0; i < 500; ++i) garbage << "garbage where a database should be\n";
    }
    Daemon daemon(history_map(db));
    expect_runs_without_history(daemon, "file is not a database");
}

TEST(HistoryDaemon, AnUnreachableDatabaseIsLoggedAndTheBridgeRunsWithoutHistory) {
    TempDir dir;
    { std::ofstream file(dir.file("plain-file")); }
    Daemon daemon(history_map(dir.file("plain-file") + "/h.db"));
    expect_runs_without_history(daemon, "cannot open the history database");
}

}  // namespace
}  // namespace hwb::test
