// `hwbridge token ...`: make signed tokens, machine tokens, pass-phrase hashes and the signing
// secret (docs/security.md, "Authentication").
#pragma once

#include <CLI/CLI.hpp>

#include "core/driver.h"

namespace hwb::app {

struct TokenOptions {
    std::string map_path;
    std::string secret_file;
    std::string role = "operator";
    std::string ttl = "8h";
    std::string channels;  // comma-separated
    std::string subject;
    std::string name;
    std::string init_secret;
    bool group_readable = false;
    bool machine = false;
    bool hash_passphrase = false;
    std::uint32_t iterations = 0;
};

// Adds the `token` subcommand to `app`, filling `options`.
CLI::App* add_token_command(CLI::App& app, TokenOptions& options);
// Runs it: 0 on success, 1 with a message on stderr otherwise.
int run_token_command(const TokenOptions& options, const DriverRegistry& drivers);

}  // namespace hwb::app
