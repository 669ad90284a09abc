#include <gtest/gtest.h>

#include "protocol/messages.h"
#include "test_channels.h"

namespace hwb::protocol {
namespace {

using test::expect_rejected;
using test::expect_request;

Parsed<RelayRequest> parse_relay(std::string_view frame) { return parse_relay_request(frame); }

BadRequest pulse_rejected(const std::string& duration) {
    return expect_rejected(parse_relay(R"({"type":"pulse","id":"p","channel":"door_opener","duration_ms":)" + duration + "}"));
}

std::chrono::milliseconds pulse_duration(const std::string& duration) {
    return expect_request<RelayPulse>(
               parse_relay(R"({"type":"pulse","id":"p","channel":"door_opener","duration_ms":)" + duration + "}"))
        .duration;
}

TEST(RelayRequest, SetWithClientNameParses) {
    const auto& set = expect_request<RelaySet>(
        parse_relay(R"({"type":"set","id":"r1","channel":"pump","state":"on","client":"greenhouse-tablet"})"));
    EXPECT_EQ(set.id, "r1");
    EXPECT_EQ(set.channel, "pump");
    EXPECT_TRUE(set.on);
    EXPECT_EQ(set.client, "greenhouse-tablet");
}

TEST(RelayRequest, SetAcceptsOnOffAndBooleans) {
    EXPECT_TRUE(expect_request<RelaySet>(parse_relay(R"({"type":"set","id":1,"channel":"pump","state":"on"})")).on);
    EXPECT_FALSE(expect_request<RelaySet>(parse_relay(R"({"type":"set","id":1,"channel":"pump","state":"off"})")).on);
    EXPECT_TRUE(expect_request<RelaySet>(parse_relay(R"({"type":"set","id":1,"channel":"pump","state":true})")).on);
    EXPECT_FALSE(expect_request<RelaySet>(parse_relay(R"({"type":"set","id":1,"channel":"pump","state":false})")).on);
}

TEST(RelayRequest, SetWithoutClientLeavesItEmpty) {
    EXPECT_EQ(expect_request<RelaySet>(parse_relay(R"({"type":"set","id":1,"channel":"pump","state":"on"})")).client, "");
    EXPECT_EQ(expect_request<RelaySet>(parse_relay(R"({"type":"set","id":1,"channel":"pump","state":"on","client":null})")).client, "");
}

TEST(RelayRequest, SetWithAnyOtherStateIsRejectedNamingTheField) {
    for (const char* state : {"\"ON\"", "\"1\"", "1", "0", "null", "\"\"", "[\"on\"]"}) {
        const auto bad = expect_rejected(parse_relay(std::string(R"({"type":"set","id":9,"channel":"pump","state":)") + state + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << state;
        EXPECT_EQ(bad.id, 9);
        EXPECT_EQ(bad.error.message, R"('state' must be "on", "off", true or false)");
    }
    const auto missing = expect_rejected(parse_relay(R"({"type":"set","id":9,"channel":"pump"})"));
    EXPECT_EQ(missing.error.code, "bad_request");
    EXPECT_NE(missing.error.message.find("'state'"), std::string::npos);
}

TEST(RelayRequest, ToggleParses) {
    const auto& toggle = expect_request<RelayToggle>(parse_relay(R"({"type":"toggle","id":"r2","channel":"pump"})"));
    EXPECT_EQ(toggle.id, "r2");
    EXPECT_EQ(toggle.channel, "pump");
    EXPECT_EQ(toggle.client, "");
}

TEST(RelayRequest, PulseParsesDuration) {
    const auto& pulse = expect_request<RelayPulse>(
        parse_relay(R"({"type":"pulse","id":"r3","channel":"door_opener","duration_ms":500,"client":"gate"})"));
    EXPECT_EQ(pulse.id, "r3");
    EXPECT_EQ(pulse.channel, "door_opener");
    EXPECT_EQ(pulse.duration, std::chrono::milliseconds(500));
    EXPECT_EQ(pulse.client, "gate");
}

TEST(RelayRequest, PulseDurationFrom1MsTo24HoursIsAccepted) {
    EXPECT_EQ(pulse_duration("1"), std::chrono::milliseconds(1));
    EXPECT_EQ(pulse_duration("86400000"), std::chrono::milliseconds(86400000));
    EXPECT_EQ(pulse_duration("500.0"), std::chrono::milliseconds(500));  // a whole number, however written
    EXPECT_EQ(pulse_duration("5e2"), std::chrono::milliseconds(500));
}

TEST(RelayRequest, PulseDurationOutsideRangeOrFractionalIsRejected) {
    for (const char* d : {"0", "86400001", "-1", "-9223372036854775808", "1.5", "0.5", "1e30", "-1e30",
                          "18446744073709551615", "99999999999999999999999999", "\"500\"", "null", "true"}) {
        const auto bad = pulse_rejected(d);
        EXPECT_EQ(bad.error.code, "bad_request") << d;
        EXPECT_EQ(bad.id, "p") << d;
        EXPECT_EQ(bad.error.message, "'duration_ms' must be an integer between 1 and 86400000") << d;
    }
}

TEST(RelayRequest, PulseWithoutDurationIsRejected) {
    const auto bad = expect_rejected(parse_relay(R"({"type":"pulse","id":"p","channel":"door_opener"})"));
    EXPECT_EQ(bad.error.code, "bad_request");
    EXPECT_NE(bad.error.message.find("'duration_ms'"), std::string::npos);
}

TEST(RelayRequest, ChannelMustBeANonEmptyString) {
    for (const char* channel : {"", R"(,"channel":"")", R"(,"channel":5)", R"(,"channel":null)", R"(,"channel":["pump"])"}) {
        const auto bad = expect_rejected(parse_relay(std::string(R"({"type":"toggle","id":"c")") + channel + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << channel;
        EXPECT_EQ(bad.id, "c");
        EXPECT_NE(bad.error.message.find("'channel' must be a non-empty string"), std::string::npos) << bad.error.message;
    }
}

TEST(RelayRequest, ClientNameUpTo64CharactersIsAccepted) {
    const std::string name(64, 'x');
    EXPECT_EQ(expect_request<RelayToggle>(parse_relay(R"({"type":"toggle","id":1,"channel":"pump","client":")" + name + "\"}")).client,
              name);
    // 64 characters of two bytes each: the limit counts characters, not bytes.
    std::string wide;
    for (int i = 0; i < 64; ++i) wide += "é";
    EXPECT_EQ(expect_request<RelayToggle>(parse_relay(R"({"type":"toggle","id":1,"channel":"pump","client":")" + wide + "\"}")).client,
              wide);
}

TEST(RelayRequest, ClientNameOver64CharactersOrNotAStringIsRejected) {
    const std::string name(65, 'x');
    for (const std::string& client : {"\"" + name + "\"", std::string("42"), std::string("{}")}) {
        const auto bad =
            expect_rejected(parse_relay(R"({"type":"set","id":1,"channel":"pump","state":"on","client":)" + client + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << client;
        EXPECT_EQ(bad.id, 1);
        EXPECT_EQ(bad.error.message, "'client' must be a string of at most 64 characters");
    }
}

TEST(RelayRequest, UnknownTypeListsTheRelayMessages) {
    const auto bad = expect_rejected(parse_relay(R"({"type":"switch","id":"u","channel":"pump"})"));
    EXPECT_EQ(bad.error.code, "unknown_type");
    EXPECT_EQ(bad.id, "u");
    EXPECT_NE(bad.error.message.find("'switch'"), std::string::npos);
    EXPECT_NE(bad.error.message.find("set, toggle, pulse"), std::string::npos) << bad.error.message;
}

TEST(RelayRequest, MessagesOfOtherSubprotocolsAreUnknownTypes) {
    EXPECT_EQ(expect_rejected(parse_relay(R"({"type":"subscribe","id":1})")).error.code, "unknown_type");
    EXPECT_EQ(expect_rejected(parse_relay(R"({"type":"send","id":1,"channel":"c","line":"x"})")).error.code, "unknown_type");
    EXPECT_EQ(expect_rejected(parse_relay(R"({"type":"hello","id":1})")).error.code, "unknown_type");
}

TEST(RelayRequest, UnknownExtraFieldsAreIgnored) {
    const auto& set = expect_request<RelaySet>(
        parse_relay(R"({"type":"set","id":1,"channel":"pump","state":"off","reason":"maintenance","priority":[1,{"a":2}]})"));
    EXPECT_FALSE(set.on);
}

}  // namespace
}  // namespace hwb::protocol
