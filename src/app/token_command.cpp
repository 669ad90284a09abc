#include "app/token_command.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "auth/passphrase.h"
#include "auth/secret.h"
#include "auth/token.h"
#include "core/event_loop.h"
#include "devicemap/loader.h"
#include "devicemap/scalars.h"

namespace hwb::app {

namespace {

constexpr std::int64_t max_ttl_s = 366LL * 86400;

int fail(const std::string& message) {
    std::cerr << "hwbridge token: " << message << '\n';
    return 1;
}

std::vector<std::string> split_channels(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

// The map (when given), checked to be valid; its auth section and channel ids.
struct MapFacts {
    AuthConfig auth;
    std::vector<std::string> controllable;
};
Result<MapFacts> read_map(const std::string& path, const DriverRegistry& drivers) {
    auto loaded = load_device_map_file(path, drivers);
    if (!loaded.ok()) {
        std::string text;
        for (const auto& e : loaded.errors) text += "\n" + e.str();
        return Error{"map", path + " has errors:" + text};
    }
    MapFacts facts{loaded.map->auth, {}};
    for (const auto& device : loaded.map->devices) {
        for (const auto& r : device.relays) facts.controllable.push_back(r.info.id);
        for (const auto& t : device.texts) facts.controllable.push_back(t.info.id);
    }
    return facts;
}

Status check_channels(const std::vector<std::string>& channels, const std::optional<MapFacts>& map) {
    if (!map) return {};
    for (const auto& id : channels) {
        if (std::find(map->controllable.begin(), map->controllable.end(), id) == map->controllable.end())
            return Error{"channels", "'" + id + "' is not a relay or text channel of the map"};
    }
    return {};
}

std::optional<Role> token_role(const std::string& name) {
    auto role = role_from(name);
    if (!role || *role == Role::none) return std::nullopt;
    return role;
}

int init_secret(const TokenOptions& options) {
    auto created = auth::create_secret_file(options.init_secret, options.group_readable);
    if (!created.ok()) return fail(created.error().message);
    std::cerr << "created " << options.init_secret << " (mode " << (options.group_readable ? "0640" : "0600")
              << "); name it in the map:\n  auth:\n    secret_file: " << options.init_secret << '\n';
    return 0;
}

std::string read_passphrase_input() {
    bool tty = ::isatty(STDIN_FILENO) != 0;
    termios saved{};
    if (tty) {
        std::cerr << "pass-phrase: " << std::flush;
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << '\n';
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

int hash_passphrase(const TokenOptions& options) {
    std::uint32_t iterations = options.iterations == 0 ? auth::default_passphrase_iterations : options.iterations;
    if (iterations < auth::min_passphrase_iterations || iterations > auth::max_passphrase_iterations)
        return fail("--iterations must be from " + std::to_string(auth::min_passphrase_iterations) + " to " +
                    std::to_string(auth::max_passphrase_iterations));
    std::string passphrase = read_passphrase_input();
    if (passphrase.size() < auth::min_passphrase_length)
        return fail("the pass-phrase must have at least " + std::to_string(auth::min_passphrase_length) + " characters");
    std::cout << auth::hash_passphrase(passphrase, iterations) << '\n';
    std::cerr << "put it in the map (auth.secret_file is needed too):\n  auth:\n    passphrase_hash: \"<the line above>\"\n";
    return 0;
}

int machine_token(const TokenOptions& options, const std::optional<MapFacts>& map) {
    auto role = token_role(options.role);
    if (!role) return fail("--role must be viewer, operator or admin");
    if (!auth::is_valid_subject(options.name)) return fail("--name must be 1 to 64 letters, digits, spaces or . _ @ + -");
    auto channels = split_channels(options.channels);
    if (auto ok = check_channels(channels, map); !ok.ok()) return fail(ok.error().message);
    std::string token = auth::new_machine_token();
    std::cout << token << '\n';
    std::cout << "# add to the map under auth.machine_tokens (the map keeps only the hash):\n"
              << "    - name: " << options.name << "\n      sha256: " << auth::token_sha256_hex(token)
              << "\n      role: " << to_string(*role) << '\n';
    if (!channels.empty()) {
        std::cout << "      channels: [";
        for (std::size_t i = 0; i < channels.size(); ++i) std::cout << (i ? ", " : "") << channels[i];
        std::cout << "]\n";
    }
    return 0;
}

int signed_token(const TokenOptions& options, const std::optional<MapFacts>& map) {
    std::string secret_file = options.secret_file;
    if (secret_file.empty() && map) secret_file = map->auth.secret_file;
    if (secret_file.empty()) return fail("name the secret: --map FILE (with auth.secret_file) or --secret-file FILE");
    auto secret = auth::read_secret_file(secret_file);
    if (!secret.ok()) return fail(secret.error().message);
    auto role = token_role(options.role);
    if (!role) return fail("--role must be viewer, operator or admin");
    auto ttl = devicemap::parse_duration(options.ttl);
    if (!ttl.value || ttl.value->count() < 1000 || ttl.value->count() / 1000 > max_ttl_s)
        return fail("--ttl must be a duration from 1s to 366 days, e.g. 30m, 8h or 720h (for longer, use --machine)");
    std::string subject = options.subject;
    if (subject.empty()) subject = std::getenv("USER") != nullptr ? std::getenv("USER") : "cli";
    if (!auth::is_valid_subject(subject)) return fail("--subject must be 1 to 64 letters, digits, spaces or . _ @ + -");
    auto channels = split_channels(options.channels);
    if (auto ok = check_channels(channels, map); !ok.ok()) return fail(ok.error().message);
    auth::TokenClaims claims;
    claims.subject = subject;
    claims.role = *role;
    claims.issued_s = wall_clock_ms() / 1000;
    claims.expires_s = claims.issued_s + ttl.value->count() / 1000;
    if (!channels.empty()) claims.channels = channels;
    std::cout << auth::sign_token(claims, secret.value()) << '\n';
    std::cerr << "token for '" << subject << "', role " << to_string(*role) << ", valid for " << options.ttl
              << (channels.empty() ? "" : ", limited to " + options.channels) << '\n';
    return 0;
}

}  // namespace

CLI::App* add_token_command(CLI::App& app, TokenOptions& o) {
    auto* token = app.add_subcommand("token", "make a signed token (default), a machine token, a pass-phrase hash or the signing secret");
    token->add_option("--map", o.map_path, "device map whose auth.secret_file signs the token (and whose channels --channels must name)");
    token->add_option("--secret-file", o.secret_file, "the signing secret file, instead of the map's");
    token->add_option("--role", o.role, "viewer, operator or admin (default operator)");
    token->add_option("--ttl", o.ttl, "how long a signed token is valid: 30m, 8h, 720h... (default 8h)");
    token->add_option("--channels", o.channels, "comma-separated relays/texts the token may control (default: all the role may)");
    token->add_option("--subject", o.subject, "who the token is for, shown in audit lines (default: $USER)");
    token->add_flag("--machine", o.machine, "make a random long-lived machine token; prints it and its map entry (by hash)");
    token->add_option("--name", o.name, "name of the machine token (with --machine)");
    token->add_option("--init-secret", o.init_secret, "create the signing secret file FILE (refuses to replace one)");
    token->add_flag("--group-readable", o.group_readable, "with --init-secret: mode 0640 instead of 0600");
    token->add_flag("--hash-passphrase", o.hash_passphrase, "read a pass-phrase from stdin and print its PBKDF2 hash");
    token->add_option("--iterations", o.iterations, "PBKDF2 iterations for --hash-passphrase (default 600000)");
    return token;
}

int run_token_command(const TokenOptions& options, const DriverRegistry& drivers) {
    try {
        if (!options.init_secret.empty()) return init_secret(options);
        if (options.hash_passphrase) return hash_passphrase(options);
        std::optional<MapFacts> map;
        if (!options.map_path.empty()) {
            auto facts = read_map(options.map_path, drivers);
            if (!facts.ok()) return fail(facts.error().message);
            map = std::move(facts.value());
        }
        if (options.machine) return machine_token(options, map);
        return signed_token(options, map);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

}  // namespace hwb::app
