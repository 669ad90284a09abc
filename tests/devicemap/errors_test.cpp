// Every kind of device-map error, with the exact FILE:LINE:COL it points at. Line 1 of each map is
// the line after R"( (see test::load).
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using test::error_lines;
using test::load;
using Lines = std::vector<std::string>;

TEST(DeviceMapErrors, UnknownKeyPointsAtTheKeyAndSuggestsTheClosestOne) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    device: bench
    lable: Temperature
)");
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:7:5: error: unknown key 'lable' in sensor 'temperature'; did you mean 'label'?"});
}

TEST(DeviceMapErrors, UnknownDriverOptionIsAnErrorWithSuggestion) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
    sed: 7
relays:
  - id: pump
    device: bench
    fail_evry: 3
)");
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:4:5: error: unknown key 'sed' in device 'bench'; did you mean 'seed'?",
                     "map.yaml:8:5: error: unknown key 'fail_evry' in relay 'pump'; did you mean 'fail_every'?"}));
}

TEST(DeviceMapErrors, OutOfRangeIntegerPointsAtTheValue) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    device: bench
    precision: 12
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:7:16: error: 'precision' must be an integer between 0 and 10, got '12'"});
}

TEST(DeviceMapErrors, ChannelIdsAreUniqueAcrossSensorsRelaysAndTexts) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: pump
    device: bench
relays:
  - id: pump
    device: bench
texts:
  - id: pump
    device: bench
)");
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:8:9: error: duplicate channel id 'pump' (first defined at map.yaml:5:9)",
                     "map.yaml:11:9: error: duplicate channel id 'pump' (first defined at map.yaml:5:9)"}));
}

TEST(DeviceMapErrors, DuplicateDeviceIdNamesTheFirstDefinition) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
  - id: bench
    driver: sim
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:4:9: error: duplicate device id 'bench' (first defined at map.yaml:2:9)"});
}

TEST(DeviceMapErrors, UndefinedDeviceIsReportedWithSuggestion) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
relays:
  - id: fan
    device: bnch
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:6:13: error: relay 'fan' refers to undefined device 'bnch'; did you mean 'bench'?"});
}

TEST(DeviceMapErrors, UndefinedDeviceWithoutCloseMatchHasNoSuggestion) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
texts:
  - id: console
    device: kitchen
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:6:13: error: text 'console' refers to undefined device 'kitchen'"});
}

TEST(DeviceMapErrors, DuplicateKeyInOneMappingPointsAtTheSecondOccurrence) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    label: Temperature
    device: bench
    label: Temp
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:8:5: error: duplicate key 'label' in sensor 'temperature' (first at map.yaml:6:5)"});
}

TEST(DeviceMapErrors, DuplicateTopLevelSectionIsReported) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
devices:
  - id: other
    driver: sim
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:4:1: error: duplicate key 'devices' in the device map (first at map.yaml:1:1)"});
}

TEST(DeviceMapErrors, MalformedYamlGivesOneErrorAtTheParserPosition) {
    auto result = load(R"(
devices:
  - id: bench
    driver: [sim
sensors: []
)");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:4:8: error: invalid YAML: end of sequence flow not found"});
}

TEST(DeviceMapErrors, BadIndentationIsInvalidYaml) {
    auto result = load(R"(
devices:
  - id: bench
   driver: sim
)");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].where.line, 3);
    EXPECT_NE(result.errors[0].message.find("invalid YAML"), std::string::npos);
}

TEST(DeviceMapErrors, UnreadableFileIsAFileLevelError) {
    auto result = load_device_map_file("/nonexistent/hwbridge-map.yaml", test::test_drivers());
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(error_lines(result),
              Lines{"/nonexistent/hwbridge-map.yaml: error: cannot read: No such file or directory"});
}

TEST(DeviceMapErrors, DirectoryIsNotADeviceMap) {
    auto result = load_device_map_file("/", test::test_drivers());
    EXPECT_EQ(error_lines(result), Lines{"/: error: cannot read: Is a directory"});
}

TEST(DeviceMapErrors, EmptyFileIsAFileLevelError) {
    auto result = load("# nothing here yet\n");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml: error: the device map is empty; it needs at least a 'devices' list"});
}

TEST(DeviceMapErrors, TopLevelMustBeAMapping) {
    auto result = load(R"(
- id: bench
  driver: sim
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:1:1: error: the device map must be a mapping with a 'devices' list, got a list"});
}

TEST(DeviceMapErrors, MissingDevicesSectionIsReportedAtTheTop) {
    auto result = load(R"(
bridge:
  name: bench
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:1:1: error: the device map is missing required key 'devices' (a list of devices, "
                    "each with an 'id' and a 'driver')"});
}

TEST(DeviceMapErrors, EmptyDevicesListIsAnError) {
    EXPECT_EQ(error_lines(load("devices: []\n")),
              Lines{"map.yaml:1:10: error: 'devices' must list at least one device"});
    EXPECT_EQ(error_lines(load("devices:\n")), Lines{"map.yaml:1:1: error: 'devices' must list at least one device"});
}

TEST(DeviceMapErrors, SectionThatIsNotAListIsAnError) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors: temperature
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:4:10: error: 'sensors' must be a list of sensors (entries "
                                         "starting with '- '), got 'temperature'"});
}

TEST(DeviceMapErrors, ListEntryThatIsNotAMappingIsAnError) {
    auto result = load(R"(
devices:
  - bench
  - id: lab
    driver: sim
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:2:5: error: each entry of 'devices' must be a mapping with the "
                                         "device's keys (id: ...), got 'bench'"});
}

TEST(DeviceMapErrors, BridgeThatIsNotAMappingIsAnError) {
    auto result = load(R"(
bridge: [a, b]
devices:
  - id: bench
    driver: sim
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:1:9: error: 'bridge' must be a mapping of settings, got a list"});
}

TEST(DeviceMapErrors, UnknownTopLevelKeySuggestsSection) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensor:
  - id: t
    device: bench
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:4:1: error: unknown key 'sensor' in the device map; did you mean 'sensors'?"});
}

TEST(DeviceMapErrors, MissingRequiredKeyPointsAtTheEntry) {
    auto result = load(R"(
devices:
  - id: bench
    label: Bench
sensors:
  - label: Nameless
    device: bench
)");
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:2:5: error: device 'bench' is missing required key 'driver' (a string)",
                     "map.yaml:5:5: error: sensor #1 is missing required key 'id' (a string)"}));
}

TEST(DeviceMapErrors, UnknownDriverListsKnownDriversAndSuggests) {
    auto result = load(R"(
devices:
  - id: bench
    driver: smi
    seed: 7
)");
    // The device's other keys are not reported: without the driver we cannot tell them from typos.
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:3:13: error: device 'bench' uses unknown driver 'smi' (known "
                                         "drivers: probe, sim); did you mean 'sim'?"});
}

TEST(DeviceMapErrors, IdMustBeAnIdentifier) {
    auto result = load(R"(
devices:
  - id: my bench
    driver: sim
sensors:
  - id: "temp/1"
    device: bench
)");
    // The channel's device is then undefined too: the bad device id was not registered.
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:2:9: error: 'id' must be 1 to 64 letters, digits, '_' or '-', got 'my bench'",
                     "map.yaml:5:9: error: 'id' must be 1 to 64 letters, digits, '_' or '-', got 'temp/1'",
                     "map.yaml:6:13: error: sensor #1 refers to undefined device 'bench'"}));
}

TEST(DeviceMapErrors, RangeNeedsMinBelowMax) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: a
    device: bench
    range: [40, -10]
  - id: b
    device: bench
    range: [1, 1]
  - id: c
    device: bench
    range: [0, hot]
  - id: d
    device: bench
    range: 10
)");
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:7:12: error: 'range' must have min < max, got [40, -10]",
                     "map.yaml:10:12: error: 'range' must have min < max, got [1, 1]",
                     "map.yaml:13:12: error: 'range' must be [min, max] with two numbers, got a list",
                     "map.yaml:16:12: error: 'range' must be [min, max] with two numbers, got '10'"}));
}

TEST(DeviceMapErrors, RangeOnBooleanSensorIsAnError) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: door
    device: bench
    type: boolean
    range: [0, 1]
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:8:5: error: 'range' applies only to sensors of type number"});
}

TEST(DeviceMapErrors, EmptyValueIsReportedAtItsKey) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: t
    device: bench
    unit:
    label: T
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:7:5: error: 'unit' needs a value: a string"});
}

TEST(DeviceMapErrors, WrongValueTypeNamesWhatWasFound) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
    label: {name: Bench}
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:4:12: error: 'label' must be a string, got a mapping"});
}

TEST(DeviceMapErrors, BridgeSettingsAreValidated) {
    auto result = load(R"(
bridge:
  listen: 127.0.0.1
  allowed_origins: [http://pi.local:8080, "http://pi.local/", ftp://x]
  max_message_bytes: 100
  log_level: verbose
  nmae: bench
devices:
  - id: bench
    driver: sim
)");
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:2:11: error: 'listen' must be HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080; listen "
                     "address '127.0.0.1': missing ':PORT'",
                     "map.yaml:3:43: error: allowed origin 'http://pi.local/' is invalid: an origin has no path, not "
                     "even a trailing '/' (expected scheme://host[:port], e.g. http://pi.local:8080)",
                     "map.yaml:3:63: error: allowed origin 'ftp://x' is invalid: the scheme must be http or https "
                     "(expected scheme://host[:port], e.g. http://pi.local:8080)",
                     "map.yaml:4:22: error: 'max_message_bytes' must be an integer between 256 and 16777216, got '100'",
                     "map.yaml:5:14: error: 'log_level' must be one of trace, debug, info, warn, error, off, got "
                     "'verbose'",
                     "map.yaml:6:3: error: unknown key 'nmae' in 'bridge'; did you mean 'name'?"}));
}

TEST(DeviceMapErrors, SecondYamlDocumentIsAnError) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
---
devices: []
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:4:1: error: a device map is a single YAML document; remove the second '---'"});
}

TEST(DeviceMapErrors, StrayTopLevelCommaIsInvalidYamlNotAHang) {
    // yaml-cpp's LoadAll loops forever on this; the loader must report it and return.
    EXPECT_EQ(error_lines(load(", devices\n")), Lines{"map.yaml:1:1: error: invalid YAML: unexpected ','"});
    auto after_a_document = load(R"(
devices:
  - id: bench
    driver: sim
,
)");
    EXPECT_EQ(error_lines(after_a_document), Lines{"map.yaml:4:1: error: invalid YAML: end of map not found"});
}

TEST(DeviceMapErrors, TabIndentationIsExplained) {
    auto result = load("devices:\n\t- id: bench\n");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:2:2: error: invalid YAML: illegal block entry (YAML is indented "
                                         "with spaces, and this line has a tab)"});
}

TEST(DeviceMapErrors, AllErrorsAreReportedTogetherInFileOrder) {
    // A bad sensor does not hide the bad relay and text after it, and the bridge section, read
    // first, is still reported in file order at the end.
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    device: bench
    precision: -1
    signal: sinus
relays:
  - id: pump
    device: bench
    safe_state: maybe
texts:
  - id: console
    device: bench
    history_lines: lots
bridge:
  log_level: loud
)");
    EXPECT_FALSE(result.ok());
    EXPECT_FALSE(result.map.has_value());
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:7:16: error: 'precision' must be an integer between 0 and 10, got '-1'",
                     "map.yaml:8:13: error: 'signal' must be one of sine, triangle, square, random_walk, constant, "
                     "toggle, got 'sinus'; did you mean 'sine'?",
                     "map.yaml:12:17: error: 'safe_state' must be one of on, off, none, got 'maybe'",
                     "map.yaml:16:20: error: 'history_lines' must be an integer between 0 and 10000, got 'lots'",
                     "map.yaml:18:14: error: 'log_level' must be one of trace, debug, info, warn, error, off, got "
                     "'loud'"}));
}

TEST(DeviceMapErrors, DiagnosticWithoutLinePrintsOnlyTheFile) {
    Diagnostic at_line{SourceLocation{"demo.yaml", 12, 5}, "unknown key 'x'"};
    Diagnostic whole_file{SourceLocation{"demo.yaml", 0, 0}, "cannot read: Permission denied"};
    EXPECT_EQ(at_line.str(), "demo.yaml:12:5: error: unknown key 'x'");
    EXPECT_EQ(whole_file.str(), "demo.yaml: error: cannot read: Permission denied");
}

}  // namespace
}  // namespace hwb
