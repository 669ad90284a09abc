#pragma once

#include <cstdint>
#include <string>

namespace hwb {

// Why a relay changed (or a text line was sent): broadcast with every change so all clients,
// and the log, know who or what did it.
struct Cause {
    enum class Kind : std::uint8_t { client, startup, shutdown, pulse_end, driver, lease_expired, max_on, failsafe, reload };
    Kind kind = Kind::driver;
    std::string client;  // for Kind::client: the client's name (from the request) or connection id
    // Who the requester is signed in as (a token's subject, "mqtt:ID", "automation:ID"); empty for
    // a client without an identity of its own (no authentication, or anonymous).
    std::string subject;

    static Cause by_client(std::string who) { return {Kind::client, std::move(who)}; }
    static Cause of(Kind kind) { return {kind, {}}; }
};

const char* to_string(Cause::Kind kind);

}  // namespace hwb
