#include "client/url.h"

#include <charconv>

namespace hwb::client {

std::string Endpoint::authority() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

std::string Endpoint::str() const { return std::string(tls ? "wss://" : "ws://") + authority() + path; }

Result<Endpoint> parse_url(std::string_view url) {
    auto bad = [&](const std::string& why) {
        return Error{"bad_url", "'" + std::string(url.substr(0, 200)) + "' is not a bridge address: " + why +
                                    " (e.g. http://127.0.0.1:8080 or wss://bridge.local:8443)"};
    };
    Endpoint e;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return bad("no scheme");
    const std::string_view scheme = url.substr(0, scheme_end);
    if (scheme == "ws" || scheme == "http") {
        e.tls = false;
        e.port = 80;
    } else if (scheme == "wss" || scheme == "https") {
        e.tls = true;
        e.port = 443;
    } else {
        return bad("the scheme must be ws, wss, http or https");
    }
    std::string_view rest = url.substr(scheme_end + 3);
    const auto path_at = rest.find('/');
    if (path_at != std::string_view::npos) {
        e.path = std::string(rest.substr(path_at));
        rest = rest.substr(0, path_at);
    }
    if (rest.find('@') != std::string_view::npos) return bad("user names in the address are not supported; use --token");
    std::string_view port;
    bool has_port = false;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return bad("unclosed '['");
        e.host = std::string(rest.substr(1, close - 1));
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad("junk after ']'");
            port = after.substr(1);
            has_port = true;
        }
    } else {
        const auto colon = rest.rfind(':');
        if (colon != std::string_view::npos) {
            port = rest.substr(colon + 1);
            rest = rest.substr(0, colon);
            has_port = true;
        }
        e.host = std::string(rest);
    }
    if (e.host.empty()) return bad("no host");
    if (has_port) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return bad("the port must be a number from 1 to 65535");
        e.port = static_cast<std::uint16_t>(value);
    }
    return e;
}

}  // namespace hwb::client
