// The `history:` section and a sensor's own `history:` key: values reach HistoryConfig with their
// defaults, mistakes are reported where they are written.
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using namespace std::chrono_literals;
using test::error_lines;
using test::load;

const std::string history_base = "devices: [{id: bench, driver: sim}]\n";

bool has(const std::vector<std::string>& lines, const std::string& part) {
    for (const auto& line : lines)
        if (line.find(part) != std::string::npos) return true;
    return false;
}

TEST(DeviceMapHistory, AbsentMeansTheDefaults) {
    auto result = load(history_base);
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    EXPECT_EQ(result.map->history, HistoryConfig{});
    const Retention r = result.map->history.retention("anything");
    EXPECT_TRUE(r.keep);
    EXPECT_EQ(r.raw, 24h);
    EXPECT_EQ(r.spacing, 1000ms);
}

TEST(DeviceMapHistory, KeysReachTheConfig) {
    auto result = load(history_base + R"(history:
  path: /var/lib/hwbridge/h.db
  raw: 2d
  minute: 90d
  hour: 3650d
  events: 730d
  spacing: 5s
  flush: 30s
  max_size_mb: 64
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const HistoryConfig& h = result.map->history;
    EXPECT_TRUE(h.enabled);
    EXPECT_EQ(h.path, "/var/lib/hwbridge/h.db");
    EXPECT_EQ(h.raw, 48h);
    EXPECT_EQ(h.minute, std::chrono::hours(24 * 90));
    EXPECT_EQ(h.spacing, 5s);
    EXPECT_EQ(h.flush, 30s);
    EXPECT_EQ(h.max_bytes, 64LL * 1024 * 1024);
    EXPECT_TRUE(h.channels.empty());
}

TEST(DeviceMapHistory, MistakesAreReportedWhereTheyAreWritten) {
    auto result = load(history_base + R"(history:
  path: relative/h.db
  raw: 10s
  flush: soon
  max_size_mb: 0
  minutes: 30d
)");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    EXPECT_TRUE(has(lines, ":3:9: error: 'path' must be an absolute file path")) << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(lines, ":4:")) << ::testing::PrintToString(lines);  // raw below a minute
    EXPECT_TRUE(has(lines, ":5:")) << ::testing::PrintToString(lines);  // not a duration
    EXPECT_TRUE(has(lines, ":6:")) << ::testing::PrintToString(lines);  // below 1 MiB
    EXPECT_TRUE(has(lines, ":7:3: error:")) << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(lines, "did you mean 'minute'")) << ::testing::PrintToString(lines);
}

TEST(DeviceMapHistory, ASensorKeepsNothingOrItsOwnTiers) {
    auto result = load(history_base + R"(history: {raw: 12h, spacing: 2s}
sensors:
  - {id: noisy, device: bench, history: false}
  - {id: energy, device: bench, history: {raw: 7d, hour: 7300d}}
  - {id: plain, device: bench}
  - {id: said_so, device: bench, history: true}
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const HistoryConfig& h = result.map->history;
    EXPECT_EQ(h.channels.size(), 2u);
    EXPECT_FALSE(h.retention("noisy").keep);
    const Retention energy = h.retention("energy");
    EXPECT_TRUE(energy.keep);
    EXPECT_EQ(energy.raw, std::chrono::hours(24 * 7));
    EXPECT_EQ(energy.hour, std::chrono::hours(24 * 365 * 20));
    EXPECT_EQ(energy.minute, h.minute);  // left out: the section's
    EXPECT_EQ(energy.spacing, 2s);
    EXPECT_EQ(h.retention("plain").raw, 12h);
    EXPECT_TRUE(h.retention("said_so").keep);
    EXPECT_EQ(h.longest_raw(), std::chrono::hours(24 * 7));
}

TEST(DeviceMapHistory, ASensorsHistoryKeyIsCheckedToo) {
    auto result = load(history_base + R"(sensors:
  - id: a
    device: bench
    history: forever
  - id: b
    device: bench
    history: {raw: 1s, hours: 365d}
)");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    EXPECT_TRUE(has(lines, ":5:14: error: 'history' of sensor 'a' must be false or a mapping of raw, minute, hour, spacing"))
        << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(lines, ":8:")) << ::testing::PrintToString(lines);  // raw below a minute
    EXPECT_TRUE(has(lines, "did you mean 'hour'")) << ::testing::PrintToString(lines);
}

}  // namespace
}  // namespace hwb
