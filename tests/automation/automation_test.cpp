// Controllers and rules on the manual clock: the real door, real core relays (an output that
// confirms every write), sensors published by the test, the wall clock moved with the loop.
// Every relay change an automation makes must come through the door (an audit line naming
// automation:<id>), and every switch is counted.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "automation/automation.h"
#include "automation/automation_front.h"
#include "automation/local_time.h"
#include "core/channels.h"
#include "devicemap/loader.h"
#include "door/door.h"
#include "sim/sim_driver.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

using namespace std::chrono_literals;

class Confirming final : public RelayOutput {
public:
    void write(bool on, Done done) override { done(relay_state(on), std::nullopt); }
};

// Counts confirmed switches per relay, and who caused them.
class Switches final : public ChannelObserver {
public:
    void on_relay_change(const Relay& relay, const Cause& cause) override {
        if (!relay.transitioned()) return;
        ++count[relay.id()];
        last_by[relay.id()] = cause.kind == Cause::Kind::client ? cause.client : to_string(cause.kind);
    }
    std::map<std::string, int> count;
    std::map<std::string, std::string> last_by;
};

// A date in ms since the epoch: read in the process's TZ (local_ms), or in UTC (utc_ms: the
// instants of the named-zone tests, whatever the process's TZ).
std::int64_t date_ms(int year, int month, int day, int hour, int minute, bool utc) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(utc ? timegm(&tm) : std::mktime(&tm)) * 1000;
}
std::int64_t local_ms(int year, int month, int day, int hour, int minute) {
    return date_ms(year, month, day, hour, minute, false);
}
std::int64_t utc_ms(int year, int month, int day, int hour, int minute) {
    return date_ms(year, month, day, hour, minute, true);
}

std::string local_text(std::int64_t ms) {
    std::time_t t = ms / 1000;
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%a %H:%M", &tm);
    return buf;
}

const char* base_map = R"(
devices:
  - {id: bench, driver: sim}
  - {id: shed, driver: sim}
sensors:
  - {id: temp, device: bench, range: [-10, 40]}
  - {id: humidity, device: bench, range: [0, 100]}
  - {id: door, device: bench, type: boolean}
  - {id: shed_temp, device: shed}
relays:
  - {id: heater, device: bench, safe_state: off}
  - {id: light, device: bench}
  - {id: fan, device: bench}
  - {id: pump, device: bench, min_off: 10s}
  - {id: alarm, device: shed}
texts:
  - {id: console, device: bench}
)";

class AutomationTest : public ::testing::Test {
protected:
    AutomationTest() {
        setenv("TZ", "UTC", 1);
        tzset();
        register_sim_driver(drivers);
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
        sink->set_pattern("%v");
        previous = spdlog::default_logger();
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("automation-test", sink));
        state_dir = std::filesystem::temp_directory_path() / ("hwb-automation-" + std::to_string(::getpid()) + "-" +
                                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(state_dir);
        operator_.identity.role = Role::operator_;
    }
    ~AutomationTest() override {
        front.reset();
        if (channels) channels->remove_observer(&switches);
        spdlog::set_default_logger(previous);
        std::filesystem::remove_all(state_dir);
    }

    std::int64_t wall() const { return wall_base + std::chrono::duration_cast<Millis>(loop.now() - Clock::time_point{}).count(); }

    // Loads base_map + `automations`, starts channels, door and the automation front.
    void start(const std::string& automations) {
        map = parse(automations);
        channels = std::make_unique<Channels>(map, loop);
        for (const auto& relay : channels->relays()) {
            relay->bind(&output);
            relay->report(RelayState::off, Cause::of(Cause::Kind::startup));
        }
        channels->add_observer(&switches);
        door.attach(*channels);
        new_front();
    }
    DeviceMap parse(const std::string& automations) {
        auto loaded = load_device_map_string(bridge_yaml + base_map + "automations:\n" + automations,
                                             (state_dir / "map.yaml").string(), drivers);
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.str();
        return loaded.map.value_or(DeviceMap{});
    }
    void new_front() {
        front.reset();
        front = std::make_unique<automation::AutomationFront>(loop, door, [this] { return wall(); });
        front->apply(map, *channels);
    }
    void reload(const std::string& automations) {
        map = parse(automations);
        front->apply(map, *channels);
    }
    void publish(const std::string& sensor, double value) {
        channels->sensor(sensor)->publish(value, wall());
        loop.run_ready();
    }
    void offline(const std::string& sensor, bool off = true) {
        channels->sensor(sensor)->set_status(ChannelStatus{!off, off ? "unplugged" : ""});
        loop.run_ready();
    }
    void advance(std::chrono::microseconds d) { loop.advance(d); }
    // A client's switch through the door, as an operator connected over WebSocket would make it.
    void client_set(const std::string& relay, bool on) {
        RelayCommand command;
        command.channel = relay;
        command.on = on;
        door.relay(operator_, command, [](Result<RelayState>) {});
        loop.run_ready();
    }
    RelayState state(const std::string& relay) { return channels->relay(relay)->state(); }
    // When each of `relays` switched on (wall clock) while the clock ran `minutes`, a minute at a time.
    std::map<std::string, std::vector<std::int64_t>> switch_ons(int minutes, const std::vector<std::string>& relays) {
        std::map<std::string, std::vector<std::int64_t>> ons;
        for (int i = 0; i < minutes; ++i) {
            std::map<std::string, RelayState> before;
            for (const auto& r : relays) before[r] = state(r);
            advance(std::chrono::minutes(1));
            for (const auto& r : relays)
                if (before[r] == RelayState::off && state(r) == RelayState::on) ons[r].push_back(wall());
        }
        return ons;
    }
    // Europe/Berlin by the map (the process stays in UTC): `light` on at 06:00 for an hour, `fan` at
    // 02:30 for 10 minutes, and the automations in `more`; their switch-on instants over 50 hours
    // from `from`.
    std::map<std::string, std::vector<std::int64_t>> berlin_days(std::int64_t from, const std::string& more = "") {
        bridge_yaml = "bridge: {time_zone: Europe/Berlin}\n";
        wall_base = from;
        start(R"(
  - {id: morning, type: schedule, relay: light, at: "06:00", duration: 1h}
  - {id: night, type: schedule, relay: fan, at: "02:30", duration: 10m}
)" + more);
        return switch_ons(60 * 50, {"light", "fan"});
    }
    std::size_t lines_with(const std::string& what) const {
        std::size_t n = 0;
        std::istringstream in(log.str());
        for (std::string line; std::getline(in, line);) n += line.find(what) != std::string::npos;
        return n;
    }
    AutomationStatus info(const std::string& id) const {
        for (const auto& i : front->automations())
            if (i.id == id) return i;
        ADD_FAILURE() << "no automation " << id;
        return {};
    }

    std::string bridge_yaml;  // e.g. "bridge: {time_zone: Europe/Berlin}\n"
    test::ManualLoop loop;
    std::int64_t wall_base = 1'780'000'000'000;  // a fixed day, so runs are alike
    DriverRegistry drivers;
    DeviceMap map;
    std::unique_ptr<Channels> channels;
    Door door{loop, LimitsConfig{}};
    Confirming output;
    Switches switches;
    std::unique_ptr<automation::AutomationFront> front;
    std::ostringstream log;
    std::shared_ptr<spdlog::logger> previous;
    std::filesystem::path state_dir;
    Requester operator_{"ws", "127.0.0.1", "c1"};
};

// One rule of `automations:`: its trigger, actions and conditions as YAML flow mappings.
std::string rule(const std::string& id, const std::string& trigger, const std::vector<std::string>& actions,
                 const std::vector<std::string>& conditions = {}) {
    std::string out = "\n  - id: " + id + "\n    type: rule\n    trigger: " + trigger + "\n";
    if (!conditions.empty()) out += "    conditions:\n";
    for (const auto& c : conditions) out += "      - " + c + "\n";
    out += "    actions:\n";
    for (const auto& a : actions) out += "      - " + a + "\n";
    return out;
}

const char* thermostat = R"(
  - {id: heat, type: thermostat, sensor: temp, relay: heater, setpoint: 12, hysteresis: 0.5, max_age: 30s, override: 10m}
)";

TEST_F(AutomationTest, ThermostatSwitchesAtTheBandEdgesAndNotInside) {
    start(thermostat);
    publish("temp", 12.0);
    publish("temp", 11.6);  // inside the band: nothing
    EXPECT_EQ(state("heater"), RelayState::off);
    publish("temp", 11.4);  // below 11.5: on
    EXPECT_EQ(state("heater"), RelayState::on);
    EXPECT_EQ(switches.last_by["heater"], "automation:heat");
    publish("temp", 12.4);  // inside the band while warming: stays on
    EXPECT_EQ(state("heater"), RelayState::on);
    publish("temp", 12.6);  // above 12.5: off
    EXPECT_EQ(state("heater"), RelayState::off);
    EXPECT_EQ(switches.count["heater"], 2);
    // Through the door: one audit line per request, naming the automation.
    EXPECT_EQ(lines_with("audit: relay set heater on by automation:heat"), 1u) << log.str();
    EXPECT_EQ(lines_with("audit: relay set heater off by automation:heat"), 1u) << log.str();
}

TEST_F(AutomationTest, CoolingThermostatSwitchesOnAboveTheBand) {
    start(R"(
  - {id: cool, type: thermostat, sensor: temp, relay: fan, mode: cool, setpoint: 28, hysteresis: 1}
)");
    publish("temp", 29.5);
    EXPECT_EQ(state("fan"), RelayState::on);
    publish("temp", 27.5);
    EXPECT_EQ(state("fan"), RelayState::on);
    publish("temp", 26.9);
    EXPECT_EQ(state("fan"), RelayState::off);
}

TEST_F(AutomationTest, OfflineSensorDrivesTheRelayToItsSafeStateAndSaysSo) {
    start(thermostat);
    publish("temp", 10.0);
    ASSERT_EQ(state("heater"), RelayState::on);
    offline("temp");
    EXPECT_EQ(state("heater"), RelayState::off) << "stale data must never keep a heater on";
    EXPECT_EQ(info("heat").state, "faulted");
    EXPECT_EQ(lines_with("automation heat: sensor temp offline (unplugged): relay heater to its failsafe off"), 1u) << log.str();
    // The last value (10) is still in the channel, but it is not trusted while offline.
    advance(5s);
    EXPECT_EQ(state("heater"), RelayState::off);
    offline("temp", false);
    EXPECT_EQ(state("heater"), RelayState::off) << "back online, but the value from before the outage is not fresh";
    EXPECT_EQ(info("heat").state, "faulted");
    publish("temp", 10.0);
    EXPECT_EQ(state("heater"), RelayState::on);
    EXPECT_EQ(info("heat").state, "active");
}

TEST_F(AutomationTest, SilentSensorCountsAsStaleAfterMaxAge) {
    start(thermostat);
    publish("temp", 10.0);
    ASSERT_EQ(state("heater"), RelayState::on);
    advance(29s);
    EXPECT_EQ(state("heater"), RelayState::on);
    advance(2s);
    EXPECT_EQ(state("heater"), RelayState::off);
    EXPECT_NE(info("heat").detail.find("silent"), std::string::npos) << info("heat").detail;
}

TEST_F(AutomationTest, FailsafeOnIsHonoured) {
    start(R"(
  - {id: frost, type: thermostat, sensor: temp, relay: light, setpoint: 5, failsafe: on}
)");
    publish("temp", 20.0);
    EXPECT_EQ(state("light"), RelayState::off);
    offline("temp");
    EXPECT_EQ(state("light"), RelayState::on);
}

TEST_F(AutomationTest, AnOverrideIsCreditedToTheSignedInSubjectElseTheConnection) {
    start(thermostat);
    publish("temp", 10.0);
    ASSERT_EQ(state("heater"), RelayState::on);
    RelayCommand off;
    off.channel = "heater";
    off.on = false;
    operator_.identity.role = Role::operator_;
    operator_.identity.method = "token";
    operator_.identity.subject = "operator-tester";
    door.relay(operator_, off, [](Result<RelayState>) {});
    loop.run_ready();
    ASSERT_EQ(info("heat").state, "overridden");
    EXPECT_EQ(info("heat").detail.rfind("relay heater switched off by operator-tester;", 0), 0u) << info("heat").detail;
}

TEST_F(AutomationTest, AnOverrideByAnAnonymousClientNamesItsConnection) {
    start(thermostat);
    publish("temp", 10.0);
    ASSERT_EQ(state("heater"), RelayState::on);
    RelayCommand off;
    off.channel = "heater";
    off.on = false;
    operator_.identity.role = Role::operator_;  // method "none": a bridge without authentication
    door.relay(operator_, off, [](Result<RelayState>) {});
    loop.run_ready();
    ASSERT_EQ(info("heat").state, "overridden");
    EXPECT_EQ(info("heat").detail.rfind("relay heater switched off by c1;", 0), 0u) << info("heat").detail;
}

TEST_F(AutomationTest, ClientSwitchOverridesTheControllerUntilTheOverrideEnds) {
    start(thermostat);
    publish("temp", 10.0);
    ASSERT_EQ(state("heater"), RelayState::on);
    RelayCommand off;
    off.channel = "heater";
    off.on = false;
    operator_.identity.role = Role::operator_;
    door.relay(operator_, off, [](Result<RelayState>) {});
    loop.run_ready();
    ASSERT_EQ(state("heater"), RelayState::off);
    EXPECT_EQ(info("heat").state, "overridden");
    for (int i = 0; i < 9; ++i) {
        advance(1min);
        publish("temp", 10.0);
        ASSERT_EQ(state("heater"), RelayState::off) << "the operator's switch holds for the override time";
    }
    advance(1min);
    publish("temp", 10.0);
    EXPECT_EQ(state("heater"), RelayState::on);
    EXPECT_EQ(info("heat").state, "active");
}

TEST_F(AutomationTest, SetpointChangeIsAuditedPersistedAndSurvivesARestart) {
    start(thermostat);
    publish("temp", 13.0);
    EXPECT_EQ(state("heater"), RelayState::off);
    ASSERT_TRUE(front->set_setpoint(operator_, "heat", 14.0).ok());
    EXPECT_EQ(state("heater"), RelayState::on) << "13 is below the new band 13.5 .. 14.5";
    EXPECT_EQ(lines_with("automation heat setpoint 14 by"), 1u) << log.str();
    EXPECT_EQ(front->set_setpoint(operator_, "heat", 99).error().code, "out_of_range");
    EXPECT_EQ(front->set_setpoint(operator_, "nope", 1).error().code, "unknown_automation");
    ASSERT_TRUE(std::filesystem::exists(front->state_file()));
    EXPECT_EQ(front->state_file(), (state_dir / "map.automations.json").string());

    new_front();  // a restart: the setpoint comes back from the state file
    EXPECT_EQ(info("heat").setpoint, 14.0);
    // A map whose own setpoint changed wins over the one set at run time.
    reload(R"(
  - {id: heat, type: thermostat, sensor: temp, relay: heater, setpoint: 11, hysteresis: 0.5, max_age: 30s, override: 10m}
)");
    EXPECT_EQ(info("heat").setpoint, 11.0);
}

TEST_F(AutomationTest, ReloadKeepsRelaysAsTheyAre) {
    start(thermostat);
    publish("temp", 11.0);
    ASSERT_EQ(state("heater"), RelayState::on);
    publish("temp", 12.2);  // in the band, heater still on
    int before = switches.count["heater"];
    reload(thermostat);  // unchanged: keeps running
    publish("temp", 12.2);
    // Changed (a wider band): restarts, looks at 12.2, which is inside the band either way.
    reload(R"(
  - {id: heat, type: thermostat, sensor: temp, relay: heater, setpoint: 12, hysteresis: 1, max_age: 30s, override: 10m}
)");
    publish("temp", 12.2);
    EXPECT_EQ(state("heater"), RelayState::on);
    // Removed: stops, the relay stays as it is.
    reload(R"(
  - {id: other, type: follow, sensor: door, relay: light}
)");
    publish("temp", 20.0);
    EXPECT_EQ(state("heater"), RelayState::on);
    EXPECT_EQ(switches.count["heater"], before) << "no reload may flip a relay";
}

TEST_F(AutomationTest, FollowWithDelayAndInvert) {
    start(R"(
  - {id: porch, type: follow, sensor: door, relay: light, invert: true, delay: 2s}
)");
    publish("door", 1);  // first value: taken at once; inverted, the light stays off
    EXPECT_EQ(state("light"), RelayState::off);
    publish("door", 0);
    advance(1s);
    publish("door", 1);  // back before the delay: nothing happens
    advance(3s);
    EXPECT_EQ(state("light"), RelayState::off);
    publish("door", 0);
    advance(1999ms);
    EXPECT_EQ(state("light"), RelayState::off);
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::on);
    offline("door");
    EXPECT_EQ(state("light"), RelayState::off) << "no safe_state: off";
}

TEST_F(AutomationTest, ScheduleRunsAcrossMidnightOnItsDays) {
    // 1780000000000 is Thursday 2026-05-28 20:26:40 UTC.
    wall_base = local_ms(2026, 5, 28, 23, 0);
    start(R"(
  - {id: night, type: schedule, relay: pump, at: "23:50", duration: 20m, days: [thu, sat]}
)");
    EXPECT_EQ(info("night").next_fire_ms, local_ms(2026, 5, 28, 23, 50));
    advance(49min);
    EXPECT_EQ(state("pump"), RelayState::off);
    advance(1min);
    EXPECT_EQ(state("pump"), RelayState::on) << local_text(wall());
    advance(19min);
    EXPECT_EQ(state("pump"), RelayState::on);
    EXPECT_EQ(info("night").next_fire_ms, local_ms(2026, 5, 29, 0, 10)) << "the window's end comes next";
    advance(1min);  // 00:10 on Friday
    EXPECT_EQ(state("pump"), RelayState::off) << local_text(wall());
    EXPECT_EQ(info("night").next_fire_ms, local_ms(2026, 5, 30, 23, 50)) << "Saturday's start";
    advance(23h);  // Friday 23:50 is not one of its days
    EXPECT_EQ(state("pump"), RelayState::off) << local_text(wall());
    advance(24h);  // Saturday 23:10 -> 23:50
    advance(40min);
    EXPECT_EQ(state("pump"), RelayState::on) << local_text(wall());
    EXPECT_EQ(switches.count["pump"], 3);
}

TEST_F(AutomationTest, ScheduleRestartedInsideItsWindowSwitchesNothingOnButEndsTheWindow) {
    wall_base = local_ms(2026, 5, 28, 6, 5);
    start(R"(
  - {id: water, type: schedule, relay: light, at: "06:00", duration: 10m}
)");
    EXPECT_EQ(state("light"), RelayState::off);
    EXPECT_EQ(info("water").state, "active");
    advance(5min);
    EXPECT_EQ(state("light"), RelayState::off);
    EXPECT_EQ(switches.count["light"], 0);
}

TEST_F(AutomationTest, ScheduleFollowsLocalTimeAcrossADaylightSavingChange) {
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    // Clocks go forward on Sunday 2026-03-29 at 02:00 (to 03:00): that day has 23 hours.
    wall_base = local_ms(2026, 3, 28, 5, 0);
    start(R"(
  - {id: morning, type: schedule, relay: light, at: "06:00", duration: 1h}
  - {id: skipped, type: schedule, relay: fan, at: "02:30", duration: 10m}
)");
    auto switched = switch_ons(60 * 50, {"light", "fan"});
    const auto& ons = switched["light"];
    const auto& fan_ons = switched["fan"];
    ASSERT_EQ(ons.size(), 3u);
    for (auto at : ons) EXPECT_EQ(local_text(at).substr(4), "06:00");
    EXPECT_EQ(ons[1] - ons[0], 23 * 3600 * 1000) << "Saturday 06:00 to Sunday 06:00 over the change is 23 h";
    EXPECT_EQ(ons[2] - ons[1], 24 * 3600 * 1000);
    // 02:30 does not exist on the 29th: it happens once the clock has jumped over it.
    ASSERT_EQ(fan_ons.size(), 2u);
    EXPECT_EQ(local_text(fan_ons[0]), "Sun 03:30");
    EXPECT_EQ(local_text(fan_ons[1]), "Mon 02:30");
}

// The map's zone, not the process's: the process runs in UTC, the map says Europe/Berlin.
// Clocks go forward on Sunday 2026-03-29 at 01:00 UTC (02:00 CET -> 03:00 CEST).
TEST_F(AutomationTest, NamedZoneSpringForwardFiresSkippedTimeOnceWhenTheClockJumps) {
    auto ons = berlin_days(utc_ms(2026, 3, 28, 4, 0));  // Saturday 05:00 in Berlin
    const auto& light_ons = ons["light"];
    const auto& fan_ons = ons["fan"];
    EXPECT_EQ(light_ons, (std::vector<std::int64_t>{utc_ms(2026, 3, 28, 5, 0), utc_ms(2026, 3, 29, 4, 0),
                                                    utc_ms(2026, 3, 30, 4, 0)}))
        << "06:00 local each day: 23 h apart over the change, then 24 h";
    // 02:30 does not exist on the 29th: it happens once, 02:30 CET counted on (03:30 CEST).
    EXPECT_EQ(fan_ons, (std::vector<std::int64_t>{utc_ms(2026, 3, 29, 1, 30), utc_ms(2026, 3, 30, 0, 30)}));
    EXPECT_EQ(switches.count["fan"], 4) << "on and off once on each day";
}

// Clocks go back on Sunday 2026-10-25 at 01:00 UTC (03:00 CEST -> 02:00 CET): 02:30 happens twice.
TEST_F(AutomationTest, NamedZoneFallBackFiresRepeatedTimeOnce) {
    // Saturday 05:00 in Berlin.
    auto ons = berlin_days(utc_ms(2026, 10, 24, 3, 0), rule("chime", R"({at: "02:45"})", {R"({log: "quarter to three"})"}));
    const auto& light_ons = ons["light"];
    const auto& fan_ons = ons["fan"];
    EXPECT_EQ(light_ons, (std::vector<std::int64_t>{utc_ms(2026, 10, 24, 4, 0), utc_ms(2026, 10, 25, 5, 0),
                                                    utc_ms(2026, 10, 26, 5, 0)}))
        << "Saturday 06:00 CEST to Sunday 06:00 CET is 25 h";
    EXPECT_EQ(fan_ons, (std::vector<std::int64_t>{utc_ms(2026, 10, 25, 0, 30), utc_ms(2026, 10, 26, 1, 30)}))
        << "the first 02:30 (CEST) only, then Monday's";
    EXPECT_EQ(lines_with("audit: log by automation:chime"), 2u) << "02:45 on Sunday once, on Monday once\n" << log.str();
}

// Weekdays and midnight in the map's zone: Friday 23:30 in New York is Saturday 03:30 UTC.
TEST_F(AutomationTest, NamedZoneWeekdaysAndMidnight) {
    bridge_yaml = "bridge: {time_zone: America/New_York}\n";
    wall_base = utc_ms(2026, 5, 29, 12, 0);  // Friday 08:00 EDT
    start(R"(
  - {id: late, type: schedule, relay: pump, at: "23:30", duration: 1h, days: [fri]}
)" + rule("night_light", "{relay: pump, becomes: on}", {"{relay: light, set: on}"}, {R"({time: "23:00-01:00"})"}));
    EXPECT_EQ(info("late").next_fire_ms, utc_ms(2026, 5, 30, 3, 30));
    advance(std::chrono::milliseconds(utc_ms(2026, 5, 30, 3, 30) - wall()));
    EXPECT_EQ(state("pump"), RelayState::on);
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::on) << "23:30 local is inside 23:00-01:00 (it is 03:30 in UTC)";
    advance(30min);  // midnight in New York
    EXPECT_EQ(state("pump"), RelayState::on);
    advance(30min);  // Saturday 00:30
    EXPECT_EQ(state("pump"), RelayState::off);
    EXPECT_EQ(info("late").next_fire_ms, utc_ms(2026, 6, 6, 3, 30)) << "next Friday";
}

TEST_F(AutomationTest, ChangingTheZoneOnReloadMovesTheSchedules) {
    bridge_yaml = "bridge: {time_zone: Europe/Berlin}\n";
    wall_base = utc_ms(2026, 5, 28, 3, 0);
    const char* morning = R"(
  - {id: morning, type: schedule, relay: light, at: "06:00", duration: 1h}
)";
    start(morning);
    EXPECT_EQ(info("morning").next_fire_ms, utc_ms(2026, 5, 28, 4, 0));
    bridge_yaml = "bridge: {time_zone: Asia/Tokyo}\n";
    reload(morning);
    EXPECT_EQ(info("morning").next_fire_ms, utc_ms(2026, 5, 28, 21, 0));
    bridge_yaml = "";
    reload(morning);
    EXPECT_EQ(info("morning").next_fire_ms, utc_ms(2026, 5, 28, 6, 0)) << "the process's zone (UTC)";
}

TEST_F(AutomationTest, RuleAboveForADurationFiresOnceUntilItDropsAgain) {
    start(R"(
  - id: hot
    type: rule
    trigger: {sensor: temp, above: 28, for: 1m}
    actions:
      - {relay: fan, set: on}
      - {log: "hot for a minute"}
)");
    publish("temp", 29);
    advance(30s);
    publish("temp", 27);  // broken: starts again
    publish("temp", 29);
    advance(59s);
    EXPECT_EQ(state("fan"), RelayState::off);
    advance(1s);
    EXPECT_EQ(state("fan"), RelayState::on);
    EXPECT_EQ(lines_with("audit: log by automation:hot"), 1u) << log.str();
    publish("temp", 30);
    advance(2min);
    EXPECT_EQ(lines_with("automation hot: fired"), 1u);
}

TEST_F(AutomationTest, RuleRangeEdgeAndConditions) {
    start(R"(
  - id: damp
    type: rule
    trigger: {sensor: humidity, leaves: [30, 70]}
    conditions:
      - {relay: pump, is: off}
      - {sensor: temp, above: 5}
    actions:
      - {relay: fan, toggle: true}
  - id: doorbell
    type: rule
    trigger: {sensor: door, edge: rising}
    actions:
      - {relay: light, pulse: 2s}
      - {text: console, send: "door opened"}
)");
    publish("temp", 20);
    publish("humidity", 50);
    publish("humidity", 80);
    advance(1ms);
    EXPECT_EQ(state("fan"), RelayState::on);
    publish("humidity", 90);  // still outside: no second firing
    publish("humidity", 50);
    offline("temp");
    publish("humidity", 20);  // the condition's sensor is offline: the condition fails
    EXPECT_EQ(state("fan"), RelayState::on);

    publish("door", 0);
    publish("door", 1);
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::on);
    EXPECT_EQ(lines_with("text send console (11 bytes) by automation:doorbell"), 1u) << log.str();
    advance(2s);
    EXPECT_EQ(state("light"), RelayState::off);
}

TEST_F(AutomationTest, DelayActionAndDeviceTrigger) {
    start(R"(
  - id: shed_down
    type: rule
    trigger: {device: shed, goes: offline}
    actions:
      - {relay: light, set: on}
      - {delay: 5s}
      - {relay: light, set: off}
)");
    channels->sensor("shed_temp")->set_status(ChannelStatus{false, "gone"});
    channels->relay("alarm")->set_status(ChannelStatus{false, "gone"});
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::on);
    EXPECT_EQ(lines_with("automation shed_down: fired"), 1u) << "one firing for the device, not one per channel";
    advance(5s);
    EXPECT_EQ(state("light"), RelayState::off);
}

TEST_F(AutomationTest, RuleLoopBetweenTwoRulesIsBounded) {
    // Each rule switches the relay that triggers the other: without a bound, a ping-pong forever.
    start(R"(
  - id: ping
    type: rule
    trigger: {relay: fan, becomes: any}
    actions:
      - {relay: light, toggle: true}
  - id: pong
    type: rule
    trigger: {relay: light, becomes: any}
    actions:
      - {relay: fan, toggle: true}
)");
    RelayCommand on;
    on.channel = "fan";
    on.on = true;
    door.relay(operator_, on, [](Result<RelayState>) {});
    for (int i = 0; i < 100; ++i) advance(10ms);
    EXPECT_LE(switches.count["fan"] + switches.count["light"], 24);
    EXPECT_TRUE(info("ping").state == "faulted" || info("pong").state == "faulted");
    EXPECT_GE(lines_with("fired too often"), 1u) << log.str();
    int after = switches.count["fan"] + switches.count["light"];
    advance(10s);
    EXPECT_EQ(switches.count["fan"] + switches.count["light"], after) << "a stopped rule switches nothing";
}

TEST_F(AutomationTest, RuleIgnoresItsOwnSwitchWhileItsActionsRun) {
    start(R"(
  - id: self
    type: rule
    trigger: {relay: fan, becomes: any}
    actions:
      - {relay: fan, toggle: true}
)");
    RelayCommand on;
    on.channel = "fan";
    on.on = true;
    door.relay(operator_, on, [](Result<RelayState>) {});
    advance(1s);
    EXPECT_EQ(switches.count["fan"], 2) << "the client's switch, and the rule's one toggle";
}

TEST_F(AutomationTest, RefusedSwitchIsRetriedWithBackoffNotHammered) {
    // pump has min_off 10s: after a client switched it off, the thermostat's `on` is refused.
    start(R"(
  - {id: warm, type: thermostat, sensor: temp, relay: pump, setpoint: 20, override: 0s}
)");
    publish("temp", 25);
    channels->relay("pump")->report(RelayState::on, Cause::of(Cause::Kind::driver));
    publish("temp", 25);  // too warm: off
    ASSERT_EQ(state("pump"), RelayState::off);
    for (int i = 0; i < 50; ++i) {
        advance(100ms);
        publish("temp", 10);  // cold: wants on, refused until min_off has passed
    }
    EXPECT_EQ(lines_with("audit: relay set pump on by automation:warm from map (automation:warm): refused (too_soon)"), 1u)
        << log.str();
    advance(5s);  // min_off ends 10 s after the switch off: the retry waits for exactly that
    EXPECT_EQ(state("pump"), RelayState::on);
}

TEST_F(AutomationTest, TwoAutomationsOnOneRelayWarnAndDoNotFlap) {
    start(R"(
  - {id: heat, type: thermostat, sensor: temp, relay: heater, setpoint: 12}
  - {id: night_off, type: schedule, relay: heater, at: "20:30", duration: 1m}
)");
    EXPECT_EQ(lines_with("relay heater is switched by 2 automations (heat, night_off)"), 1u) << log.str();
    publish("temp", 10);
    ASSERT_EQ(state("heater"), RelayState::on);
    // The schedule turns the heater on (already on), and at its end off: the thermostat then sees
    // another requester's switch and pauses rather than switching it straight back.
    advance(5min);
    publish("temp", 10);
    EXPECT_EQ(state("heater"), RelayState::off);
    EXPECT_EQ(info("heat").state, "overridden");
    int switched = switches.count["heater"];
    for (int i = 0; i < 20; ++i) {
        advance(1s);
        publish("temp", 10);
    }
    EXPECT_EQ(switches.count["heater"], switched) << "no flapping between two automations";
}

TEST_F(AutomationTest, DisabledAutomationDoesNothingAndCanBeEnabled) {
    start(R"(
  - {id: heat, type: thermostat, sensor: temp, relay: heater, setpoint: 12, enabled: false}
)");
    publish("temp", 5);
    EXPECT_EQ(state("heater"), RelayState::off);
    EXPECT_EQ(info("heat").state, "disabled");
    ASSERT_TRUE(front->set_enabled(operator_, "heat", true).ok());
    publish("temp", 5);
    EXPECT_EQ(state("heater"), RelayState::on);
    new_front();  // kept across a restart
    EXPECT_NE(info("heat").state, "disabled");
}

TEST_F(AutomationTest, RuleConditionOnABooleanSensor) {
    start(rule("hall", "{relay: fan, becomes: on}", {"{relay: light, toggle: true}"}, {"{sensor: door, is: false}"}));
    auto fan = [&](bool on) {
        RelayCommand command;
        command.channel = "fan";
        command.on = on;
        door.relay(operator_, command, [](Result<RelayState>) {});
        advance(1ms);
    };
    fan(true);  // the door has no value yet: the condition fails
    EXPECT_EQ(state("light"), RelayState::off);
    publish("door", 1);
    fan(false);
    fan(true);  // open
    EXPECT_EQ(state("light"), RelayState::off);
    publish("door", 0);
    fan(false);
    fan(true);  // closed: fires
    EXPECT_EQ(state("light"), RelayState::on);
    offline("door");
    fan(false);
    fan(true);  // offline: the last value is not trusted
    EXPECT_EQ(state("light"), RelayState::on);
    EXPECT_EQ(switches.count["light"], 1);
}

// A stand-in for the MQTT uplink: what the rule handed it, and whether the broker is there.
class RecordingUplink final : public automation::Uplink {
public:
    Status publish(const std::string& topic, const std::string& payload, int qos, bool retain) override {
        if (!connected) return Error{"mqtt_offline", "the MQTT broker is not connected"};
        sent.push_back(topic + " " + payload + " qos" + std::to_string(qos) + (retain ? " retained" : ""));
        return {};
    }
    bool connected = true;
    std::vector<std::string> sent;
};

TEST_F(AutomationTest, PublishActionGoesToTheUplinkAndIsAudited) {
    bridge_yaml = "mqtt: {prefix: t/bench}\n";
    RecordingUplink uplink;
    start(rule("tell", "{sensor: door, edge: rising}",
               {"{publish: events/door, payload: open}", R"({publish: /garden/door, payload: "1", retain: true, qos: 2})",
                "{relay: light, set: on}"}));
    front->set_uplink(&uplink);
    publish("door", 0);
    publish("door", 1);
    advance(1ms);
    EXPECT_EQ(uplink.sent, (std::vector<std::string>{"t/bench/events/door open qos1", "garden/door 1 qos2 retained"}));
    EXPECT_EQ(lines_with("audit: mqtt publish t/bench/events/door by automation:tell"), 1u) << log.str();
    EXPECT_EQ(state("light"), RelayState::on);
    // The broker away: refused, audited as such, and the rest of the run is skipped.
    uplink.connected = false;
    client_set("light", false);
    publish("door", 0);
    publish("door", 1);
    advance(1ms);
    EXPECT_EQ(uplink.sent.size(), 2u);
    EXPECT_EQ(lines_with("mqtt publish t/bench/events/door by automation:tell from map (automation:tell): refused (mqtt_offline)"), 1u)
        << log.str();
    EXPECT_EQ(state("light"), RelayState::off);
}

TEST_F(AutomationTest, RuleEntersRangeFiresOnceOnEntry) {
    start(rule("comfy", "{sensor: temp, enters: [18, 22]}", {"{relay: light, toggle: true}"}));
    publish("temp", 15);
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::off);
    publish("temp", 18);  // the range includes its ends
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::on);
    publish("temp", 20);  // still inside: no second firing
    publish("temp", 22);
    advance(1ms);
    EXPECT_EQ(switches.count["light"], 1);
    publish("temp", 22.1);  // out
    publish("temp", 21);    // in again: fires again
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::off);
    EXPECT_EQ(switches.count["light"], 2);
}

TEST_F(AutomationTest, RuleBelowForADurationNeedsItToHold) {
    start(rule("cold", "{sensor: temp, below: 5, for: 10m}", {"{relay: heater, set: on}"}));
    publish("temp", 4);
    advance(9min);
    publish("temp", 6);  // broken before the 10 minutes: starts again
    advance(5min);
    publish("temp", 3);
    advance(9min + 59s);
    EXPECT_EQ(state("heater"), RelayState::off);
    publish("temp", 2);  // still below: the hold keeps running, not restarted
    advance(1s);
    EXPECT_EQ(state("heater"), RelayState::on);
    EXPECT_EQ(lines_with("automation cold: fired (held for 600 s)"), 1u) << log.str();
    // Offline while below: the hold stops; back online and below again, it starts over.
    client_set("heater", false);
    publish("temp", 6);
    publish("temp", 3);
    advance(5min);
    offline("temp");
    advance(10min);
    EXPECT_EQ(state("heater"), RelayState::off) << "stale data never fires a rule";
    offline("temp", false);
    publish("temp", 3);
    advance(10min);
    EXPECT_EQ(state("heater"), RelayState::on);
}

TEST_F(AutomationTest, RuleFallingEdgeFiresOnlyOnTrueToFalse) {
    start(rule("closed", "{sensor: door, edge: falling}", {"{relay: light, toggle: true}"}));
    publish("door", 0);  // the first value is no edge
    publish("door", 1);  // rising: not this rule's
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::off);
    publish("door", 0);
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::on);
    publish("door", 0);  // the same value again is no edge
    advance(1ms);
    EXPECT_EQ(switches.count["light"], 1);
    // An outage in between: the value after it is a first value, no edge.
    publish("door", 1);
    offline("door");
    offline("door", false);
    publish("door", 0);
    advance(1ms);
    EXPECT_EQ(switches.count["light"], 1);
}

TEST_F(AutomationTest, RuleDeviceGoesOnlineWhenAllItsChannelsAreBack) {
    start(rule("shed_back", "{device: shed, goes: online}", {"{relay: light, toggle: true}"}));
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::off) << "online at start is no change";
    channels->sensor("shed_temp")->set_status(ChannelStatus{false, "gone"});
    channels->relay("alarm")->set_status(ChannelStatus{false, "gone"});
    advance(1ms);
    channels->sensor("shed_temp")->set_status(ChannelStatus{true, ""});
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::off) << "the alarm relay is still offline";
    channels->relay("alarm")->set_status(ChannelStatus{true, ""});
    advance(1ms);
    EXPECT_EQ(state("light"), RelayState::on);
    EXPECT_EQ(lines_with("automation shed_back: fired (device shed online)"), 1u) << log.str();
}

TEST_F(AutomationTest, RuleAtTimesWithATimeWindowCondition) {
    wall_base = local_ms(2026, 5, 28, 5, 0);  // Thursday, process TZ UTC
    start(rule("chime", R"({at: ["06:00", "12:00", "21:30"], days: [thu, fri]})", {"{relay: light, toggle: true}"},
               {R"({time: "20:00-07:00"})"}));
    EXPECT_EQ(info("chime").next_fire_ms, local_ms(2026, 5, 28, 6, 0));
    advance(59min);
    EXPECT_EQ(state("light"), RelayState::off);
    advance(1min);  // 06:00, inside the window across midnight
    EXPECT_EQ(state("light"), RelayState::on) << local_text(wall());
    EXPECT_EQ(info("chime").next_fire_ms, local_ms(2026, 5, 28, 12, 0));
    advance(6h);  // 12:00 fires, but the window does not hold
    EXPECT_EQ(state("light"), RelayState::on);
    EXPECT_EQ(info("chime").next_fire_ms, local_ms(2026, 5, 28, 21, 30));
    advance(9h + 30min);  // 21:30: inside
    EXPECT_EQ(state("light"), RelayState::off);
    EXPECT_EQ(switches.count["light"], 2);
    // Friday 06:00 and 21:30 fire; Saturday is not one of its days: next is Thursday.
    advance(8h + 30min);
    advance(15h + 30min);
    EXPECT_EQ(switches.count["light"], 4);
    EXPECT_EQ(info("chime").next_fire_ms, local_ms(2026, 6, 4, 6, 0));
    EXPECT_EQ(lines_with("automation chime: fired (it is 06:00)"), 2u) << log.str();
    EXPECT_EQ(lines_with("automation chime: fired (it is 12:00)"), 0u) << "outside the window: not fired";
}

TEST_F(AutomationTest, FollowPausesForAClientSwitchThenFollowsAgain) {
    start(R"(
  - {id: porch, type: follow, sensor: door, relay: light, override: 5m}
)");
    publish("door", 1);
    ASSERT_EQ(state("light"), RelayState::on);
    client_set("light", false);
    EXPECT_EQ(info("porch").state, "overridden");
    publish("door", 0);
    publish("door", 1);  // the sensor changes during the override: the client's switch holds
    advance(4min);
    EXPECT_EQ(state("light"), RelayState::off);
    advance(1min);  // the override ends: the relay follows the sensor again at once
    EXPECT_EQ(state("light"), RelayState::on);
    EXPECT_EQ(info("porch").state, "active");
    EXPECT_EQ(switches.last_by["light"], "automation:porch");
}

TEST_F(AutomationTest, ReloadKeepsEveryKindOfAutomationsRelayAsItIs) {
    wall_base = local_ms(2026, 5, 28, 5, 59);
    const std::string before = R"(
  - {id: water, type: schedule, relay: pump, at: "06:00", duration: 30m}
  - {id: porch, type: follow, sensor: door, relay: light}
  - {id: warm, type: thermostat, sensor: temp, relay: heater, setpoint: 12}
)" + rule("hot", "{sensor: temp, above: 5}", {"{relay: fan, set: on}"});
    start(before);
    advance(1min);  // 06:00
    publish("door", 1);
    publish("temp", 10);
    advance(1ms);
    ASSERT_EQ(state("pump"), RelayState::on);
    ASSERT_EQ(state("light"), RelayState::on);
    ASSERT_EQ(state("heater"), RelayState::on);
    ASSERT_EQ(state("fan"), RelayState::on);
    client_set("fan", false);  // the rule fired once; it does not fire again by itself
    const auto counted = switches.count;
    // Every automation changed (a reload that restarts all of them), then the same again.
    reload(R"(
  - {id: water, type: schedule, relay: pump, at: "06:00", duration: 40m}
  - {id: porch, type: follow, sensor: door, relay: light, delay: 1s}
  - {id: warm, type: thermostat, sensor: temp, relay: heater, setpoint: 12.2}
)" + rule("hot", "{sensor: temp, above: 6}", {"{relay: fan, set: on}"}));
    advance(1ms);
    reload(before);
    for (int i = 0; i < 20; ++i) {
        advance(1s);
        publish("temp", 10);
        publish("door", 1);
    }
    EXPECT_EQ(switches.count, counted) << "a reload flips no relay, nor does a rule fire again for a value it saw";
    EXPECT_EQ(info("water").state, "active") << "restarted inside its window";
    advance(30min);
    EXPECT_EQ(state("pump"), RelayState::off) << "and still ends it";
}

TEST(LocalTime, WindowsAcrossMidnight) {
    EXPECT_TRUE(automation::in_window(23 * 60, 22 * 60, 6 * 60));
    EXPECT_TRUE(automation::in_window(0, 22 * 60, 6 * 60));
    EXPECT_FALSE(automation::in_window(6 * 60, 22 * 60, 6 * 60));
    EXPECT_TRUE(automation::in_window(12 * 60, 8 * 60, 18 * 60));
    EXPECT_FALSE(automation::in_window(18 * 60, 8 * 60, 18 * 60));
}

}  // namespace
}  // namespace hwb
