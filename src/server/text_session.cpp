#include "protocol/messages.h"
#include "server/server.h"
#include "server/sessions.h"

namespace hwb {

TextSession::TextSession(Server& server, lws* wsi, std::string client_id)
    : Session(server, wsi, std::move(client_id), ChannelKind::text),
      limiter_(server.gate().limits().text_requests, server.gate().limits().max_refusals,
               server.gate().limits().refusal_window, server.loop().now()) {}

void TextSession::channels_changed() {
    for (auto it = open_.begin(); it != open_.end();) {
        it = server_.channels().text(*it) == nullptr ? open_.erase(it) : std::next(it);
    }
    start();
}

void TextSession::start() {
    if (!authorized()) return;  // it had the auth-required hello; nothing else until it authenticates
    send(with_access(protocol::text_hello({server_.config().name, client_}, server_.channels().texts())));
}

void TextSession::handle_message(std::string_view message) {
    auto parsed = protocol::parse_text_request(message);
    // One over the limit is answered, not executed.
    if (!admit_parsed<protocol::TextRequest>(server_, *this, limiter_, parsed, "text")) return;
    if (auto* bad = std::get_if<protocol::BadRequest>(&parsed)) {
        send(protocol::error(bad->id, "", bad->error));
        return;
    }
    std::visit(
        [this](const auto& request) {
            TextChannel* channel = server_.channels().text(request.channel);
            if (channel == nullptr) {
                send(protocol::error(request.id, request.channel,
                                     Error{"unknown_channel", "no text channel '" + request.channel + "'"}));
                return;
            }
            using T = std::decay_t<decltype(request)>;
            if constexpr (std::is_same_v<T, protocol::TextOpen>) {
                open_.insert(request.channel);
                send(protocol::text_open_ack(request.id, *channel));
            } else if constexpr (std::is_same_v<T, protocol::TextClose>) {
                open_.erase(request.channel);
                send(protocol::text_ack(request.id, request.channel));
            } else {
                std::string action = "text send " + request.channel + " (" + std::to_string(request.line.size()) + " bytes)";
                if (!check_control(request.id, request.channel, action)) return;
                if (!has_open(request.channel)) {
                    send(protocol::error(request.id, request.channel,
                                         Error{"not_open", "open text channel '" + request.channel + "' before sending"}));
                    return;
                }
                auto reply = [weak = std::weak_ptr<Session>(shared_from_this()), id = request.id,
                              name = request.channel, action, tag = audit_tag()](Status status) {
                    hwb::audit(tag, status.ok(), action,
                          status.ok() ? "done" : "refused (" + status.error().code + "): " + status.error().message);
                    auto self = weak.lock();
                    if (!self) return;
                    self->send(status.ok() ? protocol::text_ack(id, name) : protocol::error(id, name, status.error()));
                };
                channel->send(request.line, Cause::by_client(request.client.empty() ? client_ : request.client), reply);
            }
        },
        std::get<protocol::TextRequest>(parsed));
}

}  // namespace hwb
