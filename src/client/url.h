// Where the bridge is: ws://, wss://, http:// or https:// HOST[:PORT][/PATH]. http and https name
// the same server as ws and wss (the bridge serves its page and WebSocket on one port), so the
// address from a browser's bar works as it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hwb::client {

struct Endpoint {
    bool tls = false;
    std::string host;  // without brackets for IPv6 literals
    std::uint16_t port = 0;
    std::string path = "/";

    // host:port as the Host header names it (IPv6 in brackets).
    std::string authority() const;
    // ws[s]://authority/path, for messages.
    std::string str() const;
};

// Errors: bad_url.
Result<Endpoint> parse_url(std::string_view url);

}  // namespace hwb::client
