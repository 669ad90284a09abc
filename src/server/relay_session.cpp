#include "protocol/messages.h"
#include "server/server.h"
#include "server/sessions.h"

#include <spdlog/spdlog.h>

namespace hwb {

namespace {

// The request as audit lines name it: "relay set pump on", "relay pulse door 500 ms".
std::string describe(const protocol::RelayRequest& request) {
    return std::visit(
        [](const auto& r) -> std::string {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, protocol::RelaySet>) {
                return "relay set " + r.channel + (r.on ? " on" : " off");
            } else if constexpr (std::is_same_v<T, protocol::RelayToggle>) {
                return "relay toggle " + r.channel;
            } else if constexpr (std::is_same_v<T, protocol::RelayPulse>) {
                return "relay pulse " + r.channel + " " + std::to_string(r.duration.count()) + " ms";
            } else {
                return "relay renew " + r.channel;
            }
        },
        request);
}

}  // namespace

RelaySession::RelaySession(Server& server, lws* wsi, std::string client_id)
    : Session(server, wsi, std::move(client_id), ChannelKind::relay),
      limiter_(server.gate().limits().relay_requests, server.gate().limits().max_refusals,
               server.gate().limits().refusal_window, server.loop().now()) {}

void RelaySession::start() {
    if (!authorized()) return;  // it had the auth-required hello; nothing else until it authenticates
    send(with_access(protocol::relay_hello({server_.config().name, client_}, server_.channels().relays())));
}

void RelaySession::handle_message(std::string_view message) {
    auto parsed = protocol::parse_relay_request(message);
    // One over the limit is answered, not executed.
    if (!admit_parsed<protocol::RelayRequest>(server_, *this, limiter_, parsed, "relay")) return;
    if (auto* bad = std::get_if<protocol::BadRequest>(&parsed)) {
        send(protocol::error(bad->id, "", bad->error));
        return;
    }
    std::visit(
        [this](const auto& request) {
            Relay* relay = server_.channels().relay(request.channel);
            if (relay == nullptr) {
                send(protocol::error(request.id, request.channel,
                                     Error{"unknown_channel", "no relay '" + request.channel + "'"}));
                return;
            }
            using T = std::decay_t<decltype(request)>;
            const std::string action = describe(request);
            if (!check_control(request.id, request.channel, action)) return;
            Cause cause = Cause::by_client(request.client.empty() ? client_ : request.client);
            // The reply may come after this connection closed: hold it weakly.
            auto reply = [weak = std::weak_ptr<Session>(shared_from_this()), id = request.id,
                          channel = request.channel, action, tag = audit_tag()](Result<RelayState> result) {
                // Audited even when the requester has gone meanwhile.
                if (result.ok()) {
                    hwb::audit(tag, true, action, std::string("done, ") + to_string(result.value()));
                } else {
                    hwb::audit(tag, false, action, "refused (" + result.error().code + "): " + result.error().message);
                }
                auto self = weak.lock();
                if (!self) return;
                self->send(result.ok() ? protocol::relay_ack(id, channel, result.value())
                                       : protocol::error(id, channel, result.error()));
            };
            if constexpr (std::is_same_v<T, protocol::RelayRenew>) {
                auto lease = relay->renew_lease(client_, request.lease);
                send(lease.ok() ? protocol::lease_ack(request.id, request.channel, lease.value())
                                : protocol::error(request.id, request.channel, lease.error()));
            } else if constexpr (std::is_same_v<T, protocol::RelayPulse>) {
                relay->pulse(request.duration, cause, reply);
            } else {
                std::optional<LeaseRequest> lease;
                if (request.lease) lease = LeaseRequest{client_, *request.lease};
                if constexpr (std::is_same_v<T, protocol::RelaySet>) {
                    relay->set(request.on, cause, reply, lease);
                } else {
                    relay->toggle(cause, reply, lease);
                }
            }
        },
        std::get<protocol::RelayRequest>(parsed));
}

}  // namespace hwb
