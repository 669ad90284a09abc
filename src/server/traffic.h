// What the server's WebSocket clients were sent, for GET /metrics (docs/metrics.md). Counted on
// the loop thread by the sessions; an increment per message, never a lookup by name.
#pragma once

#include <cstdint>

namespace hwb {

// Frames written to the clients of one subprotocol, and their bytes on the wire (WebSocket
// framing included).
struct SentCounts {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

// What became of one sensor's readings on their way to the sensor clients, summed over the
// clients that follow it: each reading is, per client, published (put on its way out), coalesced
// (replaced by a newer one before the client took it) or dropped (still waiting when the client
// unsubscribed or went away).
struct ReadingTraffic {
    std::uint64_t published = 0;
    std::uint64_t coalesced = 0;
    std::uint64_t dropped = 0;
};

}  // namespace hwb
