// The validated device map: what src/devicemap produces from YAML and drivers consume.
// See docs/device-map.md for the YAML keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/auth_config.h"
#include "core/channel_info.h"
#include "core/options.h"
#include "core/source_location.h"

namespace hwb {

enum class LogLevel : std::uint8_t { trace, debug, info, warn, error, off };
const char* to_string(LogLevel level);

struct BridgeConfig {
    std::string name = "hwbridge";
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    std::vector<std::string> allowed_origins;  // besides the same host, which is always allowed
    std::size_t max_message_bytes = 65536;     // larger incoming frames close the connection (1009)
    LogLevel log_level = LogLevel::info;
    // Keepalive: a connection silent this long is pinged; with no answer within ping_timeout it is
    // dropped (a half-open TCP peer). Whole seconds: libwebsockets counts in seconds.
    std::chrono::seconds ping_interval{20};
    std::chrono::seconds ping_timeout{10};
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
    std::vector<DeviceConfig> devices;
};

}  // namespace hwb
