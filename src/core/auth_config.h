// Who may do what (docs/security.md, "Authentication"): the map's `auth:` section and the
// `control:` key of relays and texts, as validated by src/devicemap. No crypto here: the
// secret is read and tokens are checked by src/auth and the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/source_location.h"

namespace hwb {

// Ordered: each role may do everything the ones before it may.
//   viewer:   read sensors, relay states and text output
//   operator: also switch relays and send text (where the channel's `control:` allows it)
//   admin:    also apply and save the device map
enum class Role : std::uint8_t { none, viewer, operator_ /* `operator` is a C++ keyword */, admin };
const char* to_string(Role role);                       // "none", "viewer", "operator", "admin"
std::optional<Role> role_from(std::string_view name);  // the same names

// A long-lived token for a machine (a controller, a script), listed by its SHA-256 only.
struct MachineToken {
    std::string name;    // audit subject
    std::string sha256;  // lower-case hex of SHA-256 of the token text
    Role role = Role::operator_;
    std::optional<std::vector<std::string>> channels;  // nullopt: every channel the role allows
    SourceLocation where;
};

struct AuthConfig {
    std::string secret_file;  // HMAC-SHA256 key of signed tokens; empty: no signed tokens
    SourceLocation secret_file_where;
    // Role of clients that present no token; nullopt: none (they must authenticate first).
    // Without authentication configured, clients are operators (on a loopback-only bridge).
    std::optional<Role> allow_anonymous;
    std::string passphrase_hash;  // "pbkdf2-sha256$ITER$SALT$HASH" (base64); empty: no pass-phrase
    Role passphrase_role = Role::operator_;
    std::chrono::milliseconds passphrase_ttl{8 * 3600 * 1000};
    std::vector<MachineToken> machine_tokens;
    // Relays and texts whose `control:` is not the default (operator): channel id -> least role.
    std::map<std::string, Role> control;

    // Tokens can be checked: a secret file or machine tokens.
    bool configured() const { return !secret_file.empty() || !machine_tokens.empty(); }
    // The least role that may switch relay / send to text `channel` (never below operator).
    Role control_role(const std::string& channel) const {
        auto it = control.find(channel);
        return it == control.end() ? Role::operator_ : it->second;
    }
};

}  // namespace hwb
