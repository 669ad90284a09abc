// Pass-phrase hashes as the map stores them: pbkdf2-sha256$ITERATIONS$SALT$HASH, SALT (16 bytes)
// and HASH (32 bytes) in base64 without padding. Slow on purpose: checking one costs ITERATIONS
// HMAC-SHA256 rounds, so the server runs checks off the event loop (server/login.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hwb::auth {

inline constexpr std::uint32_t default_passphrase_iterations = 600000;  // OWASP's 2023 figure
inline constexpr std::uint32_t min_passphrase_iterations = 100000;
inline constexpr std::uint32_t max_passphrase_iterations = 10000000;
inline constexpr std::size_t min_passphrase_length = 8;

struct PassphraseHash {
    std::uint32_t iterations = 0;
    std::string salt;  // raw bytes
    std::string hash;  // raw bytes
};

// nullopt with `problem` set when the text is not a hash of this form (for the loader's message).
std::optional<PassphraseHash> parse_passphrase_hash(std::string_view text, std::string* problem = nullptr);
std::string hash_passphrase(std::string_view passphrase, std::uint32_t iterations = default_passphrase_iterations);
bool passphrase_matches(std::string_view passphrase, const PassphraseHash& hash);  // constant-time compare

}  // namespace hwb::auth
