// The JSON wire format of the sensor, relay and text subprotocols (docs/protocol.md).
// Pure functions: parse a client's frame into a request, or encode a server message.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cause.h"
#include "core/channels.h"
#include "core/history.h"
#include "core/result.h"

namespace hwb::protocol {

inline constexpr int version = 1;
using Json = nlohmann::json;

// A frame that is not a valid request. `id` is the request's id when it could be read, else null.
struct BadRequest {
    Json id;
    Error error;  // code: bad_json, bad_request, unknown_type
};

// ---- client -> server ----
struct Subscribe {
    Json id;
    std::optional<std::vector<std::string>> channels;  // nullopt: all sensors
    std::optional<double> max_rate_hz;                 // nullopt: no cap
};
struct History {
    Json id;
    std::string channel;
    // Stored history (docs/history.md) when `from` is given; else the recent readings in memory.
    std::optional<std::int64_t> from_ms;
    std::optional<std::int64_t> to_ms;    // default: now
    std::optional<std::int64_t> step_ms;  // default: the range over about 1000 points
};
using SensorRequest = std::variant<Subscribe, History>;

struct RelaySet {
    Json id;
    std::string channel;
    bool on = false;
    std::string client;  // optional name for the cause; empty if not given
    std::optional<std::chrono::milliseconds> lease;  // lease_ms: hold "on" only while renewed
};
struct RelayToggle {
    Json id;
    std::string channel;
    std::string client;
    std::optional<std::chrono::milliseconds> lease;
};
struct RelayPulse {
    Json id;
    std::string channel;
    std::chrono::milliseconds duration{0};  // 1 ms .. 24 h
    std::string client;
};
struct RelayRenew {
    Json id;
    std::string channel;
    std::string client;
    std::chrono::milliseconds lease{0};
};
// An operator's change to an automation (docs/automations.md): a thermostat's setpoint, or
// enabling/disabling it. Exactly one of the two.
struct AutomationChange {
    Json id;
    std::string automation;
    std::optional<double> setpoint;
    std::optional<bool> enabled;
};
using RelayRequest = std::variant<RelaySet, RelayToggle, RelayPulse, RelayRenew, AutomationChange>;

struct TextOpen {
    Json id;
    std::string channel;
};
struct TextClose {
    Json id;
    std::string channel;
};
struct TextSend {
    Json id;
    std::string channel;
    std::string line;
    std::string client;
};
using TextRequest = std::variant<TextOpen, TextClose, TextSend>;

template <class T>
using Parsed = std::variant<T, BadRequest>;

// Every parser of client frames refuses, before parsing, a frame whose brackets (outside string
// literals) nest deeper than this: no request needs more than 2 levels, and a frame of 100k nested
// arrays must cost neither stack nor memory.
constexpr int max_nesting_depth = 64;
bool nests_deeper_than(std::string_view frame, int limit);

Parsed<SensorRequest> parse_sensor_request(std::string_view frame);
Parsed<RelayRequest> parse_relay_request(std::string_view frame);
Parsed<TextRequest> parse_text_request(std::string_view frame);

// ---- server -> client ----
struct HelloContext {
    std::string bridge;  // bridge.name from the map
    std::string client;  // connection id, e.g. "c7"
};

std::string sensor_hello(const HelloContext& ctx, const std::vector<std::unique_ptr<Sensor>>& sensors);
// With automations (non-empty), the hello lists them too (`automations`).
std::string relay_hello(const HelloContext& ctx, const std::vector<std::unique_ptr<Relay>>& relays,
                        const std::vector<AutomationStatus>& automations = {});
Json automation_json(const AutomationStatus& status);
std::string automation_message(const AutomationStatus& status);   // type "automation", to relay clients
std::string automation_ack(const Json& id, const std::string& automation);
std::string text_hello(const HelloContext& ctx, const std::vector<std::unique_ptr<TextChannel>>& texts);

std::string reading(const Sensor& sensor);  // the sensor's last() reading; sensor must have one
std::string relay_state(const Relay& relay, const Cause& cause);
std::string status(const std::string& channel, const ChannelStatus& status);
// An uplink's state (core/uplink_status.h), on the sensor subprotocol; state "" = removed.
std::string uplink(const UplinkStatus& status);
std::string text_line(const std::string& channel, const TextLine& line);

std::string subscribe_ack(const Json& id, const std::optional<std::vector<std::string>>& channels,
                          std::optional<double> max_rate_hz);
// The sensor's recent readings as [[time, value], ...], oldest first.
std::string history_ack(const Json& id, const Sensor& sensor);
// Stored history (history_messages.cpp): points as [[time, min, avg, max, count], ...], relay events
// as [[time, state, cause], ...]; the same fields without type and id for GET /api/history, and
// CSV with a header line.
std::string stored_history_ack(const Json& id, const HistoryAnswer& answer);
std::string history_json(const HistoryAnswer& answer);
std::string history_csv(const HistoryAnswer& answer);
std::string lease_ack(const Json& id, const std::string& channel, const Lease& lease);
std::string relay_ack(const Json& id, const std::string& channel, RelayState state);
std::string text_open_ack(const Json& id, const TextChannel& channel);
std::string text_ack(const Json& id, const std::string& channel);
// `channel` may be empty (then omitted).
std::string error(const Json& id, const std::string& channel, const Error& error);

// How a channel is shown (`ui`, only what the map sets) and its words (device_class, on_text,
// off_text), as hello carries them; also in the MQTT uplink's metadata message.
void add_ui(Json& j, const ChannelUi& ui);
void add_words(Json& j, const ChannelWords& words);

// Channel metadata + current value, as in the hello's `channels` arrays.
Json sensor_json(const Sensor& sensor);
Json relay_json(const Relay& relay);
Json text_json(const TextChannel& channel);
// GET /api/channels
std::string channels_document(const std::string& bridge, const Channels& channels);

}  // namespace hwb::protocol
