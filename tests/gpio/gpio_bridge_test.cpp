// The gpio driver behind the real server, over WebSocket: a test-only driver `gpio-memory` (the
// gpio driver over in-memory chips) runs in this process, so the test can press buttons and watch
// relay lines while clients (the client library) talk to the bridge. Same code path as the daemon from the driver to
// the socket, including edges arriving through an event fd in the libwebsockets loop.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <thread>

#include "core/channels.h"
#include "devicemap/loader.h"
#include "gpio/gpio_driver.h"
#include "gpio/memory_chip.h"
#include "server/server.h"
#include "support/client_events.h"

namespace hwb::test {
namespace {

using namespace std::chrono_literals;

const char* bench_map = R"(bridge:
  name: GPIO bench
  listen: 127.0.0.1:0
devices:
  - id: pi
    driver: gpio-memory
    chip: pinctrl-bcm2711
sensors:
  - id: button
    device: pi
    type: boolean
    line: GPIO17
    bias: pull_up
    active_low: true
relays:
  - id: pump
    device: pi
    line: GPIO5
    active_low: true
    safe_state: off
)";

// The bridge on its own thread; everything it owns is touched only by that thread until join.
class Bridge {
public:
    Bridge() {
        gpio.add_chip("gpiochip0", "pinctrl-bcm2711", 8, {"", "", "", "", "GPIO4", "GPIO5", "GPIO6", "GPIO17"});
        gpio.drive("gpiochip0", 5, true);  // the relay board's pull-up: off
        register_gpio_driver(registry_, gpio.backend(), "gpio-memory");
        auto loaded = load_device_map_string(bench_map, "bench.yaml", registry_);
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.str();
        map_ = std::move(*loaded.map);
        server_ = std::make_unique<Server>(map_.bridge);
        channels_ = std::make_unique<Channels>(map_, server_->loop());
        server_->attach(*channels_);
        DeviceContext context{server_->loop(), *channels_};
        device_ = registry_.find("gpio-memory")->create(map_.devices[0], context);
        device_->start();
        stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        stop_watch_ = server_->loop().watch_fd(stop_fd_, [this](FdEvent) { server_->stop(); });
        thread_ = std::thread([this] { server_->run(); });
    }
    ~Bridge() {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = write(stop_fd_, &one, sizeof one);
        thread_.join();
        stop_watch_.reset();
        device_.reset();
        server_.reset();
        channels_.reset();
        close(stop_fd_);
    }
    std::uint16_t port() const { return server_->port(); }

    gpio::MemoryGpio gpio;

private:
    DriverRegistry registry_;
    DeviceMap map_;
    std::unique_ptr<Server> server_;
    std::unique_ptr<Channels> channels_;
    std::unique_ptr<Device> device_;
    int stop_fd_ = -1;
    std::unique_ptr<FdWatch> stop_watch_;
    std::thread thread_;
};

TEST(GpioBridge, ButtonPressReachesSensorClientsAsItHappens) {
    Bridge bridge;
    client::BlockingClient client(client_options(bridge.port()));
    auto hello = client.connect(ChannelKind::sensor);
    ASSERT_TRUE(hello.ok()) << hello.error().message;
    ASSERT_EQ(hello.value().channels.size(), 1u);
    EXPECT_EQ(hello.value().channels[0].fields["kind"], "boolean");
    EXPECT_EQ(hello.value().channels[0].value, false);

    auto pressed_at = std::chrono::steady_clock::now();
    bridge.gpio.drive("gpiochip0", 7, false);
    auto reading = client.next_event(2000ms, reading_of("button"));
    ASSERT_TRUE(reading) << "no reading after the press";
    auto latency = std::chrono::steady_clock::now() - pressed_at;
    EXPECT_EQ(std::get<client::ReadingMessage>(*reading).value, true);
    EXPECT_LT(latency, 500ms) << "edges are pushed as they happen";

    bridge.gpio.drive("gpiochip0", 7, true);
    reading = client.next_event(2000ms, reading_of("button"));
    ASSERT_TRUE(reading);
    EXPECT_EQ(std::get<client::ReadingMessage>(*reading).value, false);
}

TEST(GpioBridge, RelayClientSwitchesTheLineAndSeesOnlyTheReadBackState) {
    Bridge bridge;
    client::BlockingClient client(client_options(bridge.port()));
    auto hello = client.connect(ChannelKind::relay);
    ASSERT_TRUE(hello.ok()) << hello.error().message;
    ASSERT_EQ(hello.value().channels.size(), 1u);
    EXPECT_EQ(hello.value().channels[0].value, "off");

    auto ack = client.set("pump", true);
    ASSERT_TRUE(ack.ok()) << ack.error().message;
    EXPECT_EQ(ack.value()["state"], "on");
    EXPECT_FALSE(bridge.gpio.level("gpiochip0", 5)) << "active-low relay on: the line is low";

    bridge.gpio.stick("gpiochip0", 5, false);  // the driver transistor fails shorted: stays on
    auto refused = client.set("pump", false);
    ASSERT_FALSE(refused.ok()) << "a line that does not follow must be an error";
    EXPECT_EQ(refused.error().code, "hardware");
    EXPECT_NE(refused.error().message.find("reads back on"), std::string::npos) << refused.error().message;
    // The line history shows what a relay coil saw: off (high) at start, on, nothing else.
    EXPECT_EQ(bridge.gpio.history("gpiochip0", 5), (std::vector<bool>{false, true, false}));
}

}  // namespace
}  // namespace hwb::test
