// Who a client is and what it may do (docs/security.md, "Authentication"): tokens are checked
// here, roles and channel scopes decided here; sessions and HTTP handlers only ask.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth_config.h"
#include "core/result.h"

namespace hwb {

struct Identity {
    Role role = Role::none;
    std::string subject = "anonymous";  // for audit lines; never the token
    // none: no authentication configured; anonymous: no token; token: signed; machine: by hash.
    std::string method = "none";
    std::optional<std::vector<std::string>> channels;  // control scope; nullopt: all the role allows
    std::optional<std::int64_t> expires_ms;            // signed tokens only
};

// "Bearer TOKEN" (scheme case-insensitive) -> TOKEN; nullopt for anything else.
std::optional<std::string> bearer_token(std::string_view authorization);

class Access {
public:
    // `secret` is the content of auth.secret_file ("" without one).
    void configure(const AuthConfig& auth, std::string secret);
    const AuthConfig& config() const { return auth_; }
    // Tokens can be checked: clients authenticate (else everyone gets the anonymous role).
    bool enabled() const { return auth_.configured(); }
    bool passphrase_login() const { return !auth_.passphrase_hash.empty() && !secret_.empty(); }
    // True when `auth` and `secret` would make existing identities mean something else (another
    // secret, other machine tokens, another anonymous role): connected clients must sign in again.
    bool identities_change(const AuthConfig& auth, const std::string& secret) const;

    // Clients that present no token: operator without authentication configured (a loopback-only
    // bridge, or allow_anonymous), else the allow_anonymous role or none.
    Identity anonymous() const;
    // A signed or machine token. Errors: bad_token, token_expired. Constant-time comparisons.
    Result<Identity> authenticate(std::string_view token, std::int64_t now_ms) const;

    // Relay switching and text sending: role at least the channel's `control`, channel in scope.
    Status may_control(const Identity& who, const char* kind, const std::string& channel) const;
    // Map apply and save with authentication: an admin whose token is not limited to channels.
    Status may_change_map(const Identity& who) const;

    // A signed token for a pass-phrase sign-in (role and lifetime from the map).
    std::string issue_login_token(std::int64_t now_ms, std::int64_t* expires_ms) const;

private:
    AuthConfig auth_;
    std::string secret_;
};

}  // namespace hwb
