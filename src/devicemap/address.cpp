#include "devicemap/address.h"

#include <cstdint>

#include "devicemap/loader.h"
#include "devicemap/scalars.h"

namespace hwb {

namespace devicemap {

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Splits "host:port" or "[v6]:port". Returns the error text on failure.
struct HostPort {
    std::string_view host;
    std::string_view port;
    bool bracketed = false;
};

std::optional<std::string> split_host_port(std::string_view text, HostPort& out, bool port_required) {
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return "missing ']' after IPv6 address";
        out.host = text.substr(1, close - 1);
        out.bracketed = true;
        std::string_view rest = text.substr(close + 1);
        if (rest.empty()) {
            if (port_required) return "missing ':PORT' after ']'";
            return std::nullopt;
        }
        if (rest.front() != ':') return "expected ':PORT' after ']'";
        out.port = rest.substr(1);
        if (out.port.empty()) return "missing port after ':'";
        return std::nullopt;
    }
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        if (port_required) return "missing ':PORT'";
        out.host = text;
        return std::nullopt;
    }
    out.host = text.substr(0, colon);
    out.port = text.substr(colon + 1);
    if (out.host.find(':') != std::string_view::npos) return "IPv6 addresses need brackets, e.g. [::1]:8080";
    if (out.port.empty()) return "missing port after ':'";
    return std::nullopt;
}

std::optional<std::string> host_problem(const HostPort& hp) {
    if (hp.host.empty()) return "missing host (use 0.0.0.0 for all IPv4 interfaces, [::] for all IPv6)";
    if (hp.bracketed ? !is_ipv6_literal(hp.host) : !is_host_name(hp.host))
    {
        // Appended rather than concatenated: g++ 12 at -O3 reports a false -Wrestrict overlap on
        // `"'" + std::string(...)` (a known libstdc++/GCC 12 false positive).
        std::string problem = "'";
        problem.append(hp.host).append("' is not a host name or IP address");
        return problem;
    }
    return std::nullopt;
}

}  // namespace

bool is_host_name(std::string_view host) {
    if (host.empty() || host.front() == '-' || host.front() == '.') return false;
    for (char c : host)
        if (!is_alnum(c) && c != '.' && c != '-') return false;
    return true;
}

bool is_ipv6_literal(std::string_view host) {
    if (host.find(':') == std::string_view::npos) return false;
    for (char c : host)
        if (!is_hex(c) && c != ':' && c != '.') return false;
    return true;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    auto value = parse_integer(text);
    if (!value || *value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(*value);
}

std::optional<std::string> origin_problem(std::string_view origin) {
    const auto sep = origin.find("://");
    if (sep == std::string_view::npos) return "expected scheme://host[:port]";
    const std::string_view scheme = origin.substr(0, sep);
    if (scheme != "http" && scheme != "https") return "the scheme must be http or https";
    const std::string_view rest = origin.substr(sep + 3);
    if (rest.find('/') != std::string_view::npos)
        return "an origin has no path, not even a trailing '/'";
    HostPort hp;
    if (auto problem = split_host_port(rest, hp, false)) return problem;
    if (auto problem = host_problem(hp)) return problem;
    if (!hp.port.empty() && !parse_port(hp.port)) return "the port must be a number from 0 to 65535";
    return std::nullopt;
}

}  // namespace devicemap

Result<ListenAddress> parse_listen_address(std::string_view text) {
    auto fail = [&](const std::string& why) {
        return Error{"bad_listen_address", "listen address '" + std::string(text) + "': " + why};
    };
    devicemap::HostPort hp;
    if (auto problem = devicemap::split_host_port(text, hp, true)) return fail(*problem);
    if (auto problem = devicemap::host_problem(hp)) return fail(*problem);
    auto port = devicemap::parse_port(hp.port);
    if (!port) return fail("the port must be a number from 0 to 65535, got '" + std::string(hp.port) + "'");
    return ListenAddress{std::string(hp.host), *port};
}

}  // namespace hwb
