#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "protocol/messages.h"
#include "test_channels.h"

namespace hwb::protocol {
namespace {

using test::Bench;
using test::parse_output;

constexpr std::int64_t t0 = 1764129000123;

bool starts_with_type(const std::string& text, const std::string& type) {
    return text.rfind(R"({"type":")" + type + "\"", 0) == 0;
}

struct SensorBench : Bench {
    SensorBench() : Bench(map()) {}
    static DeviceMap map() {
        auto temperature = test::sensor("temperature");
        temperature.info.label = "Temperature";
        temperature.info.unit = "°C";
        temperature.info.min = -10;
        temperature.info.max = 40;
        temperature.info.precision = 1;
        auto door = test::sensor("door", SensorType::boolean);
        door.info.label = "Door closed";
        door.info.precision = 0;
        return map_of({temperature, door});
    }
    Sensor& temperature() { return *channels.sensor("temperature"); }
    Sensor& door() { return *channels.sensor("door"); }
};

TEST(SensorHello, CarriesMetadataCurrentValuesAndStatus) {
    SensorBench bench;
    bench.temperature().publish(21.5, t0 - 100);
    bench.temperature().publish(21.53, t0);
    bench.door().set_status({false, "port /dev/ttyUSB0 missing"});

    const auto text = sensor_hello({"Demo bench", "c1"}, bench.channels.sensors());
    EXPECT_TRUE(starts_with_type(text, "hello")) << text;
    const Json j = parse_output(text);
    EXPECT_EQ(j["protocol"], "sensor");
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["bridge"], "Demo bench");
    EXPECT_EQ(j["client"], "c1");
    EXPECT_FALSE(j.contains("id"));
    ASSERT_EQ(j["channels"].size(), 2u);

    const Json& t = j["channels"][0];
    EXPECT_EQ(t, Json::parse(R"({"id":"temperature","label":"Temperature","device":"bench","device_label":"bench","unit":"°C","kind":"number",
        "min":-10,"max":40,"precision":1,"online":true,"value":21.53,"time":1764129000123,"seq":2})"));

    const Json& d = j["channels"][1];
    EXPECT_EQ(d, Json::parse(R"({"id":"door","label":"Door closed","device":"bench","device_label":"bench","unit":"","kind":"boolean",
        "precision":0,"online":false,"reason":"port /dev/ttyUSB0 missing","value":null,"time":null,"seq":0})"));
}

TEST(SensorHello, OmitsRangeWhenTheMapGivesNoneAndHasOnlyOneBound) {
    auto low_only = test::sensor("level");
    low_only.info.min = 0;
    Bench bench(Bench::map_of({low_only}));
    const Json c = parse_output(sensor_hello({"b", "c1"}, bench.channels.sensors()))["channels"][0];
    EXPECT_EQ(c["min"], 0);
    EXPECT_FALSE(c.contains("max"));
}

TEST(SensorHello, BooleanValueIsTrueOrFalse) {
    SensorBench bench;
    bench.door().publish(1, t0);
    EXPECT_EQ(sensor_json(bench.door())["value"], true);
    bench.door().publish(0, t0);
    EXPECT_EQ(sensor_json(bench.door())["value"], false);
}

TEST(SensorHello, WithNoSensorsHasAnEmptyList) {
    Bench bench(Bench::map_of({}));
    EXPECT_EQ(parse_output(sensor_hello({"b", "c9"}, bench.channels.sensors()))["channels"], Json::array());
}

TEST(Reading, RoundTripsChannelValueTimeAndSeq) {
    SensorBench bench;
    bench.temperature().publish(21.61, t0 + 100);
    const auto text = reading(bench.temperature());
    EXPECT_EQ(text, R"({"type":"reading","channel":"temperature","value":21.61,"time":1764129000223,"seq":1})");
    const Json j = parse_output(text);
    EXPECT_EQ(j["value"].get<double>(), 21.61);
}

TEST(Reading, ValueIsEmittedUnrounded) {
    SensorBench bench;
    for (double v : {0.1 + 0.2, 1.0 / 3.0, -273.15, 1e-9, 6.02214076e23, 0.0}) {
        bench.temperature().publish(v, t0);
        EXPECT_EQ(parse_output(reading(bench.temperature()))["value"].get<double>(), v);
    }
}

TEST(Reading, BooleanSensorSendsTrueOrFalse) {
    SensorBench bench;
    bench.door().publish(1, t0);
    EXPECT_EQ(parse_output(reading(bench.door()))["value"], true);
    bench.door().publish(0, t0);
    EXPECT_EQ(parse_output(reading(bench.door()))["value"], false);
}

TEST(Reading, NonFiniteValuesAreSentAsNull) {
    SensorBench bench;
    for (double v : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
        bench.temperature().publish(v, t0);
        EXPECT_TRUE(parse_output(reading(bench.temperature()))["value"].is_null());
        EXPECT_TRUE(parse_output(sensor_hello({"b", "c"}, bench.channels.sensors()))["channels"][0]["value"].is_null());
    }
}

TEST(Reading, SensorWithoutReadingStillGivesValidJson) {
    SensorBench bench;
    const Json j = parse_output(reading(bench.temperature()));
    EXPECT_TRUE(j["value"].is_null());
    EXPECT_TRUE(j["time"].is_null());
    EXPECT_EQ(j["seq"], 0);
}

struct RelayBench : Bench {
    RelayBench() : Bench(map_of({}, {test::relay("pump", false), test::relay("heater", true), test::relay("lamp")})) {}
    Relay& pump() { return *channels.relay("pump"); }
};

TEST(RelayHello, ReportedStateCarriesTimeAndSeq) {
    RelayBench bench;
    bench.pump().report(RelayState::off, Cause::of(Cause::Kind::startup));
    const auto text = relay_hello({"Demo bench", "c2"}, bench.channels.relays());
    EXPECT_TRUE(starts_with_type(text, "hello")) << text;
    const Json j = parse_output(text);
    EXPECT_EQ(j["protocol"], "relay");
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["client"], "c2");
    ASSERT_EQ(j["channels"].size(), 3u);
    const Json& pump = j["channels"][0];
    EXPECT_EQ(pump["id"], "pump");
    EXPECT_EQ(pump["label"], "Label of pump");
    EXPECT_EQ(pump["device"], "bench");
    EXPECT_EQ(pump["state"], "off");
    EXPECT_EQ(pump["pending"], false);
    EXPECT_EQ(pump["safe_state"], "off");
    EXPECT_EQ(pump["online"], true);
    EXPECT_FALSE(pump.contains("reason"));
    EXPECT_EQ(pump["seq"], 1);
    EXPECT_EQ(pump["time"], bench.pump().changed_ms());
    EXPECT_GT(pump["time"].get<std::int64_t>(), 0);
}

TEST(RelayHello, SafeStateIsOnOffOrNull) {
    RelayBench bench;
    const Json j = parse_output(relay_hello({"b", "c"}, bench.channels.relays()));
    EXPECT_EQ(j["channels"][0]["safe_state"], "off");
    EXPECT_EQ(j["channels"][1]["safe_state"], "on");
    EXPECT_TRUE(j["channels"][2]["safe_state"].is_null());
}

TEST(RelayHello, UnreportedRelayIsUnknownWithoutTime) {
    RelayBench bench;
    const Json lamp = relay_json(*bench.channels.relay("lamp"));
    EXPECT_EQ(lamp["state"], "unknown");
    EXPECT_TRUE(lamp["time"].is_null());
    EXPECT_EQ(lamp["seq"], 0);
}

TEST(RelayHello, OfflineRelayCarriesReason) {
    RelayBench bench;
    bench.pump().set_status({false, "gpiochip0 missing"});
    const Json pump = relay_json(bench.pump());
    EXPECT_EQ(pump["online"], false);
    EXPECT_EQ(pump["reason"], "gpiochip0 missing");
}

TEST(RelayState, ClientCauseNamesTheClient) {
    RelayBench bench;
    bench.pump().report(RelayState::on, Cause::by_client("greenhouse-tablet"));
    const auto text = relay_state(bench.pump(), Cause::by_client("greenhouse-tablet"));
    EXPECT_TRUE(starts_with_type(text, "state")) << text;
    const Json j = parse_output(text);
    EXPECT_EQ(j["channel"], "pump");
    EXPECT_EQ(j["state"], "on");
    EXPECT_EQ(j["time"], bench.pump().changed_ms());
    EXPECT_EQ(j["seq"], 1);
    EXPECT_EQ(j["cause"], "client");
    EXPECT_EQ(j["client"], "greenhouse-tablet");
    EXPECT_FALSE(j.contains("id"));
}

TEST(RelayState, SignedInRequesterIsNamedAsSubject) {
    RelayBench bench;
    Cause cause = Cause::by_client("c4");
    cause.subject = "operator-tester";
    bench.pump().report(RelayState::on, cause);
    const Json j = parse_output(relay_state(bench.pump(), cause));
    EXPECT_EQ(j["client"], "c4");
    EXPECT_EQ(j["subject"], "operator-tester");
    // Without one (anonymous, no authentication): no key at all.
    EXPECT_FALSE(parse_output(relay_state(bench.pump(), Cause::by_client("c4"))).contains("subject"));
}

TEST(RelayHello, LogbookKeepsTheLastTenChangesOldestFirstWithTheirCauses) {
    RelayBench bench;
    bench.pump().report(RelayState::off, Cause::of(Cause::Kind::startup));
    EXPECT_EQ(relay_json(bench.pump())["log"], Json::parse(R"([{"time":)" + std::to_string(bench.pump().changed_ms()) +
                                                            R"(,"state":"off","cause":"startup"}])"));
    for (int i = 0; i < 14; ++i) {
        Cause cause = Cause::by_client("c" + std::to_string(i));
        if (i % 2 == 0) cause.subject = "alice";
        bench.pump().report(i % 2 == 0 ? RelayState::on : RelayState::off, cause);
    }
    // A report of the same state is no change and no entry.
    bench.pump().report(RelayState::off, Cause::by_client("c99"));
    const Json log = relay_json(bench.pump())["log"];
    ASSERT_EQ(log.size(), Relay::logbook_size);
    for (std::size_t k = 0; k < log.size(); ++k) {
        const int i = static_cast<int>(k) + 4;  // changes 4..13 remain
        EXPECT_EQ(log[k]["client"], "c" + std::to_string(i)) << log[k];
        EXPECT_EQ(log[k]["state"], i % 2 == 0 ? "on" : "off") << log[k];
        EXPECT_EQ(log[k].contains("subject"), i % 2 == 0) << log[k];
    }
    EXPECT_TRUE(relay_json(*bench.channels.relay("lamp"))["log"].empty());
}

TEST(RelayState, OtherCausesCarryNoClient) {
    RelayBench bench;
    bench.pump().report(RelayState::on, Cause::of(Cause::Kind::startup));
    for (auto [kind, name] : {std::pair{Cause::Kind::startup, "startup"}, std::pair{Cause::Kind::shutdown, "shutdown"},
                              std::pair{Cause::Kind::pulse_end, "pulse_end"}, std::pair{Cause::Kind::driver, "driver"}}) {
        const Json j = parse_output(relay_state(bench.pump(), Cause::of(kind)));
        EXPECT_EQ(j["cause"], name);
        EXPECT_FALSE(j.contains("client")) << name;
    }
}

TEST(RelayState, UnknownStateIsSentAsUnknown) {
    RelayBench bench;
    bench.pump().report(RelayState::on, Cause::of(Cause::Kind::startup));
    bench.pump().report(RelayState::unknown, Cause::of(Cause::Kind::driver));
    const Json j = parse_output(relay_state(bench.pump(), Cause::of(Cause::Kind::driver)));
    EXPECT_EQ(j["state"], "unknown");
    EXPECT_EQ(j["seq"], 2);
}

TEST(Status, ReasonOnlyWhenOffline) {
    EXPECT_EQ(status("door", {true, "stale reason"}), R"({"type":"status","channel":"door","online":true})");
    const Json j = parse_output(status("door", {false, "port /dev/ttyUSB0 missing"}));
    EXPECT_EQ(j, Json::parse(R"({"type":"status","channel":"door","online":false,"reason":"port /dev/ttyUSB0 missing"})"));
}

struct TextBench : Bench {
    TextBench() : Bench(map_of({}, {}, {test::text("console", 128)})) { console().bind(&output); }
    TextChannel& console() { return *channels.text("console"); }
    test::AcceptingTextOutput output;
};

TEST(TextHello, CarriesLineLimitAndStatus) {
    TextBench bench;
    const auto text = text_hello({"Demo bench", "c3"}, bench.channels.texts());
    EXPECT_TRUE(starts_with_type(text, "hello")) << text;
    const Json j = parse_output(text);
    EXPECT_EQ(j["protocol"], "text");
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["channels"], Json::parse(R"([{"id":"console","label":"Label of console","device":"bench","device_label":"bench","online":true,
        "max_line_bytes":128}])"));
}

TEST(TextLine, ReceivedLineHasNoSender) {
    TextBench bench;
    bench.console().publish_line("echo: status");
    const auto& line = bench.console().history().back();
    const auto text = text_line("console", line);
    EXPECT_TRUE(starts_with_type(text, "line")) << text;
    const Json j = parse_output(text);
    EXPECT_EQ(j["channel"], "console");
    EXPECT_EQ(j["line"], "echo: status");
    EXPECT_EQ(j["dir"], "rx");
    EXPECT_FALSE(j.contains("by"));
    EXPECT_EQ(j["time"], line.time_ms);
    EXPECT_EQ(j["seq"], 1);
}

TEST(TextLine, SentLineNamesTheSender) {
    TextBench bench;
    bench.console().send("status", Cause::by_client("bench-laptop"), [](Status s) { EXPECT_TRUE(s.ok()); });
    const Json j = parse_output(text_line("console", bench.console().history().back()));
    EXPECT_EQ(j["line"], "status");
    EXPECT_EQ(j["dir"], "tx");
    EXPECT_EQ(j["by"], "bench-laptop");
}

TEST(TextLine, AnyDeviceBytesGiveValidJson) {
    TextLine line{"ctrl \x01\x1b[0m \"q\" \\ tab\t bad \xFF\xC3 ok é", TextDirection::from_device, {}, t0, 3};
    const Json j = parse_output(text_line("console", line));
    EXPECT_EQ(j["line"], "ctrl \x01\x1b[0m \"q\" \\ tab\t bad \xEF\xBF\xBD\xEF\xBF\xBD ok é");
}

TEST(TextOpenAck, HistoryComesOldestFirst) {
    TextBench bench;
    bench.console().publish_line("boot");
    bench.console().send("status", Cause::by_client("laptop"), [](Status) {});
    bench.console().publish_line("ok");
    const Json j = parse_output(text_open_ack(1, bench.console()));
    EXPECT_EQ(j["type"], "ack");
    EXPECT_EQ(j["id"], 1);
    EXPECT_EQ(j["channel"], "console");
    ASSERT_EQ(j["history"].size(), 3u);
    EXPECT_EQ(j["history"][0]["line"], "boot");
    EXPECT_EQ(j["history"][0]["dir"], "rx");
    EXPECT_EQ(j["history"][0]["seq"], 1);
    EXPECT_FALSE(j["history"][0].contains("by"));
    EXPECT_EQ(j["history"][1]["line"], "status");
    EXPECT_EQ(j["history"][1]["dir"], "tx");
    EXPECT_EQ(j["history"][1]["by"], "laptop");
    EXPECT_EQ(j["history"][2]["line"], "ok");
    EXPECT_EQ(j["history"][2]["seq"], 3);
    for (const auto& l : j["history"]) EXPECT_FALSE(l.contains("channel"));
}

TEST(TextOpenAck, EmptyHistoryIsAnEmptyList) {
    TextBench bench;
    EXPECT_EQ(parse_output(text_open_ack("o", bench.console()))["history"], Json::array());
}

TEST(Acks, SubscribeAckEchoesTheSubscription) {
    const Json j = parse_output(subscribe_ack(1, std::vector<std::string>{"temperature", "humidity"}, 2.0));
    EXPECT_EQ(j, Json::parse(R"({"type":"ack","id":1,"channels":["temperature","humidity"],"max_rate_hz":2})"));
}

TEST(Acks, SubscribeAckForAllSensorsUncappedHasNulls) {
    const Json j = parse_output(subscribe_ack("s", std::nullopt, std::nullopt));
    EXPECT_EQ(j, Json::parse(R"({"type":"ack","id":"s","channels":null,"max_rate_hz":null})"));
    EXPECT_EQ(parse_output(subscribe_ack(2, std::vector<std::string>{}, 0.5))["channels"], Json::array());
}

TEST(Acks, RelayAckCarriesConfirmedState) {
    EXPECT_EQ(relay_ack("r1", "pump", RelayState::on), R"({"type":"ack","id":"r1","channel":"pump","state":"on"})");
    EXPECT_EQ(parse_output(relay_ack(7, "pump", RelayState::off))["state"], "off");
}

TEST(Acks, TextAckNamesTheChannel) {
    EXPECT_EQ(text_ack(3, "console"), R"({"type":"ack","id":3,"channel":"console"})");
}

TEST(Acks, IdsAreEchoedExactly) {
    for (const Json& id : {Json(0), Json(-12), Json(1.5), Json("r-1"), Json(""), Json(std::uint64_t{18446744073709551615u}),
                           Json("quote \" and é")}) {
        EXPECT_EQ(parse_output(text_ack(id, "c"))["id"], id);
        EXPECT_EQ(parse_output(error(id, "c", {"busy", "x"}))["id"], id);
    }
}

TEST(Errors, CarryCodeMessageAndChannelWhenGiven) {
    const auto text = error("r2", "pump", {"hardware", "simulated failure (fail_every: 3)"});
    EXPECT_EQ(text,
              R"j({"type":"error","id":"r2","channel":"pump","code":"hardware","message":"simulated failure (fail_every: 3)"})j");
    const Json j = parse_output(error(nullptr, "", {"bad_request", "missing 'id' (a string or a number)"}));
    EXPECT_TRUE(j["id"].is_null());
    EXPECT_FALSE(j.contains("channel"));
    EXPECT_EQ(j["code"], "bad_request");
}

TEST(ChannelsDocument, ListsEveryChannelLikeTheHellos) {
    Bench bench(Bench::map_of({test::sensor("temperature"), test::sensor("door", SensorType::boolean)},
                              {test::relay("pump", false)}, {test::text("console")}));
    bench.channels.sensor("temperature")->publish(19.25, t0);
    bench.channels.relay("pump")->report(RelayState::on, Cause::of(Cause::Kind::startup));

    const Json doc = parse_output(channels_document("Demo bench", bench.channels));
    EXPECT_EQ(doc["bridge"], "Demo bench");
    EXPECT_EQ(doc["version"], 1);
    EXPECT_EQ(doc["sensors"], parse_output(sensor_hello({"x", "c"}, bench.channels.sensors()))["channels"]);
    EXPECT_EQ(doc["relays"], parse_output(relay_hello({"x", "c"}, bench.channels.relays()))["channels"]);
    EXPECT_EQ(doc["texts"], parse_output(text_hello({"x", "c"}, bench.channels.texts()))["channels"]);
    EXPECT_EQ(doc["sensors"][0]["value"], 19.25);
    EXPECT_EQ(doc["relays"][0]["state"], "on");
    EXPECT_EQ(doc.size(), 5u);
}

TEST(ChannelsDocument, EmptyMapGivesEmptyLists) {
    Bench bench(Bench::map_of({}));
    EXPECT_EQ(parse_output(channels_document("b", bench.channels)),
              Json::parse(R"({"bridge":"b","version":1,"sensors":[],"relays":[],"texts":[]})"));
}

TEST(Encoding, MetadataWithInvalidUtf8StillGivesValidJson) {
    auto s = test::sensor("odd");
    s.info.label = "bad \xFF label";
    Bench bench(Bench::map_of({s}));
    EXPECT_EQ(parse_output(sensor_hello({"bridge \xC3", "c"}, bench.channels.sensors()))["channels"][0]["label"],
              "bad \xEF\xBF\xBD label");
}

}  // namespace
}  // namespace hwb::protocol
