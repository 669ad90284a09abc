// Integration: the real hwbridge reading 1-Wire thermometers from a folder laid out like sysfs
// (--sysfs-root), talked to through the client library: readings and offline/online states reach
// clients, and a read that never returns (a pipe nobody writes) leaves the daemon answering relay
// requests and stopping on SIGTERM.
#include <sys/stat.h>

#include <chrono>

#include <gtest/gtest.h>

#include "ksensors/fake_sysfs.h"
#include "support/client_events.h"
#include "support/daemon.h"

namespace hwb::test {
namespace {

using namespace std::chrono_literals;

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
    client::BlockingClient sensors(client_options(daemon.port()));
    ASSERT_TRUE(sensors.connect(ChannelKind::sensor).ok());
    auto first = sensors.next_event(5000ms, reading_of("tank"));
    ASSERT_TRUE(first);
    EXPECT_EQ(std::get<client::ReadingMessage>(*first).value, 22.5);

    // The other device's worker sits in open() of the pipe; the loop still serves a relay at once.
    client::BlockingClient relays(client_options(daemon.port(), "http", 2000ms));
    ASSERT_TRUE(relays.connect(ChannelKind::relay).ok());
    auto sent = std::chrono::steady_clock::now();
    auto ack = relays.set("pump", true);
    ASSERT_TRUE(ack.ok()) << "no ack while a sensor read hangs: " << ack.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 500ms);

    // Unplugged: offline at the next round, with the reason; back without a restart.
    sys.unplug_w1("28-0316a2794bff");
    auto offline = sensors.next_event(5000ms, status_of("tank", false));
    ASSERT_TRUE(offline);
    const std::string reason = std::get<client::StatusMessage>(*offline).reason;
    EXPECT_NE(reason.find("not on the bus"), std::string::npos) << reason;
    sys.add_w1("28-0316a2794bff", w1_slave_text(23000));
    ASSERT_TRUE(sensors.next_event(5000ms, status_of("tank", true)));
    auto back = sensors.next_event(5000ms, reading_of("tank"));
    ASSERT_TRUE(back);
    EXPECT_EQ(std::get<client::ReadingMessage>(*back).value, 23.0);

    // The hung read is reported, and does not hold the daemon at shutdown.
    auto hung = sensors.next_event(10000ms, status_of("hung", false));
    ASSERT_TRUE(hung);
    const std::string why = std::get<client::StatusMessage>(*hung).reason;
    EXPECT_NE(why.find("has not answered"), std::string::npos) << why;
    auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(daemon.stop(SIGTERM), 0) << daemon.log();
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 3000ms);
}

}  // namespace
}  // namespace hwb::test
