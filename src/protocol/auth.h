// The authentication part of the wire format (docs/protocol.md, "Authentication"): the client's
// `auth` message, the hello of a connection that must authenticate first, and the `access`
// object every other hello carries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.h"

namespace hwb::protocol {

struct AuthRequest {
    Json id;  // optional in `auth`; null when absent
    std::string token;
};

// nullopt when the frame is not an `auth` message (another type, or not even JSON: the
// subprotocol's own parser answers those). Never throws.
std::optional<Parsed<AuthRequest>> parse_auth_request(std::string_view frame);

// {"type":"hello","protocol":P,"version":1,"client":C,"auth":"required","login":[...]}: nothing
// about the bridge or its channels.
std::string auth_required_hello(std::string_view subprotocol, const std::string& client, bool passphrase);

struct AccessInfo {
    std::string role;     // viewer, operator, admin
    std::string subject;  // "anonymous" without a token
    std::string method;   // none (no authentication configured), anonymous, token, machine
    std::optional<std::int64_t> expires_ms;
    std::vector<std::string> control;  // channels of this subprotocol the client may control
};
// `hello` (an encoded JSON object) with "access": {...} added as its last field.
std::string with_access(std::string hello, const AccessInfo& access);
// The answer to a successful `auth`: {"type":"ack","id":..,"role":..,"subject":..,"expires":..}.
std::string auth_ack(const Json& id, const AccessInfo& access);

}  // namespace hwb::protocol
