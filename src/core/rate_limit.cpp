#include "core/rate_limit.h"

#include <algorithm>
#include <chrono>

namespace hwb {

TokenBucket::TokenBucket(RateLimit limit, Clock::time_point now) : limit_(limit), tokens_(limit.burst), last_(now) {}

double TokenBucket::tokens(Clock::time_point now) const {
    if (limit_.unlimited()) return limit_.burst;
    double elapsed = std::chrono::duration<double>(now - last_).count();
    return std::min(limit_.burst, tokens_ + std::max(0.0, elapsed) * limit_.rate);
}

bool TokenBucket::take(Clock::time_point now) {
    if (limit_.unlimited()) return true;
    tokens_ = tokens(now);
    last_ = std::max(last_, now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
}

KeyedRateLimiter::KeyedRateLimiter(RateLimit limit, std::size_t max_entries)
    : limit_(limit), max_entries_(std::max<std::size_t>(1, max_entries)) {}

void KeyedRateLimiter::sweep(Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        it = it->second.full(now) ? buckets_.erase(it) : std::next(it);
    }
    if (overflow_ && overflow_->full(now)) overflow_.reset();
}

bool KeyedRateLimiter::take(const std::string& key, Clock::time_point now) {
    if (limit_.unlimited()) return true;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_entries_) sweep(now);
        if (buckets_.size() >= max_entries_) {
            if (!overflow_) overflow_.emplace(limit_, now);
            return overflow_->take(now);
        }
        it = buckets_.emplace(key, TokenBucket(limit_, now)).first;
    }
    return it->second.take(now);
}

std::optional<std::uint64_t> LogThrottle::allow(Clock::time_point now) {
    if (!bucket_) bucket_.emplace(limit_, now);
    if (!bucket_->take(now)) {
        ++skipped_;
        return std::nullopt;
    }
    std::uint64_t skipped = skipped_;
    skipped_ = 0;
    return skipped;
}

}  // namespace hwb
