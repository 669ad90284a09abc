#include <gtest/gtest.h>

#include "core/channels.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

struct Recorder final : ChannelObserver {
    void on_reading(const Sensor& s) override { readings.push_back(*s.last()); }
    void on_text_line(const TextChannel&, const TextLine& line) override { lines.push_back(line); }
    void on_status(ChannelKind, const std::string& id, const ChannelStatus& st) override {
        statuses.push_back(id + (st.online ? " online" : " offline: " + st.reason));
    }
    std::vector<Reading> readings;
    std::vector<TextLine> lines;
    std::vector<std::string> statuses;
};

TEST(Sensor, ReadingsCarryIncreasingSequenceNumbers) {
    Recorder r;
    Sensor s(SensorInfo{.id = "t", .label = "T"}, r);
    EXPECT_FALSE(s.last());
    s.publish(1.5, 1000);
    s.publish(2.5, 2000);
    ASSERT_EQ(r.readings.size(), 2u);
    EXPECT_EQ(r.readings[0].seq, 1u);
    EXPECT_EQ(r.readings[1].seq, 2u);
    EXPECT_EQ(s.last()->value, 2.5);
    EXPECT_EQ(s.last()->time_ms, 2000);
}

TEST(Sensor, BooleanValuesAreNormalised) {
    Recorder r;
    Sensor s(SensorInfo{.id = "door", .type = SensorType::boolean}, r);
    s.publish(7);
    EXPECT_EQ(s.last()->value, 1);
    s.publish(0);
    EXPECT_EQ(s.last()->value, 0);
}

TEST(Sensor, StatusChangesAreReportedOnce) {
    Recorder r;
    Sensor s(SensorInfo{.id = "t"}, r);
    s.set_status({false, "port missing"});
    s.set_status({false, "port missing"});
    s.set_status({true, ""});
    EXPECT_EQ(r.statuses, (std::vector<std::string>{"t offline: port missing", "t online"}));
}

class EchoOutput final : public TextOutput {
public:
    void send_line(const std::string& line, Done done) override {
        sent.push_back(line);
        done(fail ? std::optional<Error>(Error{"hardware", "write failed"}) : std::nullopt);
    }
    std::vector<std::string> sent;
    bool fail = false;
};

TEST(TextChannel, SentLinesReachTheDeviceAndEveryViewer) {
    Recorder r;
    TextChannel t(TextInfo{.id = "console", .history_lines = 3, .max_line_bytes = 10}, r);
    EchoOutput out;
    t.bind(&out);
    std::optional<Status> st;
    t.send("hi", Cause::by_client("laptop"), [&](Status s) { st = s; });
    ASSERT_TRUE(st && st->ok());
    EXPECT_EQ(out.sent, std::vector<std::string>{"hi"});
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].direction, TextDirection::to_device);
    EXPECT_EQ(r.lines[0].by, "laptop");
}

TEST(TextChannel, OverlongLineIsRefusedAndNotSent) {
    Recorder r;
    TextChannel t(TextInfo{.id = "console", .max_line_bytes = 4}, r);
    EchoOutput out;
    t.bind(&out);
    std::optional<Status> st;
    t.send("12345", Cause::by_client("x"), [&](Status s) { st = s; });
    ASSERT_TRUE(st && !st->ok());
    EXPECT_EQ(st->error().code, "too_long");
    EXPECT_TRUE(out.sent.empty());
}

TEST(TextChannel, OverlongDeviceLineIsCutWithAMarker) {
    Recorder r;
    TextChannel t(TextInfo{.id = "console", .max_line_bytes = 8}, r);
    t.publish_line("short");
    t.publish_line("0123456789abcdef");
    t.publish_line("1234567\xC3\xA9xyz");  // the limit falls inside the two bytes of "é"
    ASSERT_EQ(r.lines.size(), 3u);
    EXPECT_EQ(r.lines[0].text, "short");
    EXPECT_EQ(r.lines[1].text, "01234567 [cut: 8 more bytes]");
    EXPECT_EQ(r.lines[2].text, "1234567 [cut: 5 more bytes]");
}

TEST(TextChannel, FailedSendIsNotRecordedAsSent) {
    Recorder r;
    TextChannel t(TextInfo{.id = "console"}, r);
    EchoOutput out;
    out.fail = true;
    t.bind(&out);
    std::optional<Status> st;
    t.send("x", Cause::by_client("x"), [&](Status s) { st = s; });
    ASSERT_TRUE(st && !st->ok());
    EXPECT_TRUE(t.history().empty());
}

TEST(TextChannel, HistoryKeepsTheNewestLines) {
    Recorder r;
    TextChannel t(TextInfo{.id = "console", .history_lines = 2}, r);
    t.publish_line("a");
    t.publish_line("b");
    t.publish_line("c");
    ASSERT_EQ(t.history().size(), 2u);
    EXPECT_EQ(t.history().front().text, "b");
    EXPECT_EQ(t.history().back().seq, 3u);
}

TEST(TextChannel, HistoryIsBoundedByItsEncodedSizeToo) {
    Recorder r;
    TextChannel t(TextInfo{.id = "console", .history_lines = 1000, .max_line_bytes = 4096}, r);
    // Control bytes weigh six times their size as JSON (\u0001).
    for (int i = 0; i < 100; ++i) t.publish_line(std::string(4096, '\x01'));
    EXPECT_EQ(r.lines.size(), 100u) << "every line is still told to the observers";
    EXPECT_LT(t.history().size(), 100u);
    EXPECT_GE(t.history().size(), 9u);  // 256 KiB / (4096 * 6 + fields)
    EXPECT_EQ(t.history().back().seq, 100u) << "the newest lines are kept";
    std::size_t escaped = 0;
    for (const auto& line : t.history()) escaped += line.text.size() * 6;
    EXPECT_LE(escaped, TextChannel::max_history_bytes);
}

TEST(TextChannel, NoHistoryWithZeroLines) {
    Recorder r;
    TextChannel t(TextInfo{.id = "console", .history_lines = 0}, r);
    t.publish_line("a");
    EXPECT_TRUE(t.history().empty());
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].text, "a");
}

TEST(Channels, IndexesChannelsOfTheMapById) {
    DeviceMap map;
    DeviceConfig d;
    d.id = "bench";
    d.sensors.push_back(SensorConfig{SensorInfo{.id = "t"}, {}, {}});
    d.relays.push_back(RelayConfig{RelayInfo{.id = "pump"}, {}, {}});
    d.texts.push_back(TextConfig{TextInfo{.id = "console"}, {}, {}});
    map.devices.push_back(d);
    test::ManualLoop loop;
    Channels channels(map, loop);
    EXPECT_NE(channels.sensor("t"), nullptr);
    EXPECT_NE(channels.relay("pump"), nullptr);
    EXPECT_NE(channels.text("console"), nullptr);
    EXPECT_EQ(channels.relay("t"), nullptr);
    Recorder r;
    channels.add_observer(&r);
    channels.sensor("t")->publish(4);
    EXPECT_EQ(r.readings.size(), 1u);
    channels.remove_observer(&r);
    channels.sensor("t")->publish(5);
    EXPECT_EQ(r.readings.size(), 1u);
}

}  // namespace
}  // namespace hwb

namespace hwb {
namespace {

TEST(Sensor, HistoryKeepsOneReadingPerSpacingOverItsWindow) {
    Recorder r;
    Sensor s(SensorInfo{.id = "t", .history_window_ms = 1000, .history_spacing_ms = 100}, r);
    for (std::int64_t t = 0; t <= 3000; t += 10) s.publish(static_cast<double>(t), t);
    ASSERT_FALSE(s.history().empty());
    EXPECT_EQ(s.history().back().time_ms, 3000);
    EXPECT_EQ(s.history().front().time_ms, 2000);
    EXPECT_EQ(s.history().size(), 11u);
    EXPECT_EQ(s.last()->seq, 301u);
}

}  // namespace
}  // namespace hwb
