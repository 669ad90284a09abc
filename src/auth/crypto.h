// The few cryptographic primitives authentication needs, over OpenSSL's libcrypto.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hwb::auth {

std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string sha256(std::string_view data);                              // 32 raw bytes
// PBKDF2-HMAC-SHA256 with `iterations` rounds, `length` raw bytes.
std::string pbkdf2_sha256(std::string_view password, std::string_view salt, std::uint32_t iterations,
                          std::size_t length);
// Cryptographically strong random bytes; throws std::runtime_error if the system has none.
std::string random_bytes(std::size_t n);

// Equal length and content, in time that does not depend on where they differ.
bool equal_constant_time(std::string_view a, std::string_view b);

// RFC 4648 base64url without padding (tokens), standard base64 without padding (hashes), hex.
std::string base64url(std::string_view bytes);
std::optional<std::string> from_base64url(std::string_view text);
std::string base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);
std::string hex(std::string_view bytes);

}  // namespace hwb::auth
