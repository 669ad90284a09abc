// A broker that stops reading (SIGSTOP: overloaded or swapped out, the connection still open):
// the uplink must neither queue every reading in memory nor stall the bridge. Once the socket to
// the broker is full, readings are coalesced (only the latest of each sensor waits), the daemon's
// memory stays bounded, relays still answer at once, and when the broker reads again the latest
// readings arrive.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mqtt/broker.h"
#include "support/daemon.h"
#include "support/eventually.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

// A counter of GET /metrics, or -1.
double slow_metric(std::uint16_t port, const std::string& name) {
    auto answer = http_get(port, "/metrics");
    std::istringstream in(answer.body);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    return -1;
}

long slow_rss_kb(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

std::string slow_map(std::uint16_t port) {
    // GET /metrics is polled: no limit on new connections from this machine.
    std::string map = "bridge:\n  name: Busy\n  limits: {connection_rate: 0}\ndevices:\n  - id: bench\n    driver: sim\nsensors:\n";
    // Eight sensors at 1,000 readings/s, a long topic each: the socket fills within seconds.
    for (int i = 0; i < 8; ++i)
        map += "  - id: level_with_a_long_name_" + std::to_string(i) +
               "\n    device: bench\n    signal: sine\n    precision: 6\n    rate: 1000\n";
    map += "relays:\n  - id: pump\n    device: bench\n    latency: 0ms\n";
    map += "mqtt:\n  port: " + std::to_string(port) + "\n  discovery: false\n  keepalive: 60s\n";
    return map;
}

TEST(MqttSlowBroker, ABrokerThatStopsReadingGetsTheLatestReadingsNotAQueue) {
    Broker broker;
    MqttClient watcher(broker.port(), "slow-watcher");
    watcher.subscribe("hwbridge/busy/sensor/#");
    Daemon daemon(slow_map(broker.port()));
    ASSERT_TRUE(watcher.wait_for([](const Message& m) { return m.topic.find("/sensor/") != std::string::npos; }, 10000ms))
        << daemon.log();
    const long rss_before = slow_rss_kb(daemon.pid());

    broker.pause();
    // The socket fills, then the uplink coalesces instead of queueing.
    ASSERT_TRUE(eventually([&] { return slow_metric(daemon.port(), "hwbridge_mqtt_readings_coalesced_total") > 1000; },
                                120000ms, 200ms))
        << daemon.log();
    // The bridge goes on: a relay answers at once while the broker is stuck.
    WsClient relays(daemon.port(), "relay");
    ASSERT_TRUE(relays.wait_type("hello"));
    relays.send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}});
    auto ack = relays.wait_for([](const json& m) { return m.value("id", 0) == 1; }, 5000ms);
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["type"], "ack") << ack->dump();
    // Memory stays bounded: a few thousand more readings were coalesced, none queued.
    const double coalesced = slow_metric(daemon.port(), "hwbridge_mqtt_readings_coalesced_total");
    ASSERT_TRUE(eventually([&] {
        return slow_metric(daemon.port(), "hwbridge_mqtt_readings_coalesced_total") > coalesced + 8000;
    }, 60000ms, 200ms));
    const long rss_during = slow_rss_kb(daemon.pid());
#if !defined(__SANITIZE_ADDRESS__)
    // (Under AddressSanitizer the daemon's freed memory waits in ASan's quarantine, up to 256 MB:
    // its RSS says nothing about what it holds, so the bound is checked by the normal build.)
    EXPECT_LT(rss_during - rss_before, 16 * 1024) << "RSS " << rss_before << " kB -> " << rss_during << " kB";
#endif
    std::printf("slow broker: RSS %ld kB before, %ld kB with the broker stopped; %.0f readings coalesced\n", rss_before,
                rss_during, slow_metric(daemon.port(), "hwbridge_mqtt_readings_coalesced_total"));

    // The broker reads again: readings flow (the latest ones), and the uplink never disconnected.
    broker.resume();
    watcher.received().clear();
    std::size_t seen = 0;
    ASSERT_TRUE(eventually([&] {
        watcher.pump(100ms);
        seen += watcher.received().size();
        watcher.received().clear();
        return seen > 1000;
    }, 30000ms, 200ms)) << daemon.log();
    const std::string log = daemon.log();
    const auto first = log.find("mqtt: connected to");
    ASSERT_NE(first, std::string::npos);
    EXPECT_EQ(log.find("mqtt: connected to", first + 1), std::string::npos) << log;
}

}  // namespace
}  // namespace hwb::test
