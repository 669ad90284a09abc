// Integration: the real hwbridge reading 1-Wire thermometers from a folder laid out like sysfs
// (--sysfs-root), with a WebSocket client: readings and offline/online states reach clients, and a
// read that never returns (a pipe nobody writes) leaves the daemon answering relay requests and
// stopping on SIGTERM.
#include <sys/stat.h>

#include <chrono>

#include <gtest/gtest.h>

#include "ksensors/fake_sysfs.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

auto reading_of(const std::string& id) {
    return [id](const json& m) { return m["type"] == "reading" && m["channel"] == id; };
}
auto status_of(const std::string& id, bool online) {
    return [id, online](const json& m) { return m["type"] == "status" && m["channel"] == id && m["online"] == online; };
}

TEST(KernelSensorsDaemon, ThermometerReadingsReachClientsWhileAnotherReadHangs) {
    FakeSysfs sys;
    sys.add_w1("28-0316a2794bff", w1_slave_text(22500));
    std::string stuck = sys.add_w1("28-0316a2794c00", "");
    sys.remove(stuck + "/w1_slave");
    ASSERT_EQ(::mkfifo((sys.root + "/" + stuck + "/w1_slave").c_str(), 0600), 0);
    Daemon daemon("devices:\n"
                  "  - { id: good_bus, driver: w1, interval: 1s }\n"
                  "  - { id: stuck_bus, driver: w1, interval: 1s }\n"
                  "  - { id: sim, driver: sim }\n"
                  "sensors:\n"
                  "  - { id: tank, device: good_bus, address: 28-0316a2794bff, unit: °C }\n"
                  "  - { id: hung, device: stuck_bus, address: 28-0316a2794c00, unit: °C }\n"
                  "relays:\n"
                  "  - { id: pump, device: sim, latency: 0ms }\n",
                  {"--sysfs-root", sys.root});
    WsClient sensors(daemon.port(), "sensor");
    ASSERT_TRUE(sensors.ok());
    auto first = sensors.wait_for(reading_of("tank"), 5000ms);
    ASSERT_TRUE(first);
    EXPECT_DOUBLE_EQ((*first)["value"].get<double>(), 22.5);

    // The other device's worker sits in open() of the pipe; the loop still serves a relay at once.
    WsClient relays(daemon.port(), "relay");
    ASSERT_TRUE(relays.ok());
    ASSERT_TRUE(relays.wait_type("hello"));
    auto sent = std::chrono::steady_clock::now();
    relays.send_text(R"({"type":"set","id":7,"channel":"pump","state":"on"})");
    auto ack = relays.wait_type("ack", 2000ms);
    ASSERT_TRUE(ack) << "no ack while a sensor read hangs";
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 500ms);

    // Unplugged: offline at the next round, with the reason; back without a restart.
    sys.unplug_w1("28-0316a2794bff");
    auto offline = sensors.wait_for(status_of("tank", false), 5000ms);
    ASSERT_TRUE(offline);
    EXPECT_NE((*offline)["reason"].get<std::string>().find("not on the bus"), std::string::npos) << offline->dump();
    sys.add_w1("28-0316a2794bff", w1_slave_text(23000));
    ASSERT_TRUE(sensors.wait_for(status_of("tank", true), 5000ms));
    auto back = sensors.wait_for(reading_of("tank"), 5000ms);
    ASSERT_TRUE(back);
    EXPECT_DOUBLE_EQ((*back)["value"].get<double>(), 23.0);

    // The hung read is reported, and does not hold the daemon at shutdown.
    auto hung = sensors.wait_for(status_of("hung", false), 10000ms);
    ASSERT_TRUE(hung);
    EXPECT_NE((*hung)["reason"].get<std::string>().find("has not answered"), std::string::npos) << hung->dump();
    auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(daemon.stop(SIGTERM), 0) << daemon.log();
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 3000ms);
}

}  // namespace
}  // namespace hwb::test
