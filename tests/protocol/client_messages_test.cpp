// The client's half of the codec: every request it encodes is read back by the server's parser
// as the same request, and the server's messages parse into the typed structs; hostile frames
// from a bridge are errors, never exceptions.
#include <gtest/gtest.h>

#include "protocol/client_messages.h"

namespace hwb::protocol {
namespace {

using namespace std::chrono_literals;

TEST(ClientRequests, RelayRequestsReadBackAsTheSameRequests) {
    auto set = parse_relay_request(encode_request(RelaySet{Json("r1"), "pump", true, "cron", 30000ms}));
    ASSERT_EQ(set.index(), 0u);
    const auto& s = std::get<RelaySet>(std::get<0>(set));
    EXPECT_EQ(s.id, "r1");
    EXPECT_EQ(s.channel, "pump");
    EXPECT_TRUE(s.on);
    EXPECT_EQ(s.client, "cron");
    EXPECT_EQ(s.lease, 30000ms);

    auto toggle = parse_relay_request(encode_request(RelayToggle{Json(7), "fan", "", std::nullopt}));
    ASSERT_EQ(toggle.index(), 0u);
    const auto& t = std::get<RelayToggle>(std::get<0>(toggle));
    EXPECT_EQ(t.id, 7);
    EXPECT_EQ(t.client, "");
    EXPECT_FALSE(t.lease.has_value());

    auto pulse = parse_relay_request(encode_request(RelayPulse{Json(8), "door", 500ms, ""}));
    ASSERT_EQ(pulse.index(), 0u);
    EXPECT_EQ(std::get<RelayPulse>(std::get<0>(pulse)).duration, 500ms);

    auto renew = parse_relay_request(encode_request(RelayRenew{Json(9), "pump", "", 10000ms}));
    ASSERT_EQ(renew.index(), 0u);
    EXPECT_EQ(std::get<RelayRenew>(std::get<0>(renew)).lease, 10000ms);
}

TEST(ClientRequests, SensorAndTextRequestsReadBackAsTheSameRequests) {
    auto all = parse_sensor_request(encode_request(Subscribe{Json(1), std::nullopt, std::nullopt}));
    ASSERT_EQ(all.index(), 0u);
    EXPECT_FALSE(std::get<Subscribe>(std::get<0>(all)).channels.has_value());
    auto some = parse_sensor_request(
        encode_request(Subscribe{Json(2), std::vector<std::string>{"temperature"}, 2.5}));
    ASSERT_EQ(some.index(), 0u);
    EXPECT_EQ(std::get<Subscribe>(std::get<0>(some)).channels, std::vector<std::string>{"temperature"});
    EXPECT_EQ(std::get<Subscribe>(std::get<0>(some)).max_rate_hz, 2.5);

    auto send = parse_text_request(encode_request(TextSend{Json(3), "console", "héllo \"x\"", "me"}));
    ASSERT_EQ(send.index(), 0u);
    EXPECT_EQ(std::get<TextSend>(std::get<0>(send)).line, "héllo \"x\"");
    auto open = parse_text_request(encode_request(TextOpen{Json(4), "console"}));
    ASSERT_EQ(open.index(), 0u);
    EXPECT_EQ(std::get<TextOpen>(std::get<0>(open)).channel, "console");
}

TEST(ServerMessages, ParseIntoTypedMessages) {
    auto hello = parse_server_message(
        R"({"type":"hello","protocol":"relay","version":1,"bridge":"B","client":"c2","channels":[
        {"id":"pump","label":"Water pump","device":"bench","state":"on","pending":false,"lease":null,
         "online":true,"time":1764129000000,"seq":3}],
        "access":{"role":"operator","subject":"plc","method":"machine","expires":null,"control":["pump"]}})");
    ASSERT_TRUE(hello.ok()) << hello.error().message;
    const auto& h = std::get<HelloMessage>(hello.value());
    EXPECT_EQ(h.client, "c2");
    ASSERT_EQ(h.channels.size(), 1u);
    EXPECT_EQ(h.channels[0].value, "on");
    EXPECT_EQ(h.channels[0].seq, 3u);
    ASSERT_TRUE(h.access.has_value());
    EXPECT_EQ(h.access->control, std::vector<std::string>{"pump"});

    auto state = parse_server_message(
        R"({"type":"state","channel":"pump","state":"off","time":1,"seq":4,"cause":"lease_expired","client":"c4","lease":null,"auto_off":null})");
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(std::get<StateMessage>(state.value()).cause, "lease_expired");
    EXPECT_FALSE(std::get<StateMessage>(state.value()).lease.has_value());

    auto error = parse_server_message(R"({"type":"error","id":"r1","channel":"fan","code":"interlock","message":"no"})");
    ASSERT_TRUE(error.ok());
    EXPECT_EQ(std::get<ErrorMessage>(error.value()).error.code, "interlock");

    auto required = parse_server_message(R"({"type":"hello","protocol":"text","version":1,"client":"c3","auth":"required","login":["token"]})");
    ASSERT_TRUE(required.ok());
    EXPECT_TRUE(std::get<HelloMessage>(required.value()).auth_required);
}

TEST(ServerMessages, HostileFramesAreErrorsNotExceptions) {
    EXPECT_EQ(parse_server_message("").error().code, "bad_json");
    EXPECT_EQ(parse_server_message("[1,2]").error().code, "bad_request");
    EXPECT_EQ(parse_server_message(R"({"type":"news"})").error().code, "unknown_type");
    EXPECT_EQ(parse_server_message(R"({"type":"reading","channel":5})").error().code, "bad_request");
    EXPECT_EQ(parse_server_message(R"({"type":"hello","protocol":"relay","channels":{}})").error().code, "bad_request");
    EXPECT_EQ(parse_server_message(R"({"type":"hello","protocol":"relay","channels":[{"id":"x","seq":-1}]})").error().code,
              "bad_request");
    EXPECT_EQ(parse_server_message(R"({"type":"state","channel":"p","state":"on","lease":{"client":1}})").error().code,
              "bad_request");
    EXPECT_EQ(parse_server_message(std::string(100000, '[')).error().code, "bad_json");
}

}  // namespace
}  // namespace hwb::protocol
