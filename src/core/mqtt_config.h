// The `mqtt:` section of the device map (docs/device-map.md, "mqtt"; docs/mqtt.md): the broker the
// bridge publishes its channels to and takes relay and text commands from (src/mqtt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/auth_config.h"

namespace hwb {

struct MqttConfig {
    bool enabled = false;                 // the section is present
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string node_id = "hwbridge";     // the bridge's name as a topic level and id part
    std::string client_id;                // empty: "hwbridge-" + the bridge's node id
    std::string username;                 // empty: no username/password
    std::string password_file;            // absolute path; its first line is the password
    std::string prefix;                   // empty: "hwbridge/" + the bridge's node id
    bool discovery = true;                // Home Assistant MQTT discovery
    std::string discovery_prefix = "homeassistant";
    int qos = 1;                          // states, availability, results, commands
    int readings_qos = 0;                 // sensor readings and text lines
    int keepalive_s = 30;
    Role role = Role::operator_;          // what commands from the broker may do (the door checks)
    std::size_t max_payload = 4096;       // larger command payloads are refused unread
    int protocol = 5;                     // MQTT 5 (response topics, correlation data) or 4 (3.1.1)
    bool json_readings = false;           // readings as {"value","unit","time","seq"} instead of the plain value
    // TLS to the broker: all absolute paths; `ca` alone turns TLS on (the broker's name checked).
    std::string ca;
    std::string cert;                     // client certificate and its key, both or neither
    std::string key;
    std::int64_t max_command_age_ms = 30000;  // a JSON command whose "time" is older is refused


    bool operator==(const MqttConfig&) const = default;
};

// A bridge's name as one topic level and id part (the uplink's default prefix is "hwbridge/" and
// this): lower case letters, digits, '_' and '-', at most 48 characters.
std::string mqtt_node_id(const std::string& bridge_name);

}  // namespace hwb
