#pragma once

#include <string>

namespace hwb::test {

// The client tests' map: fast sensors, instant relays, and one relay per refusal the bridge can
// give (interlock, too_soon, hardware), an echo console and a display-only text.
inline std::string client_test_map(const std::string& bridge_extra = "", const std::string& extra = "") {
    return R"(bridge:
  name: Client bench
)" + bridge_extra + R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    device: bench
    label: Temperature
    unit: "°C"
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
    rate: 20
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
  - id: forward
    device: bench
    interlock: motor
    latency: 0ms
  - id: reverse
    device: bench
    interlock: motor
    latency: 0ms
  - id: lamp
    device: bench
    label: Lamp
    min_on: 1h
    latency: 0ms
  - id: slow
    device: bench
    label: Slow valve
    latency: 1500ms
texts:
  - id: console
    device: bench
    label: Echo console
    reply_prefix: "echo: "
    max_line_bytes: 64
  - id: display
    device: bench
    label: Status display
    mode: status
    interval: 50ms
)" + extra;
}

}  // namespace hwb::test
