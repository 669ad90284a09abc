// Keys of the `mqtt:` section (docs/device-map.md, "mqtt"; docs/mqtt.md).
#include "devicemap/schema.h"

#include <string>

namespace hwb::devicemap::schema {

std::vector<OptionSpec> mqtt() {
    return {
        {.key = "host", .help = "the broker's host name or address", .fallback = std::string("127.0.0.1")},
        {.key = "port", .type = OptionType::integer, .help = "the broker's port (8883 is usual with ca)",
         .fallback = std::int64_t{1883}, .min = 1, .max = 65535},
        {.key = "client_id", .help = "MQTT client id (default: hwbridge-<bridge name>); unique per broker"},
        {.key = "username", .help = "user name at the broker"},
        {.key = "password_file", .help = "absolute path of a file whose first line is the password (not world-readable)"},
        {.key = "prefix", .help = "topic prefix of this bridge (default: hwbridge/<bridge name>)"},
        {.key = "discovery", .type = OptionType::boolean, .help = "publish Home Assistant MQTT discovery configs",
         .fallback = true},
        {.key = "discovery_prefix", .help = "Home Assistant's discovery prefix", .fallback = std::string("homeassistant")},
        {.key = "qos", .type = OptionType::integer, .help = "QoS of states, availability, results and commands",
         .fallback = std::int64_t{1}, .min = 0, .max = 2},
        {.key = "readings_qos", .type = OptionType::integer, .help = "QoS of sensor readings and text lines",
         .fallback = std::int64_t{0}, .min = 0, .max = 2},
        {.key = "keepalive", .type = OptionType::duration, .help = "MQTT keepalive (whole seconds)",
         .fallback = std::chrono::milliseconds(30000), .min = 5000, .max = 3600000},
        {.key = "role", .type = OptionType::choice, .help = "what commands from the broker may do",
         .fallback = std::string("operator"), .choices = {"viewer", "operator", "admin"}},
        {.key = "max_payload", .type = OptionType::integer, .help = "largest command payload accepted (bytes)",
         .fallback = std::int64_t{4096}, .min = 64, .max = 65536},
        {.key = "protocol", .type = OptionType::choice,
         .help = "MQTT version: 5 (response topics and correlation data of commands honoured) or 3.1.1",
         .fallback = std::string("5"), .choices = {"5", "3.1.1"}},
        {.key = "readings", .type = OptionType::choice,
         .help = "reading payloads: the plain value, or JSON with value, unit, time and seq",
         .fallback = std::string("plain"), .choices = {"plain", "json"}},
        {.key = "max_command_age", .type = OptionType::duration,
         .help = "a JSON command whose \"time\" is older than this (or as far ahead) is refused as stale",
         .fallback = std::chrono::milliseconds(30000), .min = 1000, .max = 3600000},
        {.key = "ca", .help = "CA certificate (PEM) that signed the broker's: turns TLS on; the broker's name is checked"},
        {.key = "cert", .help = "client certificate (PEM) for brokers that require one; needs key and ca"},
        {.key = "key", .help = "the client certificate's private key (PEM; not world-readable)"},
    };
}

}  // namespace hwb::devicemap::schema
