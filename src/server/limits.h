// Rate limits and caps applied by the server (docs/security.md, "Limits"): new connections per
// source address, the WebSocket connection cap, and requests per connection; every refusal is an
// `audit:` log line, themselves throttled so a flood cannot flood the log.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/device_map.h"
#include "core/rate_limit.h"
#include "protocol/messages.h"

struct lws;

namespace hwb {

class Server;
class Session;

// Requests of one connection: a token bucket, and a count of refusals in the current window.
class RequestLimiter {
public:
    enum class Verdict { allow, refuse, close };
    RequestLimiter(RateLimit limit, std::size_t max_refusals, std::chrono::seconds window, Clock::time_point now);
    // allow: go on; refuse: answer `rate_limited`; close: the client went on after max_refusals
    // refusals within the window, close it (1008).
    Verdict check(Clock::time_point now);

private:
    TokenBucket bucket_;
    std::size_t max_refusals_;
    std::chrono::seconds window_;
    Clock::time_point window_start_{};
    std::size_t refusals_ = 0;
};

// Server-wide: the per-address connection limit and the throttled audit log of refusals.
class Gatekeeper {
public:
    explicit Gatekeeper(const LimitsConfig& limits);
    // A reload: a changed connection limit starts a fresh table.
    void configure(const LimitsConfig& limits);
    const LimitsConfig& limits() const { return limits_; }

    // A new TCP connection from `address`: false if it is over connection_rate/connection_burst.
    bool admit_connection(const std::string& address, Clock::time_point now);

    // "audit: refused WHAT from ADDRESS: REASON", at most a few lines per second; the next line
    // printed says how many were left out.
    void audit_refusal(const std::string& what, const std::string& address, const std::string& reason,
                       Clock::time_point now);

    // Addresses the per-address table keeps at most.
    static constexpr std::size_t max_tracked_addresses = 4096;

private:
    LimitsConfig limits_;
    KeyedRateLimiter per_address_;
    LogThrottle log_;
};

// For a session about to handle request `id` (on `channel`): within the limit, true. Over it, the
// client gets error `rate_limited` and false; after too many refusals it is closed with 1008.
// Every refusal is audited (throttled). `kind` names the requests in messages ("relay").
bool admit_request(Server& server, Session& session, RequestLimiter& limiter, const nlohmann::json& id,
                   const std::string& channel, const char* kind);

// The same for a request as parsed by protocol::parse_*_request (Requests: its variant of valid
// requests): every request counts, a malformed one too (by its id, on no channel).
template <typename Requests, typename Parsed>
bool admit_parsed(Server& server, Session& session, RequestLimiter& limiter, const Parsed& parsed, const char* kind) {
    if (const auto* bad = std::get_if<protocol::BadRequest>(&parsed))
        return admit_request(server, session, limiter, bad->id, "", kind);
    return std::visit(
        [&](const auto& request) { return admit_request(server, session, limiter, request.id, request.channel, kind); },
        std::get<Requests>(parsed));
}

}  // namespace hwb
