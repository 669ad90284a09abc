#include "robustness/robustness.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <thread>

namespace hwb::test {

std::string robustness_map(const std::string& bridge_extra) {
    return R"(bridge:
  name: Robustness bench
  max_message_bytes: 4096
  # A thousand connections from 127.0.0.1 in a few seconds: above the default per-address rate.
  limits: {connection_rate: 0, max_connections: 2048}
)" + bridge_extra + R"(
devices:
  - id: bench
    driver: sim
sensors:
  - {id: temperature, device: bench, signal: sine, period: 10s, rate: 20}
  - {id: door, device: bench, type: boolean, signal: toggle, period: 1s, rate: 5}
relays:
  - {id: pump, device: bench, safe_state: off, latency: 0ms}
  - {id: heater, device: bench, initial: on, latency: 0ms}
  - {id: lamp, device: bench, latency: 0ms}
texts:
  - {id: console, device: bench, reply_prefix: "echo: "}
)";
}

std::string raw_frame(std::uint8_t first_byte, const std::string& payload, bool masked) {
    std::string frame(1, static_cast<char>(first_byte));
    const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
    const std::size_t n = payload.size();
    if (n < 126) {
        frame += static_cast<char>(mask_bit | n);
    } else if (n <= 0xFFFF) {
        frame += static_cast<char>(mask_bit | 126);
        frame += static_cast<char>(n >> 8);
        frame += static_cast<char>(n & 0xFF);
    } else {
        frame += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i) frame += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
    }
    if (!masked) return frame + payload;
    const char mask[4] = {0x3a, 0x5c, 0x01, 0x7f};
    frame.append(mask, 4);
    for (std::size_t i = 0; i < n; ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
    return frame;
}

int health_clients(std::uint16_t port) {
    try {
        auto r = http_get(port, "/healthz");
        if (r.status != 200) return -1;
        return nlohmann::json::parse(r.body).at("clients").get<int>();
    } catch (const std::exception&) {
        return -1;
    }
}

bool wait_for_clients(std::uint16_t port, int clients, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (health_clients(port) != clients) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool daemon_still_serves(std::uint16_t port, const std::string& relay) {
    const bool failed_before = ::testing::Test::HasFailure();
    WsClient sensor(port, "sensor");
    EXPECT_TRUE(sensor.ok()) << "a new sensor client was refused";
    if (sensor.ok()) {
        EXPECT_TRUE(sensor.wait_type("reading", std::chrono::seconds(5))) << "no reading for a new client";
    }

    WsClient control(port, "relay");
    EXPECT_TRUE(control.ok()) << "a new relay client was refused";
    if (control.ok()) {
        for (const char* state : {"on", "off"}) {
            control.send_json({{"type", "set"}, {"id", state}, {"channel", relay}, {"state", state}});
            auto ack = control.wait_for([&](const nlohmann::json& m) { return m.value("id", "") == std::string(state); },
                                        std::chrono::seconds(5));
            EXPECT_TRUE(ack && (*ack)["type"] == "ack" && (*ack)["state"] == state)
                << "relay " << relay << " did not switch " << state << ": " << (ack ? ack->dump() : "no answer");
            auto change = control.wait_for(
                [&](const nlohmann::json& m) { return m.value("type", "") == "state" && m["state"] == state; },
                std::chrono::seconds(5));
            EXPECT_TRUE(change) << "the switch " << state << " was not broadcast";
        }
    }
    return failed_before || !::testing::Test::HasFailure();
}

unsigned robustness_seed(unsigned fallback) {
    if (const char* s = std::getenv("HWB_ROBUSTNESS_SEED")) return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
    return fallback;
}

void expect_relays_untouched_and_serving(WsClient& watcher, Daemon& daemon) {
    auto change = watcher.wait_type("state", std::chrono::milliseconds(200));
    EXPECT_FALSE(change) << "a relay changed: " << change->dump();
    EXPECT_TRUE(daemon_still_serves(daemon.port()));
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

}  // namespace hwb::test
