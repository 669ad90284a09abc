// The history database on its own: what goes in comes out at each tier, downsampling is bounded
// per call, retention and the size cap delete the oldest data, and a damaged or unreachable file
// is a clear error rather than a crash.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "history/history_store.h"

namespace hwb::history {
namespace {

constexpr std::int64_t minute = 60000;
constexpr std::int64_t hour = 3600000;
// A fixed "now" on a whole hour, so tier boundaries are easy to reason about.
constexpr std::int64_t now = 1764000000000 / hour * hour;

class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/hwb-history-XXXXXX";
        path_ = mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::unique_ptr<HistoryStore> open_store(const std::string& path) {
    auto store = HistoryStore::open(path);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
}

// One reading per second of `channel` over [from, to): value = seconds since `from` modulo 60.
std::vector<Sample> ramp(const std::string& channel, std::int64_t from, std::int64_t to) {
    std::vector<Sample> out;
    for (std::int64_t t = from; t < to; t += 1000) out.push_back(Sample{channel, t, static_cast<double>((t - from) / 1000 % 60)});
    return out;
}

TEST(HistoryStore, ReadingsComeBackAsRawPointsWithTheirValues) {
    TempDir dir;
    auto store = open_store(dir.file("h.db"));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->write({{"t", now - 3000, 1.5}, {"t", now - 2000, 2.5}, {"u", now - 2000, 9}}, {}).ok());
    auto answer = store->points({"t", now - 10000, now, 1000}, now, HistoryConfig{});
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer.value().tier, "raw");
    ASSERT_EQ(answer.value().points.size(), 2u);
    EXPECT_EQ(answer.value().points[0].time_ms, now - 3000);
    EXPECT_DOUBLE_EQ(answer.value().points[0].avg, 1.5);
    EXPECT_DOUBLE_EQ(answer.value().points[1].max, 2.5);
    EXPECT_EQ(answer.value().points[1].count, 1);
}

TEST(HistoryStore, FinishedMinutesAndHoursAreAggregatedWithMinAvgMaxCount) {
    TempDir dir;
    auto store = open_store(dir.file("h.db"));
    ASSERT_TRUE(store);
    // Three hours of readings, one per second; values 0..59 within each minute.
    ASSERT_TRUE(store->write(ramp("t", now - 3 * hour, now), {}).ok());
    HistoryConfig config;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->maintain(now, config).ok());
    auto minutes = store->points({"t", now - 3 * hour, now - 2 * hour, minute}, now, config);
    ASSERT_TRUE(minutes.ok());
    EXPECT_EQ(minutes.value().tier, "minute");
    ASSERT_EQ(minutes.value().points.size(), 60u);
    for (const auto& p : minutes.value().points) {
        EXPECT_DOUBLE_EQ(p.min, 0);
        EXPECT_DOUBLE_EQ(p.max, 59);
        EXPECT_DOUBLE_EQ(p.avg, 29.5);
        EXPECT_EQ(p.count, 60);
    }
    auto hours = store->points({"t", now - 3 * hour, now, hour}, now, config);
    ASSERT_TRUE(hours.ok());
    EXPECT_EQ(hours.value().tier, "hour");
    // The last hour is not finished (its last minute is within the grace period): it comes from
    // the minute and raw tiers, in the same buckets.
    ASSERT_EQ(hours.value().points.size(), 3u);
    for (const auto& p : hours.value().points) {
        EXPECT_DOUBLE_EQ(p.min, 0);
        EXPECT_DOUBLE_EQ(p.max, 59);
        EXPECT_DOUBLE_EQ(p.avg, 29.5);
        EXPECT_EQ(p.count, 3600);
    }
}

TEST(HistoryStore, DownsamplingIsBoundedPerCall) {
    TempDir dir;
    auto store = open_store(dir.file("h.db"));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->write(ramp("t", now - 3 * hour, now), {}).ok());
    auto first = store->maintain(now, HistoryConfig{}, 30);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.value().minutes_aggregated, 30);
    auto second = store->maintain(now, HistoryConfig{}, 30);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second.value().minutes_aggregated, 30);
}

TEST(HistoryStore, RetentionDeletesOldRawReadingsOnlyAfterTheyWereAggregated) {
    TempDir dir;
    auto store = open_store(dir.file("h.db"));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->write(ramp("t", now - 3 * hour, now), {}).ok());
    HistoryConfig config;
    config.raw = std::chrono::hours(1);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->maintain(now, config).ok());
    // Two hours ago at 1 s: only the minute tier has it now.
    auto old = store->points({"t", now - 3 * hour, now - 2 * hour, 1000}, now, config);
    ASSERT_TRUE(old.ok());
    EXPECT_EQ(old.value().tier, "minute");
    EXPECT_EQ(old.value().points.size(), 60u);
    // Reading raw rows directly over the old range finds nothing left.
    HistoryConfig everything_raw = config;
    everything_raw.raw = std::chrono::hours(10);
    auto raw = store->points({"t", now - 3 * hour, now - 2 * hour, 1000}, now, everything_raw);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw.value().tier, "raw");
    EXPECT_TRUE(raw.value().points.empty());
}

TEST(HistoryStore, EachSensorKeepsItsReadingsAsLongAsItsOwnHistoryKeySays) {
    TempDir dir;
    auto store = open_store(dir.file("h.db"));
    ASSERT_TRUE(store);
    for (const char* c : {"short", "long", "plain"}) ASSERT_TRUE(store->write(ramp(c, now - 3 * hour, now), {}).ok());
    HistoryConfig config;
    config.raw = std::chrono::hours(2);  // the section: plain keeps 2 h of raw readings
    config.channels["short"].raw = std::chrono::hours(1);
    config.channels["long"].raw = std::chrono::hours(10);
    config.channels["long"].minute = std::chrono::hours(2);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->maintain(now, config).ok());
    // Raw rows left per sensor, read with a tier choice that always reads raw.
    HistoryConfig read_raw = config;
    read_raw.channels.clear();
    read_raw.raw = std::chrono::hours(100);
    auto raw_count = [&](const std::string& c, std::int64_t from, std::int64_t to) {
        auto a = store->points({c, from, to, 1000}, now, read_raw);
        EXPECT_TRUE(a.ok());
        EXPECT_EQ(a.value().tier, "raw");
        std::int64_t n = 0;
        for (const auto& p : a.value().points) n += p.count;
        return n;
    };
    // 2.5 h ago: only the long-keeping sensor still has its raw readings.
    EXPECT_EQ(raw_count("long", now - 150 * minute, now - 140 * minute), 600);
    EXPECT_EQ(raw_count("plain", now - 150 * minute, now - 140 * minute), 0);
    EXPECT_EQ(raw_count("short", now - 150 * minute, now - 140 * minute), 0);
    // 1.5 h ago: the short one is gone, the section's default still holds it.
    EXPECT_EQ(raw_count("plain", now - 90 * minute, now - 80 * minute), 600);
    EXPECT_EQ(raw_count("short", now - 90 * minute, now - 80 * minute), 0);
    // The tier a query is served from follows the sensor's own retention too.
    auto long_answer = store->points({"long", now - 150 * minute, now - 140 * minute, 1000}, now, config);
    ASSERT_TRUE(long_answer.ok());
    EXPECT_EQ(long_answer.value().tier, "raw");
    auto short_answer = store->points({"short", now - 90 * minute, now - 80 * minute, 1000}, now, config);
    ASSERT_TRUE(short_answer.ok());
    EXPECT_EQ(short_answer.value().tier, "minute");
    EXPECT_EQ(short_answer.value().points.size(), 10u);
}

TEST(HistoryStore, SizeCapDeletesTheOldestDataFirst) {
    TempDir dir;
    auto store = open_store(dir.file("h.db"));
    ASSERT_TRUE(store);
    HistoryConfig config;
    config.raw = std::chrono::hours(24 * 30);
    config.max_bytes = 1024 * 1024;
    // Ten channels over six hours: several MB of raw readings.
    for (int c = 0; c < 10; ++c) ASSERT_TRUE(store->write(ramp("s" + std::to_string(c), now - 6 * hour, now), {}).ok());
    ASSERT_GT(store->used_bytes(), config.max_bytes);
    bool over = false;
    for (int i = 0; i < 40 && store->used_bytes() > config.max_bytes; ++i) {
        auto upkeep = store->maintain(now, config, 600);
        ASSERT_TRUE(upkeep.ok());
        over = over || upkeep.value().over_cap;
    }
    EXPECT_TRUE(over);
    EXPECT_LE(store->used_bytes(), config.max_bytes);
    // The newest readings are still there.
    auto recent = store->points({"s3", now - 60000, now, 1000}, now, config);
    ASSERT_TRUE(recent.ok());
    EXPECT_EQ(recent.value().points.size(), 60u);
}

TEST(HistoryStore, EventsAreKeptPerChannelOldestFirst) {
    TempDir dir;
    auto store = open_store(dir.file("h.db"));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->write({}, {{now - 2000, "pump", "relay", "on", "client tablet"},
                                  {now - 1000, "pump", "relay", "off", "lease_expired"},
                                  {now - 1500, "fan", "relay", "on", "startup"}})
                    .ok());
    auto events = store->events({"pump", now - 10000, now, 0});
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events.value().events.size(), 2u);
    EXPECT_EQ(events.value().events[0].detail, "on");
    EXPECT_EQ(events.value().events[0].cause, "client tablet");
    EXPECT_EQ(events.value().events[1].cause, "lease_expired");
}

TEST(HistoryStore, DataSurvivesClosingAndOpeningAgain) {
    TempDir dir;
    {
        auto store = open_store(dir.file("h.db"));
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->write(ramp("t", now - 10000, now), {}).ok());
    }
    auto again = open_store(dir.file("h.db"));
    ASSERT_TRUE(again);
    auto answer = again->points({"t", now - 10000, now, 1000}, now, HistoryConfig{});
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer.value().points.size(), 10u);
}

TEST(HistoryStore, AFileThatIsNotADatabaseIsAClearError) {
    TempDir dir;
    {
        std::ofstream garbage(dir.file("h.db"));
        for (int i = 0; i < 200; ++i) garbage << "this is not a database, just text that happens to be here\n";
    }
    auto store = HistoryStore::open(dir.file("h.db"));
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, "unavailable");
    EXPECT_NE(store.error().message.find(dir.file("h.db")), std::string::npos) << store.error().message;
    EXPECT_NE(store.error().message.find("not a database"), std::string::npos) << store.error().message;
}

TEST(HistoryStore, AFolderThatCannotHoldTheFileIsAClearError) {
    TempDir dir;
    { std::ofstream file(dir.file("plain-file")); }
    // A path below a regular file: no user, root included, can create it.
    auto store = HistoryStore::open(dir.file("plain-file") + "/h.db");
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find("cannot open the history database"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace hwb::history
