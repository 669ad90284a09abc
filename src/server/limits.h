// Connection limits applied by the server (docs/security.md, "Limits"): new connections per
// source address and the WebSocket connection cap; every refusal is an `audit:` log line,
// themselves throttled so a flood cannot flood the log. Request limits are the door's (door/door.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "core/device_map.h"
#include "core/rate_limit.h"

namespace hwb {

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

}  // namespace hwb
