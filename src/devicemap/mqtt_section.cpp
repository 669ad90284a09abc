// `mqtt:`: the broker uplink (docs/device-map.md, "mqtt"; docs/mqtt.md). Topic prefixes are
// checked to be usable topic names (no wildcards, no empty levels). The password file is read when the uplink starts
// (it may not exist where the map is written), like auth.secret_file.
#include <cctype>

#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"

namespace hwb::devicemap {

std::string mqtt_topic_problem(const std::string& topic) {
    if (topic.empty()) return "must not be empty";
    if (topic.size() > 200) return "is longer than 200 characters";
    if (topic.front() == '/' || topic.back() == '/') return "must not begin or end with '/'";
    if (topic.find("//") != std::string::npos) return "must not have an empty level ('//')";
    for (unsigned char c : topic) {
        if (c == '+' || c == '#') return "must not contain the wildcards '+' or '#'";
        if (std::isspace(c) || std::iscntrl(c)) return "must not contain spaces or control characters";
    }
    return {};
}

namespace {

bool mqtt_client_id_ok(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id)
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

}  // namespace

MqttConfig read_mqtt(const YAML::Node& section, const std::string& bridge_name, LoadContext& context) {
    MqttConfig mqtt;
    mqtt.enabled = true;
    const std::string node = mqtt_node_id(bridge_name);
    mqtt.node_id = node;
    mqtt.client_id = "hwbridge-" + node;
    mqtt.prefix = "hwbridge/" + node;
    // `mqtt:` alone: a broker on this machine, all defaults.
    auto opened = open_section(section, "'mqtt'", "of broker settings (host, port, prefix, ...)", context.diagnostics);
    if (!opened) return mqtt;
    MappingReader& reader = *opened;
    Options o = reader.read_all(schema::mqtt());
    auto at = [&](const char* key) { return reader.find(key)->value_mark(); };
    if (o.has("host")) {
        mqtt.host = o.string("host");
        if (mqtt.host.empty() || mqtt.host.find_first_of(" \t/") != std::string::npos)
            context.diagnostics.error(at("host"), "'host' must be a host name or address, got '" + mqtt.host + "'");
    }
    if (o.has("port")) mqtt.port = static_cast<int>(o.integer("port"));
    if (o.has("client_id")) {
        mqtt.client_id = o.string("client_id");
        if (!mqtt_client_id_ok(mqtt.client_id))
            context.diagnostics.error(at("client_id"), "'client_id' must be 1 to 64 letters, digits, '.', '_' or '-', got '" +
                                                           mqtt.client_id + "'");
    }
    if (o.has("username")) mqtt.username = o.string("username");
    if (o.has("password_file")) {
        mqtt.password_file = o.string("password_file");
        if (mqtt.password_file.empty() || mqtt.password_file.front() != '/')
            context.diagnostics.error(at("password_file"),
                                      "'password_file' must be an absolute path such as /etc/hwbridge/mqtt-password, got '" +
                                          mqtt.password_file + "'");
        else if (mqtt.username.empty())
            context.diagnostics.error(at("password_file"), "'password_file' needs 'username' in 'mqtt'");
    }
    auto topic = [&](const char* key, std::string& into) {
        if (!o.has(key)) return;
        into = o.string(key);
        if (auto problem = mqtt_topic_problem(into); !problem.empty())
            context.diagnostics.error(at(key), std::string("'") + key + "' " + problem + ", got '" + into + "'");
    };
    topic("prefix", mqtt.prefix);
    if (o.has("discovery")) mqtt.discovery = o.boolean("discovery");
    topic("discovery_prefix", mqtt.discovery_prefix);
    if (o.has("qos")) mqtt.qos = static_cast<int>(o.integer("qos"));
    if (o.has("readings_qos")) mqtt.readings_qos = static_cast<int>(o.integer("readings_qos"));
    if (o.has("keepalive")) mqtt.keepalive_s = static_cast<int>(o.duration("keepalive").count() / 1000);
    if (o.has("role")) mqtt.role = role_from(o.string("role")).value_or(Role::operator_);
    if (o.has("max_payload")) mqtt.max_payload = static_cast<std::size_t>(o.integer("max_payload"));
    if (o.has("protocol")) mqtt.protocol = o.string("protocol") == "3.1.1" ? 4 : 5;
    if (o.has("readings")) mqtt.json_readings = o.string("readings") == "json";
    if (o.has("max_command_age")) mqtt.max_command_age_ms = o.duration("max_command_age").count();
    // TLS files: relative to the map's folder, readable now (unless probing is off: a draft).
    auto file = [&](const char* key, std::string& into) {
        if (!o.has(key)) return;
        const std::string& given = o.string(key);
        if (given.empty()) {
            context.diagnostics.error(at(key), std::string("'") + key + "' must not be empty");
            return;
        }
        std::string path = map_relative_path(given, context.diagnostics.file());
        std::string problem = context.probe_files ? readable_file_problem(path) : std::string();
        if (!problem.empty()) {
            context.diagnostics.error(at(key), std::string("cannot read '") + key + "' file " + path + ": " + problem +
                                                   " (it must be readable by the user hwbridge runs as)");
            return;
        }
        into = path;
    };
    file("ca", mqtt.ca);
    file("cert", mqtt.cert);
    file("key", mqtt.key);
    if (o.has("cert") != o.has("key"))
        context.diagnostics.error(at(o.has("cert") ? "cert" : "key"), "'cert' and 'key' in 'mqtt' go together (a client certificate and its key)");
    else if (o.has("cert") && !o.has("ca"))
        context.diagnostics.error(at("cert"), "a client certificate needs 'ca' in 'mqtt' (TLS to the broker)");
    reader.report_unknown_keys();
    return mqtt;
}

}  // namespace hwb::devicemap
