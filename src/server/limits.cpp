#include "server/limits.h"

#include <spdlog/spdlog.h>

namespace hwb {

namespace {
// 5 lines per second, 20 at once: enough to see what happens, too few to fill a disk.
constexpr RateLimit audit_log_limit{5, 20};
}  // namespace

Gatekeeper::Gatekeeper(const LimitsConfig& limits)
    : limits_(limits), per_address_(limits.connections_per_address, max_tracked_addresses), log_(audit_log_limit) {}

void Gatekeeper::configure(const LimitsConfig& limits) {
    if (!(limits.connections_per_address == limits_.connections_per_address))
        per_address_ = KeyedRateLimiter(limits.connections_per_address, max_tracked_addresses);
    limits_ = limits;
}

bool Gatekeeper::admit_connection(const std::string& address, Clock::time_point now) {
    return per_address_.take(address, now);
}

void Gatekeeper::audit_refusal(const std::string& what, const std::string& address, const std::string& reason,
                               Clock::time_point now) {
    auto skipped = log_.allow(now);
    if (!skipped) return;
    if (*skipped > 0) {
        spdlog::warn("audit: refused {} from {}: {} ({} more refusals not logged)", what, address, reason, *skipped);
    } else {
        spdlog::warn("audit: refused {} from {}: {}", what, address, reason);
    }
}

}  // namespace hwb
