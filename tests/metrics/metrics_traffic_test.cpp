// GET /metrics counts what the test made happen, on the real daemon with a serial device on a
// pseudo-terminal: each reading received, published to the clients that keep up, coalesced for
// a rate-capped client and dropped when it unsubscribes; messages and bytes the clients read; the
// device's unusable input by kind, its online state and its reconnect after an unplug; relay
// switches of an automation under their own cause.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../serial/pty_device.h"
#include "metrics_page.h"
#include "support/daemon.h"
#include "support/eventually.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

std::string traffic_map(const std::string& port) {
    return "devices:\n"
           "  - {id: board, driver: serial, port: " + port + ", baud: 9600, max_frame: 16}\n"
           "sensors:\n"
           "  - {id: temp, device: board, unit: \"°C\", pattern: '^T=(?<temp>[-0-9.]+)$'}\n"
           "  - {id: hum, device: board, unit: \"%\", pattern: '^H=(?<hum>[-0-9.]+)$'}\n";
}

// The page once it satisfies `holds` (scraped at most about 7 times a second: the bridge's
// connection rate), or the last one read.
template <class Holds>
std::string scrape_until(const Daemon& daemon, Holds holds) {
    std::string page;
    eventually([&] {
        auto r = http_get(daemon.port(), "/metrics");
        page = r.status == 200 ? r.body : std::string();
        return !page.empty() && holds(page);
    }, 8000ms, 150ms);
    return page;
}

std::size_t times_in(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

auto temp_reading(double value) {
    return [value](const json& m) { return m["type"] == "reading" && m["channel"] == "temp" && m["value"] == value; };
}

TEST(MetricsTraffic, ReadingsPublishedCoalescedDroppedAndSentAreCountedPerChannelAndSubprotocol) {
    PtyDevice dev;
    Daemon daemon(traffic_map(dev.path()));
    ASSERT_TRUE(eventually([&] { return daemon.log().find("device board: ready") != std::string::npos; }, 5000ms))
        << daemon.log();
    WsClient keeps_up(daemon.port(), "sensor");
    ASSERT_TRUE(keeps_up.wait_type("hello"));
    WsClient capped(daemon.port(), "sensor");
    ASSERT_TRUE(capped.wait_type("hello"));
    // One reading per 20 s at most: the first goes out, the next waits, later ones replace it.
    capped.send_json({{"type", "subscribe"}, {"id", 1}, {"channels", {"temp"}}, {"max_rate_hz", 0.05}});
    ASSERT_TRUE(capped.wait_type("ack"));

    dev.write("T=1\r\n");
    ASSERT_TRUE(capped.wait_for(temp_reading(1)));
    dev.write("T=2\r\nT=3\r\nT=4\r\nT=5\r\n");
    for (double v : {1, 2, 3, 4, 5}) ASSERT_TRUE(keeps_up.wait_for(temp_reading(v))) << v;
    // The capped client moves to the other sensor: the reading waiting for it (5) is dropped.
    capped.send_json({{"type", "subscribe"}, {"id", 2}, {"channels", {"hum"}}, {"max_rate_hz", 0.05}});
    ASSERT_TRUE(capped.wait_type("ack"));

    const std::string page = scrape_until(daemon, [](const std::string& p) {
        return metric_value(p, "hwbridge_sensor_readings_dropped_total{channel=\"temp\"}") == 1;
    });
    EXPECT_EQ(metric_value(page, "hwbridge_sensor_readings_total{channel=\"temp\"}"), 5) << page;
    // 5 to the client that keeps up, 1 to the capped one.
    EXPECT_EQ(metric_value(page, "hwbridge_sensor_readings_published_total{channel=\"temp\"}"), 6) << page;
    // 2 waited; 3, 4 and 5 each replaced the one before.
    EXPECT_EQ(metric_value(page, "hwbridge_sensor_readings_coalesced_total{channel=\"temp\"}"), 3) << page;
    EXPECT_EQ(metric_value(page, "hwbridge_sensor_readings_dropped_total{channel=\"temp\"}"), 1) << page;
    EXPECT_EQ(metric_value(page, "hwbridge_sensor_readings_total{channel=\"hum\"}"), 0) << page;
    EXPECT_EQ(metric_value(page, "hwbridge_sensor_readings_published_total{channel=\"hum\"}"), 0) << page;
    // Every frame the two clients read (hellos, acks, readings), and not one more.
    EXPECT_EQ(metric_value(page, "hwbridge_messages_sent_total{subprotocol=\"sensor\"}"),
              static_cast<double>(keeps_up.data_frames() + capped.data_frames()))
        << page;
    EXPECT_EQ(metric_value(page, "hwbridge_sent_bytes_total{subprotocol=\"sensor\"}"),
              static_cast<double>(keeps_up.data_bytes() + capped.data_bytes()))
        << page;
    EXPECT_EQ(metric_value(page, "hwbridge_messages_sent_total{subprotocol=\"relay\"}"), 0) << page;
    auto [status, output] = promtool_check(page);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "") << output;
}

TEST(MetricsTraffic, SerialErrorsByKindDeviceOnlineAndReconnectsAreCounted) {
    PtyDevice dev;
    Daemon daemon(traffic_map(dev.path()));
    ASSERT_TRUE(eventually([&] { return daemon.log().find("device board: ready") != std::string::npos; }, 5000ms))
        << daemon.log();
    const std::string online = "hwbridge_device_online{device=\"board\",driver=\"serial\"}";
    const std::string reconnects = "hwbridge_device_reconnects_total{device=\"board\",driver=\"serial\"}";
    auto errors = [](const std::string& kind) {
        return "hwbridge_device_errors_total{device=\"board\",driver=\"serial\",kind=\"" + kind + "\"}";
    };
    // Two lines no channel knows, one longer than max_frame (16), one reading.
    dev.write("hello\r\nwhat?\r\n0123456789abcdefghij\r\nT=7\r\n");
    std::string page = scrape_until(daemon, [](const std::string& p) {
        return metric_value(p, "hwbridge_sensor_readings_total{channel=\"temp\"}") == 1;
    });
    EXPECT_EQ(metric_value(page, errors("unrecognised_frame")), 2) << page;
    EXPECT_EQ(metric_value(page, errors("overlong_frame")), 1) << page;
    EXPECT_EQ(metric_value(page, errors("unreadable_value")), 0) << page;
    EXPECT_EQ(metric_value(page, online), 1) << page;
    EXPECT_EQ(metric_value(page, reconnects), 0) << page;
    auto [status, output] = promtool_check(page);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "") << output;

    dev.unplug();
    page = scrape_until(daemon, [&](const std::string& p) { return metric_value(p, online) == 0; });
    EXPECT_EQ(metric_value(page, online), 0) << page;
    dev.plug();
    ASSERT_TRUE(eventually([&] { return times_in(daemon.log(), "device board: ready") == 2; }, 10000ms)) << daemon.log();
    page = scrape_until(daemon, [&](const std::string& p) { return metric_value(p, online) == 1; });
    EXPECT_EQ(metric_value(page, online), 1) << page;
    EXPECT_EQ(metric_value(page, reconnects), 1) << page;
}

const char* const automation_map = R"(devices:
  - {id: bench, driver: sim}
sensors:
  - {id: door, device: bench, type: boolean, signal: constant, low: 1, rate: 2}
relays:
  - {id: light, device: bench, latency: 0ms}
automations:
  - {id: porch, type: follow, sensor: door, relay: light}
)";

TEST(MetricsTraffic, AnAutomationsSwitchesCountUnderCauseAutomation) {
    Daemon daemon(automation_map);
    const std::string page = scrape_until(daemon, [](const std::string& p) {
        return metric_value(p, "hwbridge_relay_state{channel=\"light\",state=\"on\"}") == 1;
    });
    EXPECT_EQ(metric_value(page, "hwbridge_relay_switches_total{channel=\"light\",cause=\"automation\"}"), 1) << page;
    EXPECT_EQ(metric_value(page, "hwbridge_relay_switches_total{channel=\"light\",cause=\"client\"}"), std::nullopt) << page;
    EXPECT_EQ(metric_value(page, "hwbridge_device_online{device=\"bench\",driver=\"sim\"}"), 1) << page;
    // A driver that counts nothing of its own exports no reconnects or errors.
    EXPECT_EQ(page.find("hwbridge_device_reconnects_total{device=\"bench\""), std::string::npos) << page;
}

}  // namespace
}  // namespace hwb::test
