#include "protocol/messages.h"
#include "core/channels.h"
#include "server/sessions.h"

namespace hwb {

RelaySession::RelaySession(SessionHost& host, lws* wsi, std::string client_id)
    : Session(host, wsi, std::move(client_id), ChannelKind::relay) {}

void RelaySession::start() {
    if (!authorized()) return;  // it had the auth-required hello; nothing else until it authenticates
    const AutomationPanel* automations = host_.door().automation_panel();
    send(with_access(protocol::relay_hello({host_.bridge_name(), client_id()}, host_.channels().relays(),
                                           automations != nullptr ? automations->automations()
                                                                  : std::vector<AutomationStatus>{})));
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
            if constexpr (std::is_same_v<T, protocol::AutomationChange>) {
                // Counted against the requester's relay rate like any relay request.
                if (auto limited = host_.door().admit(requester(), ChannelKind::relay); !limited.ok())
                    return send(protocol::error(request.id, "", limited.error()));
                AutomationPanel* panel = host_.door().automation_panel();
                Status done = panel == nullptr ? Status(Error{"unknown_automation", "this bridge runs no automations"})
                              : request.setpoint ? panel->set_setpoint(requester(), request.automation, *request.setpoint)
                                                 : panel->set_enabled(requester(), request.automation, *request.enabled);
                send(done.ok() ? protocol::automation_ack(request.id, request.automation)
                               : protocol::error(request.id, "", done.error()));
                return;
            } else if constexpr (std::is_same_v<T, protocol::RelayRenew>) {
                auto lease = host_.door().renew_lease(requester(), request.channel, request.lease);
                send(lease.ok() ? protocol::lease_ack(request.id, request.channel, lease.value())
                                : protocol::error(request.id, request.channel, lease.error()));
                return;
            } else {
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
            }
        },
        std::get<protocol::RelayRequest>(parsed));
    drop_if_abusive();
}

}  // namespace hwb
