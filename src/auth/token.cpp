#include "auth/token.h"

#include <nlohmann/json.hpp>

#include "auth/crypto.h"

namespace hwb::auth {

namespace {

using nlohmann::json;

Error bad_token(std::string message) { return Error{"bad_token", std::move(message)}; }

std::string signature_of(std::string_view signed_part, std::string_view secret) {
    return base64url(hmac_sha256(secret, signed_part));
}

// The checked claims of a payload whose signature was valid.
Result<TokenClaims> claims_of(const json& payload) {
    if (!payload.is_object()) return bad_token("the token's payload is not an object");
    TokenClaims claims;
    auto sub = payload.find("sub");
    auto role = payload.find("role");
    auto iat = payload.find("iat");
    auto exp = payload.find("exp");
    if (sub == payload.end() || !sub->is_string() || !is_valid_subject(sub->get<std::string>()))
        return bad_token("the token has no valid subject");
    std::optional<Role> r = role != payload.end() && role->is_string() ? role_from(role->get<std::string>()) : std::nullopt;
    if (!r || *r == Role::none) return bad_token("the token has no valid role");
    if (exp == payload.end() || !exp->is_number_integer() || iat == payload.end() || !iat->is_number_integer())
        return bad_token("the token has no valid times");
    claims.subject = sub->get<std::string>();
    claims.role = *r;
    claims.issued_s = iat->get<std::int64_t>();
    claims.expires_s = exp->get<std::int64_t>();
    if (auto ch = payload.find("ch"); ch != payload.end()) {
        if (!ch->is_array()) return bad_token("the token's channel list is not a list");
        std::vector<std::string> channels;
        for (const auto& id : *ch) {
            if (!id.is_string()) return bad_token("the token's channel list holds a non-string");
            channels.push_back(id.get<std::string>());
        }
        claims.channels = std::move(channels);
    }
    return claims;
}

}  // namespace

bool is_valid_subject(std::string_view subject) {
    if (subject.empty() || subject.size() > 64) return false;
    for (unsigned char c : subject) {
        bool ok = std::isalnum(c) || c == ' ' || c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string sign_token(const TokenClaims& claims, std::string_view secret) {
    json payload = {{"sub", claims.subject}, {"role", to_string(claims.role)}, {"iat", claims.issued_s},
                    {"exp", claims.expires_s}};
    if (claims.channels) payload["ch"] = *claims.channels;
    std::string signed_part = std::string(signed_prefix) + base64url(payload.dump());
    return signed_part + "." + signature_of(signed_part, secret);
}

Result<TokenClaims> verify_token(std::string_view token, std::string_view secret, std::int64_t now_s) {
    if (token.size() > max_token_bytes) return bad_token("the token is too long");
    if (token.substr(0, signed_prefix.size()) != signed_prefix) return bad_token("not an hwbridge token");
    auto dot = token.rfind('.');
    if (dot < signed_prefix.size()) return bad_token("the token is malformed");
    std::string_view signed_part = token.substr(0, dot);
    std::string_view signature = token.substr(dot + 1);
    // The signature is compared before the payload is even decoded: nothing of an unsigned token
    // is believed or parsed.
    if (secret.empty() || !from_base64url(signature) ||
        !equal_constant_time(signature, signature_of(signed_part, secret)))
        return bad_token("the token's signature is not valid (tampered with, or signed with another secret)");
    auto payload = from_base64url(signed_part.substr(signed_prefix.size()));
    if (!payload) return bad_token("the token is malformed");
    auto claims = claims_of(json::parse(*payload, nullptr, false));
    if (!claims.ok()) return claims;
    if (claims.value().expires_s <= now_s) return Error{"token_expired", "the token has expired; get a new one"};
    return claims;
}

std::string new_machine_token() { return std::string(machine_prefix) + base64url(random_bytes(32)); }

std::string token_sha256_hex(std::string_view token) { return hex(sha256(token)); }

}  // namespace hwb::auth
