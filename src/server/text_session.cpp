#include "protocol/messages.h"
#include "core/channels.h"
#include "server/sessions.h"

namespace hwb {

TextSession::TextSession(SessionHost& host, lws* wsi, std::string client_id)
    : Session(host, wsi, std::move(client_id), ChannelKind::text) {}

void TextSession::channels_changed() {
    for (auto it = open_.begin(); it != open_.end();) {
        it = host_.channels().text(*it) == nullptr ? open_.erase(it) : std::next(it);
    }
    start();
}

void TextSession::start() {
    if (!authorized()) return;  // it had the auth-required hello; nothing else until it authenticates
    send(with_access(protocol::text_hello({host_.bridge_name(), client_id()}, host_.channels().texts())));
}

// Translates the text subprotocol into the door's calls (door/door.h decides and audits).
void TextSession::handle_message(std::string_view message) {
    auto parsed = protocol::parse_text_request(message);
    if (auto* bad = std::get_if<protocol::BadRequest>(&parsed)) {
        // One over the limit is answered `rate_limited`, not parsed further.
        if (admit(bad->id, "")) send(protocol::error(bad->id, "", bad->error));
        return;
    }
    std::visit(
        [this](const auto& request) {
            using T = std::decay_t<decltype(request)>;
            if constexpr (std::is_same_v<T, protocol::TextSend>) {
                if (host_.channels().text(request.channel) != nullptr && !has_open(request.channel)) {
                    if (admit(request.id, request.channel))
                        send(protocol::error(request.id, request.channel,
                                             Error{"not_open", "open text channel '" + request.channel + "' before sending"}));
                    return;
                }
                host_.door().text_send(requester(), request.channel, request.line, request.client,
                                         [weak = std::weak_ptr<Session>(shared_from_this()), id = request.id,
                                          name = request.channel](Status status) {
                                             auto self = weak.lock();
                                             if (!self || self->drop_if_abusive()) return;
                                             self->send(status.ok() ? protocol::text_ack(id, name)
                                                                    : protocol::error(id, name, status.error()));
                                         });
                return;
            }
            if (!admit(request.id, request.channel)) return;
            TextChannel* channel = host_.channels().text(request.channel);
            if (channel == nullptr) {
                send(protocol::error(request.id, request.channel,
                                     Error{"unknown_channel", "no text channel '" + request.channel + "'"}));
                return;
            }
            if constexpr (std::is_same_v<T, protocol::TextOpen>) {
                open_.insert(request.channel);
                send(protocol::text_open_ack(request.id, *channel));
            } else {
                open_.erase(request.channel);
                send(protocol::text_ack(request.id, request.channel));
            }
        },
        std::get<protocol::TextRequest>(parsed));
    drop_if_abusive();
}

}  // namespace hwb
