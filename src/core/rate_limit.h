// Rate limits (docs/security.md, "Limits"): token buckets that refill at `rate` per second up to
// `burst` tokens, one token per event. Time comes from the caller (EventLoop::now()), so tests
// drive it with a manual clock and the server with the loop's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/event_loop.h"

namespace hwb {

// `rate` events per second on average, `burst` at once. A rate of 0 means no limit.
struct RateLimit {
    double rate = 0;
    double burst = 1;
    bool unlimited() const { return rate <= 0; }
    friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

class TokenBucket {
public:
    TokenBucket() = default;  // unlimited
    TokenBucket(RateLimit limit, Clock::time_point now);

    // Takes one token: true if the event is within the limit.
    bool take(Clock::time_point now);
    double tokens(Clock::time_point now) const;
    // Refilled to `burst`: as good as a fresh bucket.
    bool full(Clock::time_point now) const { return tokens(now) >= limit_.burst; }
    const RateLimit& limit() const { return limit_; }

private:
    RateLimit limit_{};
    double tokens_ = 0;
    Clock::time_point last_{};
};

// One bucket per key (a client address) in a table of at most `max_entries`. Entries whose bucket
// has refilled carry no information and are dropped when room is needed; when every entry is
// still busy (a flood from many addresses), new keys share one overflow bucket with the same
// limit, so the table stays bounded and no address can reset another's bucket.
class KeyedRateLimiter {
public:
    KeyedRateLimiter(RateLimit limit, std::size_t max_entries);

    bool take(const std::string& key, Clock::time_point now);
    std::size_t size() const { return buckets_.size(); }
    const RateLimit& limit() const { return limit_; }

private:
    void sweep(Clock::time_point now);

    RateLimit limit_;
    std::size_t max_entries_;
    std::unordered_map<std::string, TokenBucket> buckets_;
    std::optional<TokenBucket> overflow_;
};

// Keeps logs of refusals from flooding: allow() says whether to print this line and, if so, how
// many lines were skipped since the last one printed (for "... and N more").
class LogThrottle {
public:
    explicit LogThrottle(RateLimit limit) : limit_(limit) {}
    std::optional<std::uint64_t> allow(Clock::time_point now);

private:
    RateLimit limit_;
    std::optional<TokenBucket> bucket_;
    std::uint64_t skipped_ = 0;
};

}  // namespace hwb
