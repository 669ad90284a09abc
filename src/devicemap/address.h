// Checks for the network strings in the `bridge` section. parse_listen_address is public (loader.h);
// the helpers here are shared with the origin check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hwb::devicemap {

// A host name or IPv4 address ("pi.local", "0.0.0.0"): letters, digits, '.', '-'.
bool is_host_name(std::string_view host);
// The inside of "[...]" in an IPv6 address ("::1", "fe80::1"): hex digits, ':' and '.'.
bool is_ipv6_literal(std::string_view host);
// "0".."65535".
std::optional<std::uint16_t> parse_port(std::string_view text);

// Why `origin` is not a browser Origin we can match ("scheme://host[:port]", http or https, no
// path), or nullopt when it is fine.
std::optional<std::string> origin_problem(std::string_view origin);

}  // namespace hwb::devicemap
