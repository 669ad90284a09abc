#include "server/limits.h"

#include <libwebsockets.h>

#include <spdlog/spdlog.h>

#include "protocol/messages.h"
#include "server/server.h"
#include "server/session.h"

namespace hwb {

RequestLimiter::RequestLimiter(RateLimit limit, std::size_t max_refusals, std::chrono::seconds window,
                               Clock::time_point now)
    : bucket_(limit, now), max_refusals_(max_refusals), window_(window), window_start_(now) {}

RequestLimiter::Verdict RequestLimiter::check(Clock::time_point now) {
    if (bucket_.take(now)) return Verdict::allow;
    if (now - window_start_ >= window_) {
        window_start_ = now;
        refusals_ = 0;
    }
    ++refusals_;
    return refusals_ > max_refusals_ ? Verdict::close : Verdict::refuse;
}

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

bool admit_request(Server& server, Session& session, RequestLimiter& limiter, const nlohmann::json& id,
                   const std::string& channel, const char* kind) {
    const std::string& peer = session.peer();
    if (session.closing()) return false;
    auto now = server.loop().now();
    const LimitsConfig& limits = server.gate().limits();
    switch (limiter.check(now)) {
        case RequestLimiter::Verdict::allow:
            return true;
        case RequestLimiter::Verdict::refuse:
            server.gate().audit_refusal(std::string(kind) + " request of client " + session.client_id(), peer,
                                        "rate limited", now);
            session.send(protocol::error(id, channel,
                                         Error{"rate_limited", std::string("too many ") + kind +
                                                                   " requests; not executed, slow down"}));
            return false;
        case RequestLimiter::Verdict::close:
            server.gate().audit_refusal(std::string(kind) + " requests of client " + session.client_id(), peer,
                                        "still too many after " + std::to_string(limits.max_refusals) +
                                            " rate_limited answers; closing with 1008",
                                        now);
            session.close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, "rate limit exceeded");
            return false;
    }
    return false;
}

}  // namespace hwb
