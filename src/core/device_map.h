// The validated device map: what src/devicemap produces from YAML and drivers consume.
// See docs/device-map.md for the YAML keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/auth_config.h"
#include "core/automation_config.h"
#include "core/channel_info.h"
#include "core/history_config.h"
#include "core/mqtt_config.h"
#include "core/options.h"
#include "core/rate_limit.h"
#include "core/source_location.h"
#include "core/time_zone.h"

namespace hwb {

enum class LogLevel : std::uint8_t { trace, debug, info, warn, error, off };
const char* to_string(LogLevel level);

// `bridge.tls`: serve https and wss on the listen port (docs/security.md, "TLS"). Paths are
// absolute (the loader resolves them against the map's folder); empty cert: plain http.
struct TlsConfig {
    std::string cert;  // PEM certificate, optionally followed by its chain
    std::string key;   // PEM private key
    std::string ca;    // optional: PEM file of intermediate certificates (the chain)
    bool enabled() const { return !cert.empty(); }
    friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

// `bridge.limits`: what one client, or all together, may ask of the bridge (docs/security.md,
// "Limits"). A rate of 0 switches that limit off.
struct LimitsConfig {
    std::size_t max_connections = 1024;          // WebSocket connections; over it: 503
    RateLimit connections_per_address{10, 50};   // new TCP connections per second per source address
    RateLimit relay_requests{10, 20};            // relay requests per second per connection
    RateLimit text_requests{20, 50};             // text requests (open, send, close) per second per connection
    RateLimit sensor_requests{10, 20};           // sensor requests (subscribe, history) per second per connection
    RateLimit relay_switches{10, 20};            // switches per second of one relay, all requesters together
    std::size_t max_refusals = 50;               // rate_limited answers within refusal_window: close 1008
    std::chrono::seconds refusal_window{10};
    friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

struct BridgeConfig {
    std::string name = "hwbridge";
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    std::vector<std::string> allowed_origins;  // besides the same host, which is always allowed
    // Names that Host may carry besides the machine's own (loopback, host name, .local, interface
    // addresses): a reverse proxy's public name, a DNS name of the Pi. "*.example.org" for a domain.
    std::vector<std::string> allowed_hosts;
    std::size_t max_message_bytes = 65536;     // larger incoming frames close the connection (1009)
    LogLevel log_level = LogLevel::info;
    // Keepalive: a connection silent this long is pinged; with no answer within ping_timeout it is
    // dropped (a half-open TCP peer). Whole seconds: libwebsockets counts in seconds.
    std::chrono::seconds ping_interval{20};
    std::chrono::seconds ping_timeout{10};
    TlsConfig tls;
    LimitsConfig limits;
    // The local time of schedules, `at` triggers and time windows (docs/automations.md, "Time"):
    // a zone of the tz database, or (unnamed) the process's TZ, else /etc/localtime.
    TimeZone time_zone;
};

struct SensorConfig {
    SensorInfo info;
    Options options;  // driver-specific, validated against the driver's OptionSpecs
    SourceLocation where;
};

struct RelayConfig {
    RelayInfo info;
    Options options;
    SourceLocation where;
};

struct TextConfig {
    TextInfo info;
    Options options;
    SourceLocation where;
};

struct DeviceConfig {
    std::string id;
    std::string driver;
    std::string label;
    Options options;
    SourceLocation where;
    std::vector<SensorConfig> sensors;  // channels whose `device:` names this device, in map order
    std::vector<RelayConfig> relays;
    std::vector<TextConfig> texts;
};

struct DeviceMap {
    std::string path;
    BridgeConfig bridge;
    AuthConfig auth;  // `auth:` and the channels' `control:` (core/auth_config.h)
    MqttConfig mqtt;  // `mqtt:` (core/mqtt_config.h)
    HistoryConfig history;  // `history:` (core/history_config.h)
    std::vector<DeviceConfig> devices;
    std::vector<AutomationConfig> automations;  // `automations:` (core/automation_config.h)
};

}  // namespace hwb
