// The authentication part of a session (docs/protocol.md, "Authentication"): the first hello,
// `auth` messages, the gate before a client has a role, access in hellos, control checks, and
// the audit lines. The token itself is never logged or echoed.
#include <libwebsockets.h>

#include <spdlog/spdlog.h>

#include "protocol/auth.h"
#include "core/channels.h"
#include "server/session.h"

namespace hwb {

void Session::audit(bool done, const std::string& action, const std::string& result) const {
    host_.door().audit(requester_, done, action, result);
}

void Session::begin(std::optional<std::string> header_token, std::string peer) {
    requester_.set_source(std::move(peer));
    if (header_token) {
        authenticate(nullptr, *header_token, false);
        return;
    }
    requester_.identity = host_.door().access().anonymous();
    if (authorized()) {
        start();
    } else {
        send(protocol::auth_required_hello(to_string(kind_), client_id(), host_.door().access().passphrase_login()));
    }
}

bool Session::gate(std::string_view message) {
    if (auto auth = protocol::parse_auth_request(message)) {
        if (auto* bad = std::get_if<protocol::BadRequest>(&*auth)) {
            audit(false, "auth", "refused (" + bad->error.code + "): " + bad->error.message);
            send(protocol::error(bad->id, "", bad->error));
            close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, bad->error.message);
        } else {
            const auto& request = std::get<protocol::AuthRequest>(*auth);
            authenticate(request.id, request.token, true);
        }
        return true;
    }
    if (authorized()) return false;
    audit(false, "request before auth", "refused (unauthorized)");
    send(protocol::error(nullptr, "", Error{"unauthorized",
                                            "authenticate first: send {\"type\":\"auth\",\"token\":\"...\"}"}));
    close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, "authentication required");
    return true;
}

void Session::authenticate(const protocol::Json& id, const std::string& token, bool answer) {
    auto who = host_.door().access().authenticate(token, wall_clock_ms());
    if (!who.ok()) {
        audit(false, "auth", "refused (" + who.error().code + "): " + who.error().message);
        send(protocol::error(id, "", who.error()));
        close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, who.error().code == "token_expired" ? "token expired" : "invalid token");
        return;
    }
    requester_.identity = std::move(who.value());
    expiry_.reset();
    if (requester_.identity.expires_ms) {
        expiry_ = std::make_unique<Timer>(host_.loop(), [this] {
            audit(false, "session", "token expired, closing with 1008");
            close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, "token expired");
        });
        expiry_->start(std::chrono::milliseconds(std::max<std::int64_t>(0, *requester_.identity.expires_ms - wall_clock_ms())));
    }
    audit(true, "auth", std::string("ok, role ") + to_string(requester_.identity.role) + " (" + requester_.identity.method +
                            (requester_.identity.channels ? ", limited to channels" : "") + ")");
    if (answer) send(protocol::auth_ack(id, access_info()));
    start();
}

void Session::identities_changed() {
    expiry_.reset();
    close_with(1012, "authentication settings changed; connect again");
}

void Session::stop_timers() {
    expiry_.reset();
    quiesce();
}

protocol::AccessInfo Session::access_info() const {
    protocol::AccessInfo info{to_string(requester_.identity.role), requester_.identity.subject, requester_.identity.method, requester_.identity.expires_ms, {}};
    auto add = [&](const auto& channels) {
        for (const auto& channel : channels)
            if (host_.door().access().may_control(requester_.identity, to_string(kind_), channel->id()).ok())
                info.control.push_back(channel->id());
    };
    if (kind_ == ChannelKind::relay) add(host_.channels().relays());
    if (kind_ == ChannelKind::text) add(host_.channels().texts());
    return info;
}

std::string Session::with_access(std::string hello) const { return protocol::with_access(std::move(hello), access_info()); }

bool Session::admit(const protocol::Json& id, const std::string& channel) {
    if (closing()) return false;
    auto within = host_.door().admit(requester_, kind_);
    if (within.ok()) return true;
    if (requester_.abusive()) {
        close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, "rate limit exceeded");
    } else {
        send(protocol::error(id, channel, within.error()));
    }
    return false;
}

bool Session::drop_if_abusive() {
    if (!requester_.abusive()) return false;
    close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, "rate limit exceeded");
    return true;
}

}  // namespace hwb
