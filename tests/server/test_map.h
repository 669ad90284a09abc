#pragma once

#include <string>

namespace hwb::test {

// A small simulated map for the server tests: fast sensors, instant relays, one that fails.
inline std::string server_test_map(const std::string& bridge_extra = "") {
    return R"(bridge:
  name: Test bench
  max_message_bytes: 4096
)" + bridge_extra + R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    device: bench
    label: Temperature
    unit: "°C"
    range: [-10, 40]
    precision: 1
    signal: sine
    period: 10s
    rate: 50
  - id: door
    device: bench
    label: Door closed
    type: boolean
    signal: toggle
    period: 100ms
    rate: 50
  - id: slow
    device: bench
    label: Slow
    signal: constant
    low: 3
    rate: 0.2
relays:
  - id: pump
    device: bench
    label: Water pump
    safe_state: off
    latency: 0ms
  - id: valve
    device: bench
    label: Valve
    fail_every: 2
    latency: 0ms
  - id: heater
    device: bench
    label: Heater
    latency: 200ms
  - id: forward
    device: bench
    interlock: motor
    max_on: 10s
    latency: 0ms
  - id: reverse
    device: bench
    interlock: motor
    latency: 0ms
texts:
  - id: console
    device: bench
    label: Echo console
    reply_prefix: "echo: "
  - id: display
    device: bench
    label: Status display
    mode: status
    interval: 50ms
)";
}

}  // namespace hwb::test
