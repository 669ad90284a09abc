// The client's half of the wire format (docs/protocol.md): requests encoded from the same structs
// the server parses them into (messages.h), and the server's messages parsed into typed structs.
// Pure functions, used by the client library (src/client); nothing here throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/auth.h"
#include "protocol/messages.h"

namespace hwb::protocol {

// ---- client -> server ----
std::string encode_request(const Subscribe& request);
std::string encode_request(const History& request);
std::string encode_request(const RelaySet& request);
std::string encode_request(const RelayToggle& request);
std::string encode_request(const RelayPulse& request);
std::string encode_request(const RelayRenew& request);
std::string encode_request(const TextOpen& request);
std::string encode_request(const TextClose& request);
std::string encode_request(const TextSend& request);
std::string encode_request(const AuthRequest& request);

// ---- server -> client ----
// One channel of a hello's `channels` (or of /api/channels), the fields every kind has typed;
// `value` is the sensor's value (number, bool or null) or the relay's state ("on", "off",
// "unknown"), null for text channels. `fields` keeps the whole object (min, max, lease, ...).
struct ChannelEntry {
    std::string id;
    std::string label;
    std::string device;
    std::string unit;
    bool online = true;
    std::string reason;  // why offline
    Json value;
    std::optional<std::int64_t> time_ms;
    std::uint64_t seq = 0;
    Json fields;
};

struct HelloMessage {
    std::string protocol;  // sensor, relay, text
    int version = 0;
    std::string bridge;
    std::string client;         // the connection id the bridge gave us
    bool auth_required = false; // "auth":"required": no channels until the client authenticates
    std::vector<ChannelEntry> channels;
    std::optional<AccessInfo> access;
};
struct AckMessage {
    Json id;
    Json body;  // the whole answer (channel, state, lease_expires, history, ...)
};
struct ErrorMessage {
    Json id;
    std::string channel;
    Error error;
};
struct ReadingMessage {
    std::string channel;
    Json value;  // number, bool or null
    std::int64_t time_ms = 0;
    std::uint64_t seq = 0;
};
struct LeaseEntry {
    std::string client;
    std::int64_t expires_ms = 0;
};
struct StateMessage {
    std::string channel;
    std::string state;  // on, off, unknown
    std::optional<std::int64_t> time_ms;
    std::uint64_t seq = 0;
    std::string cause;   // client, startup, pulse_end, max_on, lease_expired, ...
    std::string client;  // for cause client / lease_expired
    std::optional<LeaseEntry> lease;
    std::optional<std::int64_t> auto_off_ms;
};
struct StatusMessage {
    std::string channel;
    bool online = true;
    std::string reason;
};
struct LineMessage {
    std::string channel;
    std::string line;
    std::string dir;  // rx (from the device), tx (sent to it)
    std::string by;   // the sender of a tx line
    std::int64_t time_ms = 0;
    std::uint64_t seq = 0;
};
using ServerMessage = std::variant<HelloMessage, AckMessage, ErrorMessage, ReadingMessage, StateMessage,
                                   StatusMessage, LineMessage>;

// A frame from the bridge; errors: bad_json (not JSON, or nested deeper than max_nesting_depth),
// bad_request (a field missing or of the wrong type), unknown_type (a message this client does
// not know, which a newer bridge may send: callers ignore it).
Result<ServerMessage> parse_server_message(std::string_view frame);

// One entry of a hello's `channels`, or of the arrays of GET /api/channels.
Result<ChannelEntry> parse_channel_entry(const Json& entry, std::string_view protocol);
// A text channel's `history` entries and `line` messages share their fields.
Result<LineMessage> parse_line(const Json& object, std::string channel);

}  // namespace hwb::protocol
