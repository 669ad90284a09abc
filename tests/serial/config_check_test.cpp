// The serial driver's cross-key rules (DriverInfo::check), run by --check before any port is opened.
#include <gtest/gtest.h>

#include <map>

#include "serial/serial_config.h"

namespace hwb::serial {
namespace {

using Keys = std::map<std::string, OptionValue>;

Options options(const std::vector<OptionSpec>& specs, const Keys& keys) {
    Options o;
    for (const auto& s : specs)
        if (s.fallback) o.set(s.key, *s.fallback);
    for (const auto& [k, v] : keys) {
        o.set(k, v);
        o.set_location(k, SourceLocation{"map.yaml", 1, 1});
    }
    return o;
}

DeviceConfig device(const Keys& keys) {
    DeviceConfig d;
    d.id = "board";
    d.driver = "serial";
    d.options = options(device_option_specs(), keys);
    return d;
}

void add_sensor(DeviceConfig& d, const std::string& id, const Keys& keys) {
    SensorConfig s;
    s.info.id = id;
    s.options = options(sensor_option_specs(), keys);
    d.sensors.push_back(s);
}

void add_relay(DeviceConfig& d, const std::string& id, const Keys& keys) {
    RelayConfig r;
    r.info.id = id;
    r.options = options(relay_option_specs(), keys);
    d.relays.push_back(r);
}

std::string problems(const DeviceConfig& d) {
    std::string out;
    for (const auto& p : check_settings(d)) out += (p.channel.empty() ? "" : p.channel + ".") + p.key + ": " + p.message + "\n";
    return out;
}

TEST(SerialCheck, AValidMapHasNoProblems) {
    auto d = device({{"port", std::string("/dev/ttyUSB0")}});
    add_sensor(d, "temp", {{"pattern", std::string("T=(?<temp>[-0-9.]+)")}, {"filter", std::string("median")}, {"window", std::int64_t{3}}});
    add_sensor(d, "hum", {{"csv_column", std::int64_t{2}}});
    add_relay(d, "r1", {{"on_command", std::string("R1 ON\\r\\n")}, {"off_command", std::string("R1 OFF\\r\\n")},
                        {"confirm_on", std::string("^OK R1 ON$")}, {"confirm_off", std::string("^OK R1 OFF$")}});
    EXPECT_EQ(problems(d), "");
    auto parsed = parse_settings(d);
    EXPECT_EQ(parsed.settings.relays[0].on_command, "R1 ON\r\n");
    EXPECT_EQ(parsed.settings.port.line.baud, 115200);
}

TEST(SerialCheck, NeedsExactlyOneOfPortAndUsbMatch) {
    EXPECT_NE(problems(device({})).find("needs 'port'"), std::string::npos);
    auto both = problems(device({{"port", std::string("/dev/ttyUSB0")}, {"usb_vendor", std::string("2341")}}));
    EXPECT_NE(both.find("not both"), std::string::npos) << both;
    EXPECT_NE(problems(device({{"usb_product", std::string("0043")}})).find("needs 'usb_vendor'"), std::string::npos);
    EXPECT_NE(problems(device({{"usb_vendor", std::string("23x1")}})).find("4 hex digits"), std::string::npos);
    EXPECT_EQ(problems(device({{"usb_vendor", std::string("2341")}, {"usb_serial", std::string("95530")}})), "");
}

TEST(SerialCheck, FixedFramingNeedsFrameLengthAndLineFramingRefusesIt) {
    auto fixed = problems(device({{"port", std::string("/dev/x")}, {"framing", std::string("fixed")}}));
    EXPECT_NE(fixed.find("needs 'frame_length'"), std::string::npos) << fixed;
    auto line = problems(device({{"port", std::string("/dev/x")}, {"frame_length", std::int64_t{8}}}));
    EXPECT_NE(line.find("'framing: fixed' only"), std::string::npos) << line;
    EXPECT_EQ(problems(device({{"port", std::string("/dev/x")}, {"framing", std::string("fixed")}, {"frame_length", std::int64_t{8}}})), "");
    EXPECT_NE(problems(device({{"port", std::string("/dev/x")}, {"baud", std::int64_t{12345}}})).find("standard rate"), std::string::npos);
    EXPECT_NE(problems(device({{"port", std::string("/dev/x")}, {"delimiter", std::string("\\q")}})).find("delimiter"), std::string::npos);
}

TEST(SerialCheck, SensorNeedsExactlyOneWayToFindItsValue) {
    auto d = device({{"port", std::string("/dev/x")}});
    add_sensor(d, "none", {});
    add_sensor(d, "two", {{"pattern", std::string("T=(\\d+)")}, {"json_key", std::string("t")}});
    add_sensor(d, "badfield", {{"pattern", std::string("T=(?<t>\\d+)")}, {"field", std::string("temp")}});
    add_sensor(d, "ambiguous", {{"pattern", std::string("(?<a>1)(?<b>2)")}});
    add_sensor(d, "badregex", {{"pattern", std::string("T=([0-9")}});
    add_sensor(d, "stray", {{"json_key", std::string("t")}, {"field", std::string("t")}, {"window", std::int64_t{3}}});
    auto p = problems(d);
    EXPECT_NE(p.find("none.: a serial sensor needs one of"), std::string::npos) << p;
    EXPECT_NE(p.find("two.: give only one"), std::string::npos) << p;
    EXPECT_NE(p.find("badfield.field: 'pattern': the pattern has no group named 'temp'"), std::string::npos) << p;
    EXPECT_NE(p.find("ambiguous.pattern"), std::string::npos) << p;
    EXPECT_NE(p.find("badregex.pattern"), std::string::npos) << p;
    EXPECT_NE(p.find("stray.field"), std::string::npos) << p;
    EXPECT_NE(p.find("stray.window"), std::string::npos) << p;
}

TEST(SerialCheck, RelayConfirmationComesInPairs) {
    auto d = device({{"port", std::string("/dev/x")}});
    add_relay(d, "half", {{"on_command", std::string("1")}, {"off_command", std::string("0")}, {"confirm_on", std::string("OK")}});
    add_relay(d, "query", {{"on_command", std::string("1")}, {"off_command", std::string("0")}, {"query_command", std::string("?")}});
    add_relay(d, "escape", {{"on_command", std::string("\\z")}, {"off_command", std::string("0")}});
    auto p = problems(d);
    EXPECT_NE(p.find("half.confirm_on: give both"), std::string::npos) << p;
    EXPECT_NE(p.find("query.query_command"), std::string::npos) << p;
    EXPECT_NE(p.find("escape.on_command: 'on_command': unknown escape"), std::string::npos) << p;
}

TEST(SerialCheck, BoardKeysAreCheckedAcrossKeys) {
    auto d = device({{"port", std::string("/dev/x")}, {"flow_control", std::string("rtscts")}, {"rts", std::string("off")},
                     {"settle", Millis(2000)}, {"dtr", std::string("off")}});
    add_sensor(d, "no_range", {{"csv_column", std::int64_t{1}}, {"out_of_range", std::string("clamp")}});
    add_sensor(d, "bad_match", {{"csv_column", std::int64_t{1}}, {"match", std::string("(?=x)")}});
    add_relay(d, "no_query", {{"on_command", std::string("1")}, {"off_command", std::string("0")}, {"query_attempts", std::int64_t{5}}});
    auto p = problems(d);
    EXPECT_NE(p.find("rts: 'rts' cannot be set with 'flow_control: rtscts'"), std::string::npos) << p;
    EXPECT_NE(p.find("no_range.out_of_range: 'out_of_range' applies to sensors with a 'range'"), std::string::npos) << p;
    EXPECT_NE(p.find("bad_match.match: 'match': "), std::string::npos) << p;
    EXPECT_NE(p.find("no_query.query_attempts: 'query_attempts' applies only with 'query_command'"), std::string::npos) << p;
    EXPECT_EQ(p.find("settle"), std::string::npos) << p;
    EXPECT_EQ(p.find("dtr"), std::string::npos) << p;

    auto ok = device({{"port", std::string("/dev/x")}, {"settle", Millis(2000)}, {"dtr", std::string("off")}});
    SensorConfig ranged;
    ranged.info.id = "hum";
    ranged.info.min = 0;
    ranged.info.max = 100;
    ranged.options = options(sensor_option_specs(), {{"csv_column", std::int64_t{2}}, {"out_of_range", std::string("publish")}});
    ok.sensors.push_back(ranged);
    EXPECT_EQ(problems(ok), "");
    auto parsed = parse_settings(ok);
    EXPECT_EQ(parsed.settings.port.settle, Millis(2000));
    EXPECT_EQ(parsed.settings.port.line.dtr, ModemLine::off);
    EXPECT_EQ(parsed.settings.port.line.rts, ModemLine::keep);
    EXPECT_EQ(parsed.settings.sensors[0].out_of_range, OutOfRange::publish);
    EXPECT_EQ(parsed.settings.sensors[0].max, 100);
}

}  // namespace
}  // namespace hwb::serial
