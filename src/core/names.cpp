// String forms of the core enums, as they appear on the wire, in the map and in logs.
#include <cctype>
#include <chrono>

#include "core/auth_config.h"
#include "core/cause.h"
#include "core/channel_info.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/mqtt_config.h"

namespace hwb {

const char* to_string(Role role) {
    switch (role) {
        case Role::none: return "none";
        case Role::viewer: return "viewer";
        case Role::operator_: return "operator";
        case Role::admin: return "admin";
    }
    return "?";
}

std::optional<Role> role_from(std::string_view name) {
    for (Role role : {Role::none, Role::viewer, Role::operator_, Role::admin})
        if (name == to_string(role)) return role;
    return std::nullopt;
}

const char* to_string(ChannelKind kind) {
    switch (kind) {
        case ChannelKind::sensor: return "sensor";
        case ChannelKind::relay: return "relay";
        case ChannelKind::text: return "text";
    }
    return "?";
}

const char* to_string(RelayState state) {
    switch (state) {
        case RelayState::off: return "off";
        case RelayState::on: return "on";
        case RelayState::unknown: return "unknown";
    }
    return "?";
}

const char* to_string(Cause::Kind kind) {
    switch (kind) {
        case Cause::Kind::client: return "client";
        case Cause::Kind::startup: return "startup";
        case Cause::Kind::shutdown: return "shutdown";
        case Cause::Kind::pulse_end: return "pulse_end";
        case Cause::Kind::driver: return "driver";
        case Cause::Kind::lease_expired: return "lease_expired";
        case Cause::Kind::max_on: return "max_on";
        case Cause::Kind::failsafe: return "failsafe";
        case Cause::Kind::reload: return "reload";
    }
    return "?";
}

const char* to_string(LogLevel level) {
    switch (level) {
        case LogLevel::trace: return "trace";
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warn: return "warn";
        case LogLevel::error: return "error";
        case LogLevel::off: return "off";
    }
    return "?";
}

std::int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool is_identifier(std::string_view id, std::size_t max) {
    if (id.empty() || id.size() > max) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string mqtt_node_id(const std::string& bridge_name) {
    std::string out;
    for (unsigned char c : bridge_name) {
        if (std::isalnum(c)) {
            out += static_cast<char>(std::tolower(c));
        } else if (c == '-' || c == '_') {
            out += static_cast<char>(c);
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    if (out.size() > 48) out.resize(48);
    return out.empty() ? std::string("hwbridge") : out;
}


}  // namespace hwb
