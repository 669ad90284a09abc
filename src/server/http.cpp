// HTTP side of the server: the embedded page, GET /api/channels, GET /healthz, and the
// gatekeeping of WebSocket upgrades (subprotocol and Origin), all on protocols[0].
#include <libwebsockets.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "protocol/messages.h"
#include "server/server.h"
#include "server/web_assets.h"

namespace hwb {

namespace {

// Per-request state in lws' per-session memory (plain data: lws zeroes it and frees it).
struct HttpSlot {
    const char* data;
    std::size_t size;
    std::size_t sent;
    std::string* owned;  // body built for this request (JSON), freed when the transaction ends
};
static_assert(sizeof(HttpSlot) <= sizeof(void*) * 4, "protocols[0].per_session_data_size is too small");

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

std::string header(lws* wsi, lws_token_indexes token) {
    int length = lws_hdr_total_length(wsi, token);
    if (length <= 0) return {};
    std::string value(static_cast<std::size_t>(length) + 1, '\0');
    if (lws_hdr_copy(wsi, value.data(), length + 1, token) < 0) return {};
    value.resize(static_cast<std::size_t>(length));
    return value;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

void free_body(HttpSlot* slot) {
    delete slot->owned;
    *slot = HttpSlot{};
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
    auto add = [&](const char* name, const char* value) {
        return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                           reinterpret_cast<const unsigned char*>(value),
                                           static_cast<int>(std::strlen(value)), &p, end);
    };
    if (add("cache-control:", "no-cache") || add("x-content-type-options:", "nosniff") ||
        add("content-security-policy:",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'") ||
        add("referrer-policy:", "no-referrer"))
        return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

int send_json(lws* wsi, HttpSlot* slot, unsigned status, std::string body) {
    auto* owned = new std::string(std::move(body));
    return begin_response(wsi, slot, status, "application/json", *owned, owned);
}

}  // namespace

// Browsers send Origin on WebSocket upgrades. Allowed: the server's own host (Origin's host equals
// the Host header) and the map's allow-list; requests without Origin come from non-browser clients.
bool Server::upgrade_allowed(lws* wsi) {
    char peer[64] = "?";
    lws_get_peer_simple(wsi, peer, sizeof(peer));

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
        spdlog::warn("refused WebSocket upgrade from {}: subprotocol '{}' is not one of sensor, relay, text", peer,
                     offered);
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, "name one of the subprotocols sensor, relay, text");
        return false;
    }

    std::string origin = header(wsi, WSI_TOKEN_ORIGIN);
    if (origin.empty()) return true;
    std::string normalized = lower(origin);
    while (!normalized.empty() && normalized.back() == '/') normalized.pop_back();
    for (const auto& allowed : config_.allowed_origins) {
        std::string a = lower(allowed);
        while (!a.empty() && a.back() == '/') a.pop_back();
        if (a == normalized) return true;
    }
    std::size_t scheme = normalized.find("://");
    std::string origin_host = scheme == std::string::npos ? normalized : normalized.substr(scheme + 3);
    std::string host = lower(header(wsi, WSI_TOKEN_HOST));
    if (!host.empty() && origin_host == host) return true;
    spdlog::warn("refused WebSocket upgrade from {}: origin '{}' is not allowed (host '{}'; see bridge.allowed_origins)",
                 peer, origin, host);
    lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, "origin not allowed");
    return false;
}

int Server::http(lws* wsi, int reason, void* user, void* in, std::size_t len) {
    auto* slot = static_cast<HttpSlot*>(user);
    switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return upgrade_allowed(wsi) ? 0 : 1;

        case LWS_CALLBACK_HTTP: {
            std::string path(static_cast<const char*>(in), len);
            if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
                lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "only GET is served");
                return lws_http_transaction_completed(wsi) ? -1 : 0;
            }
            if (path == "/healthz") {
                nlohmann::json body = {{"status", "ok"}, {"uptime_s", uptime_s()}, {"clients", client_count()}};
                return send_json(wsi, slot, HTTP_STATUS_OK, body.dump());
            }
            if (path == "/api/channels") {
                return send_json(wsi, slot, HTTP_STATUS_OK, protocol::channels_document(config_.name, *channels_));
            }
            if (path == "/") path = "/index.html";
            for (const auto& asset : web_assets()) {
                if (asset.path == path) return begin_response(wsi, slot, HTTP_STATUS_OK, mime_type(path), asset.body, nullptr);
            }
            lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "not found");
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }

        case LWS_CALLBACK_HTTP_WRITEABLE: {
            if (slot->data == nullptr) return 0;
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
            free_body(slot);
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }

        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        case LWS_CALLBACK_CLOSED_HTTP:
            if (slot != nullptr) free_body(slot);
            return 0;

        default:
            return lws_callback_http_dummy(wsi, static_cast<lws_callback_reasons>(reason), user, in, len);
    }
}

}  // namespace hwb
