// Authentication on the HTTP side (docs/protocol.md, "Authentication"): Bearer tokens on /api
// requests, who may read and who may change the map, and POST /api/login (pass-phrase sign-in).
#include <spdlog/spdlog.h>

#include "server/http_internal.h"
#include "server/login.h"

namespace hwb {

namespace {

std::string unauthorized_body(const Error& error) { return map_api::error_body(error.code, error.message); }

}  // namespace

Requester Server::http_requester(lws* wsi, const Result<Identity>& who) const {
    Requester requester("http", peer_address(wsi), "http");
    if (who.ok()) {
        requester.identity = who.value();
    } else {
        requester.identity.subject = "?";
    }
    return requester;
}

Result<Identity> Server::http_identity(lws* wsi) {
    // Only Bearer tokens are ours; other schemes (a reverse proxy's Basic) count as no token.
    auto token = bearer_token(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
    if (!token) return door_->access().anonymous();
    return door_->access().authenticate(*token, wall_clock_ms());
}

bool Server::may_read(lws* wsi, HttpSlot* slot) {
    auto who = http_identity(wsi);
    if (who.ok() && who.value().role >= Role::viewer) return true;
    Error error = who.ok() ? Error{"unauthorized", "sign in first: send 'Authorization: Bearer TOKEN'"} : who.error();
    door_->audit(http_requester(wsi, Error{"", ""}), false, "read " + header(wsi, WSI_TOKEN_GET_URI) + header(wsi, WSI_TOKEN_POST_URI),
          "refused (" + error.code + "): " + error.message);
    defer_json(wsi, slot, HTTP_STATUS_UNAUTHORIZED, unauthorized_body(error));
    return false;
}

map_api::AdminCheck Server::map_admin_check(lws* wsi, const Result<Identity>& who) {
    if (!door_->access().enabled()) return map_api::admin_check(peer_address(wsi), header(wsi, WSI_TOKEN_HOST));
    if (!who.ok()) return {false, "Your token was refused (" + who.error().code + "): " + who.error().message};
    auto allowed = door_->access().may_change_map(who.value());
    if (!allowed.ok()) return {false, "Applying and saving the device map needs the admin role. " + allowed.error().message + "."};
    return {true, "Signed in as " + who.value().subject + " with the admin role: you may apply and save the device map."};
}

int Server::login_request(lws* wsi, HttpSlot* slot) {
    auto refuse = [&](unsigned status, const char* code, const std::string& message) {
        Door::audit_as("passphrase", http_requester(wsi, Error{"", ""}), false, "login",
                       std::string("refused (") + code + "): " + message);
        defer_json(wsi, slot, status, map_api::error_body(code, message), true);
        return 0;
    };
    if (!origin_allowed(wsi, "POST /api/login")) return refuse(HTTP_STATUS_FORBIDDEN, "refused", "origin not allowed");
    if (!door_->access().passphrase_login())
        return refuse(HTTP_STATUS_NOT_FOUND, "not_configured", "this bridge has no pass-phrase sign-in (auth.passphrase_hash)");
    if (!login_) login_ = std::make_unique<LoginChecks>(*loop_);
    if (auto wait = login_->wait_for(peer_address(wsi)))
        return refuse(429, "too_many_attempts",
                      "too many failed sign-ins from this address; try again in " + std::to_string(wait->count()) + " s");
    if (login_->busy()) return refuse(HTTP_STATUS_SERVICE_UNAVAILABLE, "busy", "too many sign-ins at once; try again");
    slot->login = true;
    slot->request = new std::string();
    if (header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH).empty() || header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) == "0")
        return login_post(wsi, slot);
    return 0;
}

int Server::login_post(lws* wsi, HttpSlot* slot) {
    std::string body = slot->request != nullptr ? std::move(*slot->request) : std::string();
    delete slot->request;
    slot->request = nullptr;
    Requester tag = http_requester(wsi, Error{"", ""});
    tag.identity.subject = "passphrase";
    auto json = nlohmann::json::parse(body, nullptr, false);
    auto passphrase = json.is_object() ? json.find("passphrase") : json.end();
    if (!json.is_object() || passphrase == json.end() || !passphrase->is_string()) {
        door_->audit(tag, false, "login", "refused (bad_request)");
        defer_json(wsi, slot, HTTP_STATUS_BAD_REQUEST, map_api::error_body("bad_request", "send {\"passphrase\": \"...\"}"));
        return 0;
    }
    auto hash = auth::parse_passphrase_hash(door_->access().config().passphrase_hash);
    if (!hash) {  // the loader checked it; a bug, not a reason to crash
        defer_json(wsi, slot, HTTP_STATUS_INTERNAL_SERVER_ERROR, map_api::error_body("io", "the pass-phrase hash is unusable"));
        return 0;
    }
    std::uint64_t id = next_map_request_++;
    map_requests_.emplace(id, wsi);
    slot->pending = id;
    std::weak_ptr<bool> alive = alive_;
    login_->check(tag.source(), passphrase->get<std::string>(), *hash, [this, alive, id, tag](bool matches) {
        auto server_alive = alive.lock();
        if (!server_alive || !*server_alive) return;
        try {
            if (!matches) {
                door_->audit(tag, false, "login", "refused (bad_passphrase)");
                http_result(id, HTTP_STATUS_UNAUTHORIZED, map_api::error_body("bad_passphrase", "wrong pass-phrase"));
                return;
            }
            std::int64_t expires = 0;
            std::string token = door_->access().issue_login_token(wall_clock_ms(), &expires);
            door_->audit(tag, true, "login", std::string("ok, role ") + to_string(door_->access().config().passphrase_role));
            nlohmann::json answer = {{"token", token},
                                     {"role", to_string(door_->access().config().passphrase_role)},
                                     {"subject", "passphrase"},
                                     {"expires", expires}};
            http_result(id, HTTP_STATUS_OK, answer.dump());
        } catch (const std::exception& e) {
            spdlog::error("login: answering failed: {}", e.what());
        }
    });
    return 0;
}

void Server::http_result(std::uint64_t request, unsigned status, std::string body) {
    auto it = map_requests_.find(request);
    if (it == map_requests_.end()) return;  // the connection closed meanwhile
    lws* wsi = it->second;
    map_requests_.erase(it);
    auto* slot = static_cast<HttpSlot*>(lws_wsi_user(wsi));
    slot->pending = 0;
    defer_json(wsi, slot, status, std::move(body));
}

}  // namespace hwb
