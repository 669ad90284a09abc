// A link the bridge keeps to the world outside (the MQTT uplink): its state, for the page, the
// log and metrics. Kept in Channels, next to the channels' own status, so every front sees it.
#pragma once

#include <cstdint>
#include <string>

namespace hwb {

struct UplinkStatus {
    std::string name;             // "mqtt"
    std::string state;            // "connected", "connecting", "disconnected" (retrying) or "off" (detail says why)
    std::string target;           // where to: "broker.lan:8883"
    std::string detail;           // why it is not connected (empty when it is)
    std::uint64_t dropped = 0;    // readings and lines dropped while it was away, since the start
    std::int64_t since_ms = 0;    // wall clock of the last change of state

    bool operator==(const UplinkStatus&) const = default;
};

}  // namespace hwb
