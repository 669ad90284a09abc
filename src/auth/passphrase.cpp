#include "auth/passphrase.h"

#include <charconv>
#include <vector>

#include "auth/crypto.h"

namespace hwb::auth {

namespace {

constexpr std::string_view scheme = "pbkdf2-sha256";
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        auto at = text.find(separator, start);
        parts.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return parts;
        start = at + 1;
    }
}

std::optional<PassphraseHash> fail(std::string* problem, std::string message) {
    if (problem != nullptr) *problem = std::move(message);
    return std::nullopt;
}

}  // namespace

std::optional<PassphraseHash> parse_passphrase_hash(std::string_view text, std::string* problem) {
    auto parts = split(text, '$');
    if (parts.size() != 4 || parts[0] != scheme)
        return fail(problem, "expected pbkdf2-sha256$ITERATIONS$SALT$HASH as printed by 'hwbridge token --hash-passphrase'");
    PassphraseHash hash;
    auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), hash.iterations);
    if (ec != std::errc() || end != parts[1].data() + parts[1].size() || hash.iterations < min_passphrase_iterations ||
        hash.iterations > max_passphrase_iterations)
        return fail(problem, "the iteration count must be a whole number from " + std::to_string(min_passphrase_iterations) +
                                 " to " + std::to_string(max_passphrase_iterations));
    auto salt = from_base64(parts[2]);
    auto digest = from_base64(parts[3]);
    if (!salt || salt->size() < salt_bytes) return fail(problem, "the salt must be at least 16 bytes in base64");
    if (!digest || digest->size() != hash_bytes) return fail(problem, "the hash must be 32 bytes in base64");
    hash.salt = std::move(*salt);
    hash.hash = std::move(*digest);
    return hash;
}

std::string hash_passphrase(std::string_view passphrase, std::uint32_t iterations) {
    std::string salt = random_bytes(salt_bytes);
    std::string digest = pbkdf2_sha256(passphrase, salt, iterations, hash_bytes);
    return std::string(scheme) + "$" + std::to_string(iterations) + "$" + base64(salt) + "$" + base64(digest);
}

bool passphrase_matches(std::string_view passphrase, const PassphraseHash& hash) {
    return equal_constant_time(pbkdf2_sha256(passphrase, hash.salt, hash.iterations, hash.hash.size()), hash.hash);
}

}  // namespace hwb::auth
