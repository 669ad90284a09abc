// Shared by the robustness tests: a map, raw frame building, and checks that the daemon still
// serves a healthy client and that relays did not move.
#pragma once

#include <cstdint>
#include <string>

#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {

// Sensors streaming, relays that answer at once (one with a safe state), an echo console.
// `bridge_extra`: more lines of the bridge section, indented by two spaces.
std::string robustness_map(const std::string& bridge_extra = "");

// One WebSocket frame as a client would send it, or not: any first byte (FIN, RSV bits, opcode),
// masked or not. Lengths use the shortest encoding.
std::string raw_frame(std::uint8_t first_byte, const std::string& payload, bool masked = true);

// Number of clients /healthz reports, or -1 if it does not answer.
int health_clients(std::uint16_t port);

// Waits until /healthz reports `clients` connections; false after `timeout`.
bool wait_for_clients(std::uint16_t port, int clients, std::chrono::milliseconds timeout);

// A fresh sensor client gets a reading; a fresh relay client switches `relay` on and off and
// sees both changes broadcast. Records gtest failures; returns false if one happened.
bool daemon_still_serves(std::uint16_t port, const std::string& relay = "lamp");

std::int64_t now_ms();

// The seed of a randomized test: HWB_ROBUSTNESS_SEED when set (to reproduce a run), else
// `fallback`; the test's failures name it.
unsigned robustness_seed(unsigned fallback);

// After a hostile run: `watcher` (a relay client connected throughout) saw no relay change, a
// fresh client is served, and the daemon stops cleanly. Records gtest failures.
void expect_relays_untouched_and_serving(WsClient& watcher, Daemon& daemon);

}  // namespace hwb::test
