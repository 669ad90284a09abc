// The `bridge:` section: name, listen address, allowed origins, message size, log level, keepalive;
// its `tls` and `limits` mappings have readers of their own.
#include <algorithm>
#include <cctype>

#include "devicemap/address.h"
#include "devicemap/loader.h"
#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"
#include "devicemap/suggest.h"

namespace hwb::devicemap {

namespace {

LogLevel log_level_from(const std::string& name) {
    constexpr LogLevel levels[] = {LogLevel::trace, LogLevel::debug, LogLevel::info,
                                   LogLevel::warn,  LogLevel::error, LogLevel::off};
    for (LogLevel level : levels)
        if (name == to_string(level)) return level;
    return LogLevel::info;  // unreachable: the choice was validated against the same names
}

// libwebsockets' keepalive counts whole seconds; 1.5s becomes 2s, never 1s.
std::chrono::seconds whole_seconds(std::chrono::milliseconds d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d + std::chrono::milliseconds(999));
}

void read_listen(MappingReader& reader, BridgeConfig& bridge) {
    const auto* entry = reader.find("listen");
    if (entry == nullptr || !entry->value.IsScalar()) return;  // absent: default; wrong type: reported
    auto address = parse_listen_address(entry->value.Scalar());
    if (!address) {
        reader.diagnostics().error(entry->value_mark(),
                                   "'listen' must be HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080; " +
                                       address.error().message);
        return;
    }
    bridge.listen_host = address.value().host;
    bridge.listen_port = address.value().port;
}

void check_origins(MappingReader& reader) {
    const auto* entry = reader.find("allowed_origins");
    if (entry == nullptr || !entry->value.IsSequence()) return;
    for (const auto& item : entry->value) {
        if (!item.IsScalar()) continue;  // reported by the string_list check
        if (auto problem = origin_problem(item.Scalar()))
            reader.diagnostics().error(item.Mark(), "allowed origin '" + item.Scalar() + "' is invalid: " + *problem +
                                                        " (expected scheme://host[:port], e.g. http://pi.local:8080)");
    }
}

// A host name (or "*." and a domain), an IPv4 address or an IPv6 address in brackets: what a
// browser puts in Host.
void check_hosts(MappingReader& reader) {
    const auto* entry = reader.find("allowed_hosts");
    if (entry == nullptr || !entry->value.IsSequence()) return;
    for (const auto& item : entry->value) {
        if (!item.IsScalar()) continue;  // reported by the string_list check
        std::string name = item.Scalar();
        std::string_view rest = name;
        if (rest.rfind("*.", 0) == 0) rest.remove_prefix(2);
        if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
        bool ok = !rest.empty() && rest.size() <= 253 && rest.find(':') == std::string_view::npos
                      ? std::all_of(rest.begin(), rest.end(), [](unsigned char c) {
                            return std::isalnum(c) || c == '-' || c == '.' || c == '_';
                        })
                      : !rest.empty() && name.front() == '[' &&
                            std::all_of(rest.begin(), rest.end(), [](unsigned char c) { return std::isxdigit(c) || c == ':' || c == '.'; });
        if (!ok)
            reader.diagnostics().error(item.Mark(), "allowed host '" + name +
                                                        "' is invalid: expected a host name without scheme or port "
                                                        "(pi.example.org, *.example.org, 192.168.1.20 or [fd00::20])");
    }
}

// A zone of the tz database; an unknown name is reported with the closest known one.
void read_time_zone(MappingReader& reader, BridgeConfig& bridge) {
    const auto* entry = reader.find("time_zone");
    if (entry == nullptr || !entry->value.IsScalar()) return;  // absent: the system's; wrong type: reported
    const std::string name = entry->value.Scalar();
    auto zone = TimeZone::named(name);
    if (zone.ok()) {
        bridge.time_zone = zone.value();
        return;
    }
    auto names = TimeZone::names();
    if (names.empty()) {
        reader.diagnostics().error(entry->value_mark(), "'time_zone' " + name + " cannot be looked up: no tz database in "
                                                        "/usr/share/zoneinfo (install tzdata)");
        return;
    }
    reader.diagnostics().error(entry->value_mark(), "'time_zone' must name a zone of the tz database such as "
                                                    "Europe/Berlin or UTC, got '" + name + "'" + did_you_mean(name, names));
}

}  // namespace

BridgeConfig read_bridge(const YAML::Node& section, LoadContext& context) {
    BridgeConfig bridge;
    auto opened = open_section(section, "'bridge'", "of settings", context.diagnostics);
    if (!opened) return bridge;
    MappingReader& reader = *opened;
    Options options = reader.read_all(schema::bridge());
    if (options.has("name")) bridge.name = options.string("name");
    if (options.has("allowed_origins")) bridge.allowed_origins = options.strings("allowed_origins");
    if (options.has("allowed_hosts")) bridge.allowed_hosts = options.strings("allowed_hosts");
    if (options.has("max_message_bytes"))
        bridge.max_message_bytes = static_cast<std::size_t>(options.integer("max_message_bytes"));
    if (options.has("log_level")) bridge.log_level = log_level_from(options.string("log_level"));
    if (options.has("ping_interval")) bridge.ping_interval = whole_seconds(options.duration("ping_interval"));
    if (options.has("ping_timeout")) bridge.ping_timeout = whole_seconds(options.duration("ping_timeout"));
    read_listen(reader, bridge);
    check_origins(reader);
    check_hosts(reader);
    read_time_zone(reader, bridge);
    if (const auto* tls = reader.find("tls")) bridge.tls = read_tls(tls->value, context);
    if (const auto* limits = reader.find("limits")) bridge.limits = read_limits(limits->value, context);
    reader.report_unknown_keys();
    return bridge;
}

}  // namespace hwb::devicemap
