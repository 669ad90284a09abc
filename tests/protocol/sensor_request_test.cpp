#include <gtest/gtest.h>

#include "protocol/messages.h"
#include "test_channels.h"

namespace hwb::protocol {
namespace {

using test::expect_rejected;
using test::expect_request;

Parsed<SensorRequest> parse_sensor(std::string_view frame) { return parse_sensor_request(frame); }

TEST(SensorRequest, SubscribeNamesChannelsAndRate) {
    const auto& sub = expect_request<Subscribe>(
        parse_sensor(R"({"type":"subscribe","id":1,"channels":["temperature","humidity"],"max_rate_hz":2})"));
    EXPECT_EQ(sub.id, 1);
    ASSERT_TRUE(sub.channels.has_value());
    EXPECT_EQ(*sub.channels, (std::vector<std::string>{"temperature", "humidity"}));
    ASSERT_TRUE(sub.max_rate_hz.has_value());
    EXPECT_EQ(*sub.max_rate_hz, 2.0);
}

TEST(SensorRequest, SubscribeWithoutChannelsMeansAllSensorsUncapped) {
    const auto& sub = expect_request<Subscribe>(parse_sensor(R"({"type":"subscribe","id":"s"})"));
    EXPECT_EQ(sub.id, "s");
    EXPECT_FALSE(sub.channels.has_value());
    EXPECT_FALSE(sub.max_rate_hz.has_value());
}

TEST(SensorRequest, SubscribeWithNullChannelsAndRateMeansAllSensorsUncapped) {
    const auto& sub = expect_request<Subscribe>(parse_sensor(R"({"type":"subscribe","id":2,"channels":null,"max_rate_hz":null})"));
    EXPECT_FALSE(sub.channels.has_value());
    EXPECT_FALSE(sub.max_rate_hz.has_value());
}

TEST(SensorRequest, SubscribeWithEmptyListMeansNoSensors) {
    const auto& sub = expect_request<Subscribe>(parse_sensor(R"({"type":"subscribe","id":3,"channels":[]})"));
    ASSERT_TRUE(sub.channels.has_value());
    EXPECT_TRUE(sub.channels->empty());
}

TEST(SensorRequest, FractionalRatesUpTo1000HzAreAccepted) {
    EXPECT_EQ(*expect_request<Subscribe>(parse_sensor(R"({"type":"subscribe","id":1,"max_rate_hz":0.5})")).max_rate_hz, 0.5);
    EXPECT_EQ(*expect_request<Subscribe>(parse_sensor(R"({"type":"subscribe","id":1,"max_rate_hz":1000})")).max_rate_hz, 1000.0);
    EXPECT_EQ(*expect_request<Subscribe>(parse_sensor(R"({"type":"subscribe","id":1,"max_rate_hz":1e-3})")).max_rate_hz, 1e-3);
    EXPECT_EQ(*expect_request<Subscribe>(parse_sensor(R"({"type":"subscribe","id":1,"max_rate_hz":1.2e-5})")).max_rate_hz, 1.2e-5);
}

// Below once a day: 1 / 1e-300 Hz would overflow the session's interval (undefined behaviour).
TEST(SensorRequest, RateOfZeroNegativeBelowOnceADayAbove1000OrNotANumberIsRejected) {
    for (const char* rate : {"0", "-0", "-1", "1000.001", "1e308", "1e-300", "5e-324", "1e-5", "\"2\"", "true", "[]", "{}"}) {
        const auto bad = expect_rejected(parse_sensor(std::string(R"({"type":"subscribe","id":7,"max_rate_hz":)") + rate + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << rate;
        EXPECT_EQ(bad.id, 7) << rate;
        EXPECT_NE(bad.error.message.find("'max_rate_hz'"), std::string::npos) << bad.error.message;
        EXPECT_NE(bad.error.message.find("1000"), std::string::npos) << bad.error.message;
    }
}

TEST(SensorRequest, ChannelsThatAreNotAListOfStringsAreRejected) {
    for (const char* channels : {"\"temperature\"", "[1]", "[\"a\",null]", "{}", "true"}) {
        const auto bad = expect_rejected(parse_sensor(std::string(R"({"type":"subscribe","id":"x","channels":)") + channels + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << channels;
        EXPECT_EQ(bad.id, "x");
        EXPECT_NE(bad.error.message.find("'channels'"), std::string::npos) << bad.error.message;
    }
}

TEST(SensorRequest, UnknownTypeListsTheSensorMessages) {
    const auto bad = expect_rejected(parse_sensor(R"({"type":"set","id":4,"channel":"pump","state":"on"})"));
    EXPECT_EQ(bad.error.code, "unknown_type");
    EXPECT_EQ(bad.id, 4);
    EXPECT_NE(bad.error.message.find("'set'"), std::string::npos) << bad.error.message;
    EXPECT_NE(bad.error.message.find("subscribe"), std::string::npos) << bad.error.message;
}

TEST(SensorRequest, UnknownExtraFieldsAreIgnored) {
    const auto& sub = expect_request<Subscribe>(
        parse_sensor(R"({"type":"subscribe","id":1,"channels":["a"],"future":{"nested":[1,2,3]},"x":null})"));
    EXPECT_EQ(*sub.channels, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace hwb::protocol

namespace hwb::protocol {
namespace {

TEST(SensorRequest, HistoryNamesOneChannel) {
    const auto& h = test::expect_request<History>(parse_sensor_request(R"({"type":"history","id":4,"channel":"t"})"));
    EXPECT_EQ(h.id, 4);
    EXPECT_EQ(h.channel, "t");
}

TEST(SensorRequest, HistoryWithoutChannelIsRejectedWithItsId) {
    auto bad = test::expect_rejected(parse_sensor_request(R"({"type":"history","id":5})"));
    EXPECT_EQ(bad.error.code, "bad_request");
    EXPECT_EQ(bad.id, 5);
}

struct NoObserver final : ChannelObserver {};

TEST(SensorMessages, HistoryAckListsTimeValuePairsOldestFirst) {
    NoObserver o;
    Sensor t(SensorInfo{.id = "t", .history_spacing_ms = 100}, o);
    t.publish(1.5, 1000);
    t.publish(9.0, 1050);  // within the spacing: not kept
    t.publish(2.5, 1100);
    auto ack = Json::parse(history_ack(7, t));
    EXPECT_EQ(ack["type"], "ack");
    EXPECT_EQ(ack["id"], 7);
    EXPECT_EQ(ack["channel"], "t");
    EXPECT_EQ(ack["readings"], Json::parse("[[1000,1.5],[1100,2.5]]"));
    Sensor door(SensorInfo{.id = "door", .type = SensorType::boolean}, o);
    door.publish(1, 1000);
    EXPECT_EQ(Json::parse(history_ack(1, door))["readings"], Json::parse("[[1000,true]]"));
}

}  // namespace
}  // namespace hwb::protocol
