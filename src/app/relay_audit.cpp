#include "app/relay_audit.h"

#include <spdlog/spdlog.h>

namespace hwb::app {

void RelayAudit::on_relay_failure(const Relay& relay, const RelayFailure& failure) {
    // A request's failure is the door's line ("refused (hardware): ..."): one line per request.
    if (failure.cause.kind == Cause::Kind::client) return;
    std::string next = "left to the requester";
    if (failure.retry_in) {
        next = failure.retry_in->count() == 0 ? "retrying now"
                                              : fmt::format("retrying in {:.1f} s", static_cast<double>(failure.retry_in->count()) / 1000.0);
    }
    spdlog::warn("audit: relay {} write {} by {}{}{} failed ({}: {}); state {}; {}", relay.id(), failure.on ? "on" : "off",
                 to_string(failure.cause.kind), failure.cause.client.empty() ? "" : " ", failure.cause.client,
                 failure.error.code, failure.error.message, to_string(relay.state()), next);
}

}  // namespace hwb::app
