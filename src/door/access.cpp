#include "door/access.h"

#include <algorithm>
#include <cctype>

#include "auth/crypto.h"
#include "auth/token.h"

namespace hwb {

namespace {

bool same_tokens(const std::vector<MachineToken>& a, const std::vector<MachineToken>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const MachineToken& x, const MachineToken& y) {
        return x.name == y.name && x.sha256 == y.sha256 && x.role == y.role && x.channels == y.channels;
    });
}

Error forbidden(std::string message) { return Error{"forbidden", std::move(message)}; }

}  // namespace

std::optional<std::string> bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return std::nullopt;
    std::string token(authorization.substr(scheme.size()));
    token.erase(0, token.find_first_not_of(' '));
    token.erase(token.find_last_not_of(" \t") + 1);
    if (token.empty()) return std::nullopt;
    return token;
}

void Access::configure(const AuthConfig& auth, std::string secret) {
    auth_ = auth;
    secret_ = std::move(secret);
}

bool Access::identities_change(const AuthConfig& auth, const std::string& secret) const {
    return secret != secret_ || auth.configured() != auth_.configured() || auth.allow_anonymous != auth_.allow_anonymous ||
           !same_tokens(auth.machine_tokens, auth_.machine_tokens);
}

Identity Access::anonymous() const {
    Identity who;
    if (!enabled()) {
        who.role = auth_.allow_anonymous.value_or(Role::operator_);
        who.method = "none";
    } else {
        who.role = auth_.allow_anonymous.value_or(Role::none);
        who.method = "anonymous";
    }
    return who;
}

Result<Identity> Access::authenticate(std::string_view token, std::int64_t now_ms) const {
    if (!enabled()) return Error{"bad_token", "this bridge has no authentication configured; send no token"};
    if (token.substr(0, auth::machine_prefix.size()) == auth::machine_prefix) {
        // Every entry is compared, so the time taken does not say which (or whether one) matched.
        std::string digest = auth::token_sha256_hex(token);
        const MachineToken* found = nullptr;
        for (const auto& entry : auth_.machine_tokens)
            if (auth::equal_constant_time(digest, entry.sha256) && found == nullptr) found = &entry;
        if (found == nullptr) return Error{"bad_token", "unknown machine token"};
        return Identity{found->role, found->name, "machine", found->channels, std::nullopt};
    }
    if (secret_.empty()) return Error{"bad_token", "this bridge accepts machine tokens only (no auth.secret_file)"};
    auto claims = auth::verify_token(token, secret_, now_ms / 1000);
    if (!claims.ok()) return claims.error();
    const auto& c = claims.value();
    return Identity{c.role, c.subject, "token", c.channels, c.expires_s * 1000};
}

Status Access::may_control(const Identity& who, const char* kind, const std::string& channel) const {
    Role needed = auth_.control_role(channel);
    if (who.role < needed) {
        return forbidden(std::string("role ") + to_string(who.role) + " may not control " + kind + " '" + channel +
                         "' (needs " + to_string(needed) + ")");
    }
    if (who.channels && std::find(who.channels->begin(), who.channels->end(), channel) == who.channels->end())
        return forbidden(std::string("this token is limited to other channels than ") + kind + " '" + channel + "'");
    return {};
}

Status Access::may_change_map(const Identity& who) const {
    if (who.role < Role::admin) return forbidden(std::string("role ") + to_string(who.role) + " may not change the device map (needs admin)");
    if (who.channels) return forbidden("a token limited to channels may not change the device map");
    return {};
}

std::string Access::issue_login_token(std::int64_t now_ms, std::int64_t* expires_ms) const {
    auth::TokenClaims claims;
    claims.subject = "passphrase";
    claims.role = auth_.passphrase_role;
    claims.issued_s = now_ms / 1000;
    claims.expires_s = claims.issued_s + auth_.passphrase_ttl.count() / 1000;
    if (expires_ms != nullptr) *expires_ms = claims.expires_s * 1000;
    return auth::sign_token(claims, secret_);
}

}  // namespace hwb
