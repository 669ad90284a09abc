#include "protocol/messages.h"
#include "core/channels.h"
#include "server/sessions.h"

namespace hwb {

RelaySession::RelaySession(SessionHost& host, lws* wsi, std::string client_id)
    : Session(host, wsi, std::move(client_id), ChannelKind::relay) {}

void RelaySession::start() {
    if (!authorized()) return;  // it had the auth-required hello; nothing else until it authenticates
    send(with_access(protocol::relay_hello({host_.bridge_name(), client_id()}, host_.channels().relays())));
}

// Translates the relay subprotocol into the door's calls (door/door.h decides and audits).
void RelaySession::handle_message(std::string_view message) {
    auto parsed = protocol::parse_relay_request(message);
    if (auto* bad = std::get_if<protocol::BadRequest>(&parsed)) {
        // One over the limit is answered `rate_limited`, not parsed further.
        if (admit(bad->id, "")) send(protocol::error(bad->id, "", bad->error));
        return;
    }
    std::visit(
        [this](const auto& request) {
            using T = std::decay_t<decltype(request)>;
            if constexpr (std::is_same_v<T, protocol::RelayRenew>) {
                auto lease = host_.door().renew_lease(requester(), request.channel, request.lease);
                send(lease.ok() ? protocol::lease_ack(request.id, request.channel, lease.value())
                                : protocol::error(request.id, request.channel, lease.error()));
                return;
            }
            RelayCommand command;
            command.channel = request.channel;
            command.name = request.client;
            if constexpr (std::is_same_v<T, protocol::RelayPulse>) {
                command.op = RelayCommand::Op::pulse;
                command.duration = request.duration;
            } else {
                command.op = std::is_same_v<T, protocol::RelaySet> ? RelayCommand::Op::set : RelayCommand::Op::toggle;
                if constexpr (std::is_same_v<T, protocol::RelaySet>) command.on = request.on;
                command.lease = request.lease;
            }
            // The answer may come after this connection closed: hold it weakly.
            host_.door().relay(requester(), command,
                                 [weak = std::weak_ptr<Session>(shared_from_this()), id = request.id,
                                  channel = request.channel](Result<RelayState> result) {
                                     auto self = weak.lock();
                                     if (!self || self->drop_if_abusive()) return;
                                     self->send(result.ok() ? protocol::relay_ack(id, channel, result.value())
                                                            : protocol::error(id, channel, result.error()));
                                 });
        },
        std::get<protocol::RelayRequest>(parsed));
    drop_if_abusive();
}

}  // namespace hwb
