// HTTP side of the server: the embedded page, GET /api/channels, GET /healthz, /api/map (read,
// validate, apply, save; meaning in map_api.cpp), and the gatekeeping of WebSocket upgrades
// (subprotocol and Origin), all on protocols[0].
#include <libwebsockets.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "core/text.h"
#include "protocol/messages.h"
#include "server/http_internal.h"
#include "server/map_api.h"
#include "server/server.h"
#include "server/web_assets.h"

namespace hwb {



namespace {

constexpr std::size_t chunk_size = 16 * 1024;

const char* mime_type(std::string_view path) {
    auto ends = [&](std::string_view ext) {
        return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
    };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".ico")) return "image/x-icon";
    if (ends(".json")) return "application/json";
    return "application/octet-stream";
}


void free_body(HttpSlot* slot) {
    delete slot->owned;
    delete slot->request;
    *slot = HttpSlot{};
}


bool add_security_headers(lws* wsi, unsigned char** p, unsigned char* end) {
    auto add = [&](const char* name, const char* value) {
        return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                           reinterpret_cast<const unsigned char*>(value),
                                           static_cast<int>(std::strlen(value)), p, end);
    };
    return add("cache-control:", "no-cache") || add("x-content-type-options:", "nosniff") ||
           add("content-security-policy:",
               "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'") ||
           add("referrer-policy:", "no-referrer");
}

int begin_response(lws* wsi, HttpSlot* slot, unsigned status, const char* mime, std::string_view body,
                   std::string* owned) {
    free_body(slot);
    slot->data = body.data();
    slot->size = body.size();
    slot->owned = owned;
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof(buffer) - 1;
    if (lws_add_http_common_headers(wsi, status, mime, body.size(), &p, end)) return 1;
    if (add_security_headers(wsi, &p, end)) return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

int send_json(lws* wsi, HttpSlot* slot, unsigned status, std::string body) {
    auto* owned = new std::string(std::move(body));
    return begin_response(wsi, slot, status, "application/json", *owned, owned);
}


int write_deferred_headers(lws* wsi, HttpSlot* slot) {
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof(buffer) - 1;
    if (lws_add_http_common_headers(wsi, slot->status, "application/json", slot->size, &p, end)) return -1;
    if (slot->status == HTTP_STATUS_METHOD_NOT_ALLOWED &&
        lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("allow:"),
                                    reinterpret_cast<const unsigned char*>("GET, POST"), 9, &p, end))
        return -1;
    if (slot->close_after &&
        lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("connection:"),
                                    reinterpret_cast<const unsigned char*>("close"), 5, &p, end))
        return -1;
    if (add_security_headers(wsi, &p, end)) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    slot->headers_pending = false;
    lws_callback_on_writable(wsi);
    return 0;
}

}  // namespace

// A JSON answer whose headers are written in the next WRITEABLE: usable from any callback on the
// loop thread, including results that arrive after the request callback returned.
void defer_json(lws* wsi, HttpSlot* slot, unsigned status, std::string body, bool close_after) {
    delete slot->owned;
    delete slot->request;
    slot->request = nullptr;
    slot->owned = new std::string(std::move(body));
    slot->data = slot->owned->data();
    slot->size = slot->owned->size();
    slot->sent = 0;
    slot->status = status;
    slot->headers_pending = true;
    slot->close_after = slot->close_after || close_after;
    lws_callback_on_writable(wsi);
}

// Browsers send Origin on WebSocket upgrades and on every POST. Allowed: the server's own host
// (Origin's host equals the Host header) and the map's allow-list; requests without Origin come
// from non-browser clients.
bool Server::origin_allowed(lws* wsi, const char* what) {
    std::string origin = header(wsi, WSI_TOKEN_ORIGIN);
    if (origin.empty()) return true;
    std::string normalized = ascii_lower(origin);
    while (!normalized.empty() && normalized.back() == '/') normalized.pop_back();
    for (const auto& allowed : config_.allowed_origins) {
        std::string a = ascii_lower(allowed);
        while (!a.empty() && a.back() == '/') a.pop_back();
        if (a == normalized) return true;
    }
    // With TLS the page's own origin is https://host:port and nothing else. Without, any scheme:
    // a reverse proxy may serve the page as https while talking http to us.
    std::size_t scheme = normalized.find("://");
    std::string origin_host = scheme == std::string::npos ? normalized : normalized.substr(scheme + 3);
    bool scheme_ok = !tls() || normalized.rfind("https://", 0) == 0;
    std::string host = ascii_lower(header(wsi, WSI_TOKEN_HOST));
    if (!host.empty() && scheme_ok && origin_host == host) return true;
    spdlog::warn("refused {} from {}: origin '{}' is not allowed (host '{}'; see bridge.allowed_origins)", what,
                 peer_address(wsi), origin, host);
    return false;
}

bool Server::host_allowed(lws* wsi, const char* what) {
    std::string host = header(wsi, WSI_TOKEN_HOST);
    if (host_names_.allowed(host, loop_->now())) return true;
    gate_.audit_refusal(what, peer_address(wsi),
                        host.empty() ? std::string("no Host header")
                                     : "Host '" + host + "' is not a name of this bridge (see bridge.allowed_hosts)",
                        loop_->now());
    return false;
}

bool Server::upgrade_allowed(lws* wsi) {
    // First of all: a foreign name in Host (DNS rebinding) gets nothing, not even a 503.
    if (!host_allowed(wsi, "WebSocket upgrade")) {
        lws_return_http_status(wsi, 421, "this bridge is not reachable by that name (see bridge.allowed_hosts)");
        return false;
    }
    if (sessions_.size() >= config_.limits.max_connections) {
        gate_.audit_refusal("WebSocket upgrade", peer_address(wsi),
                            "connection cap reached (" + std::to_string(config_.limits.max_connections) +
                                " connections, bridge.limits.max_connections)",
                            loop_->now());
        lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "too many connections, try again later");
        return false;
    }
    std::string offered = header(wsi, WSI_TOKEN_PROTOCOL);
    bool ours = false;
    std::size_t pos = 0;
    while (pos <= offered.size()) {
        std::size_t comma = offered.find(',', pos);
        std::string name = offered.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        name.erase(0, name.find_first_not_of(" \t"));
        name.erase(name.find_last_not_of(" \t") + 1);
        if (name == "sensor" || name == "relay" || name == "text") ours = true;
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    if (!ours) {
        spdlog::warn("refused WebSocket upgrade from {}: subprotocol '{}' is not one of sensor, relay, text",
                     peer_address(wsi), offered);
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, "name one of the subprotocols sensor, relay, text");
        return false;
    }
    if (origin_allowed(wsi, "WebSocket upgrade")) return true;
    lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, "origin not allowed");
    return false;
}

bool Server::connection_allowed(int fd) {
    char peer[64] = "?";
    lws_get_peer_simple_fd(fd, peer, sizeof(peer));
    if (loop_ == nullptr || gate_.admit_connection(peer, loop_->now())) return true;
    gate_.audit_refusal("connection", peer,
                        "more than " + std::to_string(static_cast<long long>(config_.limits.connections_per_address.burst)) +
                            " new connections at once (bridge.limits.connection_rate/connection_burst)",
                        loop_->now());
    return false;
}

// GET /api/map, POST /api/map/{validate,apply,save}: everything up to the body.
int Server::map_request(lws* wsi, HttpSlot* slot, bool post, const std::string& path) {
    using map_api::Action;
    Action action = map_api::action_of(path);
    if (!post) {
        if (path == "/api/map") {
            if (!may_read(wsi, slot)) return 0;
            MapDocument doc = map_admin_->current();
            auto admin = map_admin_check(wsi, http_identity(wsi));
            nlohmann::json body = {{"path", doc.path},         {"text", doc.text},
                                   {"version", doc.version},   {"admin", admin.admin},
                                   {"admin_reason", admin.reason}, {"max_bytes", map_api::max_body_bytes}};
            defer_json(wsi, slot, HTTP_STATUS_OK, map_api::dump(body));
            return 0;
        }
        if (action != Action::none) {
            defer_json(wsi, slot, HTTP_STATUS_METHOD_NOT_ALLOWED, map_api::error_body("bad_request", "use POST"));
            return 0;
        }
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "not found");
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    // A refusal before the body was read closes the connection afterwards (the unread body must
    // not be parsed as the next request).
    auto refuse = [&](unsigned status, const char* code, const std::string& message) {
        defer_json(wsi, slot, status, map_api::error_body(code, message), true);
        return 0;
    };
    if (action == Action::none) return refuse(HTTP_STATUS_METHOD_NOT_ALLOWED, "bad_request", "POST goes to /api/map/validate, /apply or /save");
    if (!origin_allowed(wsi, (std::string("POST ") + path).c_str()))
        return refuse(HTTP_STATUS_FORBIDDEN, "refused", "origin not allowed (see bridge.allowed_origins)");
    if (action == Action::validate) {
        if (!may_read(wsi, slot)) {
            slot->close_after = true;
            return 0;
        }
    } else {
        auto who = http_identity(wsi);
        auto admin = map_admin_check(wsi, who);
        if (!admin.admin) {
            door_->audit(http_requester(wsi, who), false, std::string("map ") + map_api::to_string(action),
                         "refused (forbidden): " + admin.reason);
            return refuse(HTTP_STATUS_FORBIDDEN, "refused", admin.reason);
        }
    }
    // Content-Length only decides when the body is complete (lws reads that many bytes); its value
    // is checked against the cap, and so is every byte that arrives.
    std::string length = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (length.empty() && !header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING).empty())
        return refuse(411, "bad_request", "send the body with a Content-Length");
    unsigned long long declared = 0;
    if (!length.empty()) {
        char* end = nullptr;
        declared = std::strtoull(length.c_str(), &end, 10);
        if (end == length.c_str() || *end != '\0') return refuse(HTTP_STATUS_BAD_REQUEST, "bad_request", "bad Content-Length");
    }
    if (declared > map_api::max_body_bytes)
        return refuse(HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "too_large",
                      "a device map may have at most " + std::to_string(map_api::max_body_bytes) + " bytes");
    slot->action = action;
    slot->request = new std::string();
    if (declared == 0) return map_post(wsi, slot);  // lws delivers no body completion for an empty body
    return 0;
}

// The whole body arrived.
int Server::map_post(lws* wsi, HttpSlot* slot) {
    using map_api::Action;
    std::string body = slot->request != nullptr ? std::move(*slot->request) : std::string();
    delete slot->request;
    slot->request = nullptr;
    auto parsed = map_api::parse_draft(header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE), body, header(wsi, WSI_TOKEN_HTTP_IF_MATCH));
    if (!parsed.draft) {
        defer_json(wsi, slot, HTTP_STATUS_BAD_REQUEST, map_api::error_body("bad_request", parsed.error));
        return 0;
    }
    map_api::Draft& draft = *parsed.draft;
    if (slot->action == Action::validate) {
        auto problems = map_admin_->validate(draft.text);
        nlohmann::json answer = {{"ok", problems.empty()}, {"problems", map_api::problems_json(problems)}};
        defer_json(wsi, slot, HTTP_STATUS_OK, map_api::dump(answer));
        return 0;
    }
    auto who = http_identity(wsi);
    Requester tag = http_requester(wsi, who);
    const std::string action = std::string("map ") + map_api::to_string(slot->action);
    if (draft.version.empty()) {
        door_->audit(tag, false, action, "refused (bad_request): no base version");
        defer_json(wsi, slot, 428, map_api::error_body("bad_request",
            "say which version the draft is based on ({\"text\", \"version\"} or If-Match)"));
        return 0;
    }
    std::uint64_t id = next_map_request_++;
    map_requests_.emplace(id, wsi);
    slot->pending = id;
    std::weak_ptr<bool> alive = alive_;
    auto done = [this, alive, id, tag, action](MapApplyResult result) {
        auto server_alive = alive.lock();
        if (!server_alive || !*server_alive) return;
        try {
            std::string summary;
            for (const auto& line : result.summary) summary += (summary.empty() ? "" : "; ") + line;
            if (result.error) {
                door_->audit(tag, false, action, "refused (" + result.error->code + "): " + result.error->message);
            } else {
                door_->audit(tag, true, action,
                             "done, version " + result.version + ": " + (summary.empty() ? "no changes" : summary));
            }
            map_applied(id, result);
        } catch (const std::exception& e) {
            spdlog::error("map {}: answering the request failed: {}", action, e.what());
        }
    };
    try {
        map_admin_->apply(draft.text, draft.version, slot->action == Action::save, done);
    } catch (const std::exception& e) {
        door_->audit(tag, false, action, std::string("failed: ") + e.what());
        if (map_requests_.erase(id) != 0) {
            slot->pending = 0;
            defer_json(wsi, slot, HTTP_STATUS_INTERNAL_SERVER_ERROR, map_api::error_body("io", e.what()));
        }
    }
    return 0;
}

void Server::map_applied(std::uint64_t request, const MapApplyResult& result) {
    auto it = map_requests_.find(request);
    if (it == map_requests_.end()) {
        spdlog::info("map result for a request whose connection is gone; dropped");
        return;
    }
    lws* wsi = it->second;
    map_requests_.erase(it);
    auto* slot = static_cast<HttpSlot*>(lws_wsi_user(wsi));
    slot->pending = 0;
    auto answer = map_api::apply_answer(result);
    defer_json(wsi, slot, answer.status, std::move(answer.body));
}

int Server::http(lws* wsi, int reason, void* user, void* in, std::size_t len) {
    auto* slot = static_cast<HttpSlot*>(user);
    switch (reason) {
        case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
            // `in` carries the accepted socket; no wsi of its own exists yet.
            return connection_allowed(static_cast<int>(reinterpret_cast<std::intptr_t>(in))) ? 0 : 1;

        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return upgrade_allowed(wsi) ? 0 : 1;

        case LWS_CALLBACK_HTTP: {
            std::string path(static_cast<const char*>(in), len);
            if (!host_allowed(wsi, "HTTP request")) {
                defer_json(wsi, slot, 421,
                           map_api::error_body("misdirected", "this bridge is not reachable by that name; its "
                                                              "administrator can add it to bridge.allowed_hosts"),
                           true);
                return 0;
            }
            bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
            bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
            if (!get && !post) {
                spdlog::info("refused HTTP method from {} for {}: only GET and POST", peer_address(wsi), path);
                defer_json(wsi, slot, HTTP_STATUS_METHOD_NOT_ALLOWED,
                           map_api::error_body("bad_request", "only GET and POST are served"), true);
                return 0;
            }
            if (path == "/api/map" || path.rfind("/api/map/", 0) == 0) {
                if (map_admin_ != nullptr) return map_request(wsi, slot, post, path);
                lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "device map editing is not available");
                return lws_http_transaction_completed(wsi) ? -1 : 0;
            }
            if (path == "/api/login") {
                if (post) return login_request(wsi, slot);
                defer_json(wsi, slot, HTTP_STATUS_METHOD_NOT_ALLOWED, map_api::error_body("bad_request", "use POST"));
                return 0;
            }
            if (post) {
                defer_json(wsi, slot, HTTP_STATUS_METHOD_NOT_ALLOWED,
                           map_api::error_body("bad_request", "POST is only served under /api/map and at /api/login"), true);
                return 0;
            }
            if (path == "/healthz") {
                nlohmann::json body = {{"status", "ok"}, {"uptime_s", uptime_s()}, {"clients", client_count()}};
                return send_json(wsi, slot, HTTP_STATUS_OK, body.dump());
            }
            if (path == "/api/channels") {
                if (!may_read(wsi, slot)) return 0;
                return send_json(wsi, slot, HTTP_STATUS_OK, protocol::channels_document(config_.name, *channels_));
            }
            if (path == "/") path = "/index.html";
            for (const auto& asset : web_assets()) {
                if (asset.path == path) return begin_response(wsi, slot, HTTP_STATUS_OK, mime_type(path), asset.body, nullptr);
            }
            lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "not found");
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }

        case LWS_CALLBACK_HTTP_BODY:
            if (slot->request == nullptr) return 0;  // refused already; the answer is on its way
            if (slot->login && slot->request->size() + len > max_login_body_bytes) {
                defer_json(wsi, slot, HTTP_STATUS_REQ_ENTITY_TOO_LARGE,
                           map_api::error_body("too_large", "a sign-in body has at most 4096 bytes"), true);
                return 0;
            }
            if (slot->request->size() + len > map_api::max_body_bytes) {
                defer_json(wsi, slot, HTTP_STATUS_REQ_ENTITY_TOO_LARGE,
                           map_api::error_body("too_large", "a device map may have at most " +
                                                                std::to_string(map_api::max_body_bytes) + " bytes"),
                           true);
                return 0;
            }
            slot->request->append(static_cast<const char*>(in), len);
            return 0;

        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            if (slot->request == nullptr) return 0;
            return slot->login ? login_post(wsi, slot) : map_post(wsi, slot);

        case LWS_CALLBACK_HTTP_WRITEABLE: {
            if (slot->data == nullptr) return 0;
            if (slot->headers_pending) return write_deferred_headers(wsi, slot);
            std::size_t n = std::min(chunk_size, slot->size - slot->sent);
            bool last = slot->sent + n == slot->size;
            std::string chunk(LWS_PRE, '\0');
            chunk.append(slot->data + slot->sent, n);
            auto* payload = reinterpret_cast<unsigned char*>(chunk.data() + LWS_PRE);
            if (lws_write(wsi, payload, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n)) return -1;
            slot->sent += n;
            if (!last) {
                lws_callback_on_writable(wsi);
                return 0;
            }
            bool close = slot->close_after;
            free_body(slot);
            if (close) return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }

        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        case LWS_CALLBACK_CLOSED_HTTP:
            if (slot != nullptr) {
                if (slot->pending != 0) map_requests_.erase(slot->pending);
                free_body(slot);
            }
            return 0;

        default:
            return lws_callback_http_dummy(wsi, static_cast<lws_callback_reasons>(reason), user, in, len);
    }
}

}  // namespace hwb
