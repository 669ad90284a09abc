// Signed tokens and machine tokens (docs/security.md, "Authentication").
//
// A signed token is  hwb1.PAYLOAD.SIGNATURE  where PAYLOAD is the base64url of a JSON object
// {"sub","role","iat","exp"[,"ch"]} (times in seconds since the epoch) and SIGNATURE the
// base64url of HMAC-SHA256(secret, "hwb1." + PAYLOAD). Anyone holding the secret can mint them;
// nobody else can change a byte of one without the signature failing.
//
// A machine token is  hwbm_ + base64url(32 random bytes); the map lists only its SHA-256.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth_config.h"
#include "core/result.h"

namespace hwb::auth {

inline constexpr std::string_view signed_prefix = "hwb1.";
inline constexpr std::string_view machine_prefix = "hwbm_";
inline constexpr std::size_t max_token_bytes = 4096;

struct TokenClaims {
    std::string subject;        // who: a person's or a machine's name, shown in audit lines
    Role role = Role::viewer;
    std::int64_t issued_s = 0;   // seconds since the epoch
    std::int64_t expires_s = 0;  // the token is refused from this second on
    std::optional<std::vector<std::string>> channels;  // nullopt: every channel the role allows
};

// Subjects go into audit lines: 1 to 64 of A-Z a-z 0-9 space . _ @ + -.
bool is_valid_subject(std::string_view subject);

std::string sign_token(const TokenClaims& claims, std::string_view secret);

// Error codes: bad_token (not a token of ours, tampered with, or signed with another secret),
// token_expired. Messages never contain the token.
Result<TokenClaims> verify_token(std::string_view token, std::string_view secret, std::int64_t now_s);

std::string new_machine_token();
// Lower-case hex SHA-256 of the token text: what the map's machine_tokens list holds.
std::string token_sha256_hex(std::string_view token);

}  // namespace hwb::auth
