#include "server/http_router.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <zlib.h>

#include "auth/crypto.h"
#include "auth/passphrase.h"
#include "core/text.h"
#include "protocol/messages.h"
#include "server/connection.h"
#include "server/login.h"
#include "server/session_hub.h"
#include "server/web_assets.h"

namespace hwb {

// One connection's request state; reset when a transaction ends (keep-alive), destroyed when the
// connection closes.
struct HttpRouter::Request {
    std::string out;              // an answer built for this request (JSON)
    std::string_view data;        // what is being sent: `out`, or an embedded asset
    std::size_t sent = 0;
    std::optional<std::string> in;  // a POST body being collected
    std::uint64_t waiting = 0;    // id in waiting_ while an apply/save/sign-in waits for its result
    std::string mime;             // of a deferred answer; empty: JSON
    unsigned status = 0;          // of a deferred answer (headers written in WRITEABLE)
    map_api::Action action = map_api::Action::none;
    bool headers_pending = false;
    bool close_after = false;     // the request body was not read: close instead of keeping the connection
    bool login = false;           // the body is a POST /api/login
    bool sending = false;
};

namespace {

constexpr std::size_t chunk_size = 16 * 1024;
constexpr std::size_t max_login_body_bytes = 4096;

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

bool add_header(lws* wsi, const char* name, std::string_view value, unsigned char** p, unsigned char* end) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), p, end) != 0;
}

bool add_security_headers(lws* wsi, unsigned char** p, unsigned char* end, std::string_view cache_control = "no-cache") {
    return add_header(wsi, "cache-control:", cache_control, p, end) ||
           add_header(wsi, "x-content-type-options:", "nosniff", p, end) ||
           add_header(wsi, "content-security-policy:",
                      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
                      p, end) ||
           add_header(wsi, "referrer-policy:", "no-referrer", p, end);
}

// Headers now (from the request callback itself), body in the next WRITEABLEs.
int begin_response(lws* wsi, HttpRouter::Request& request, unsigned status, const char* mime) {
    request.sent = 0;
    request.sending = true;
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof(buffer) - 1;
    if (lws_add_http_common_headers(wsi, status, mime, request.data.size(), &p, end)) return 1;
    if (add_security_headers(wsi, &p, end)) return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

// The page's files: compressed at build time, with a strong ETag, revalidated by the browser on
// every use (no-cache: a 304 costs a few hundred bytes instead of the file); the icon, which the
// page names twice (tab icon and header), is fresh for a day so that it is fetched once.
std::string_view asset_cache_control(std::string_view path) {
    return path == "/icon.svg" ? "max-age=86400" : "no-cache";
}

std::string header_text(lws* wsi, lws_token_indexes token) {
    int length = lws_hdr_total_length(wsi, token);
    if (length <= 0 || length > 8192) return {};
    std::string value(static_cast<std::size_t>(length) + 1, '\0');
    int n = lws_hdr_copy(wsi, value.data(), static_cast<int>(value.size()), token);
    value.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return value;
}

// Accept-Encoding names gzip, and not with q=0 ("not acceptable").
bool accepts_gzip(std::string_view accept) {
    for (std::size_t at = accept.find("gzip"); at != std::string_view::npos; at = accept.find("gzip", at + 4)) {
        auto item = accept.substr(at + 4, accept.find(',', at) - (at + 4));
        auto q = item.find("q=");
        if (q == std::string_view::npos) return true;
        auto weight = item.substr(q + 2);
        if (weight.find_first_not_of("0. \t") != std::string_view::npos) return true;
    }
    return false;
}

// If-None-Match lists `etag` (quoted; W/ prefixes are fine for this weak comparison) or is "*".
bool etag_matches(std::string_view if_none_match, const std::string& etag) {
    if (if_none_match.find_first_not_of(" \t") != std::string_view::npos &&
        if_none_match.substr(if_none_match.find_first_not_of(" \t")) == "*")
        return true;
    return if_none_match.find(etag) != std::string_view::npos;
}

// An embedded file: 200 with the file (gzip when accepted), or 304 when the browser has it.
int serve_asset(lws* wsi, HttpRouter::Request& request, const WebAsset& asset, const char* mime) {
    const bool gzip = !asset.gzip.empty() && accepts_gzip(header_text(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING));
    const std::string etag = "\"" + std::string(asset.etag) + (gzip ? "-gz" : "") + "\"";
    const bool unchanged = etag_matches(header_text(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH), etag);
    request.data = unchanged ? std::string_view() : gzip ? asset.gzip : asset.body;
    request.sent = 0;
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof(buffer) - 1;
    const unsigned status = unchanged ? HTTP_STATUS_NOT_MODIFIED : HTTP_STATUS_OK;
    if (lws_add_http_common_headers(wsi, status, mime, request.data.size(), &p, end)) return 1;
    if (add_header(wsi, "etag:", etag, &p, end) || add_header(wsi, "vary:", "Accept-Encoding", &p, end)) return 1;
    if (gzip && !unchanged && add_header(wsi, "content-encoding:", "gzip", &p, end)) return 1;
    if (add_security_headers(wsi, &p, end, asset_cache_control(asset.path))) return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
    if (unchanged) {
        request = HttpRouter::Request{};
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    request.sending = true;
    lws_callback_on_writable(wsi);
    return 0;
}

// `text` gzip-compressed (level 9), or empty when zlib fails or it would not be smaller. Once, at
// start-up (the schema); never per request.
std::string gzip_once(std::string_view text) {
    z_stream z{};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (status != Z_STREAM_END || out.size() >= text.size()) return {};
    return out;
}

int write_deferred_headers(lws* wsi, HttpRouter::Request& request) {
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof(buffer) - 1;
    const char* mime = request.mime.empty() ? "application/json" : request.mime.c_str();
    if (lws_add_http_common_headers(wsi, request.status, mime, request.data.size(), &p, end)) return -1;
    if (request.status == HTTP_STATUS_METHOD_NOT_ALLOWED && add_header(wsi, "allow:", "GET, POST", &p, end)) return -1;
    if (request.close_after && add_header(wsi, "connection:", "close", &p, end)) return -1;
    if (add_security_headers(wsi, &p, end)) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    request.headers_pending = false;
    lws_callback_on_writable(wsi);
    return 0;
}

// A JSON answer whose headers are written in the next WRITEABLE: usable from any callback on the
// loop thread, including results that arrive after the request callback returned. `close_after`:
// close the connection afterwards (its request body was not read).
void defer_json(lws* wsi, HttpRouter::Request& request, unsigned status, std::string body, bool close_after = false) {
    request.in.reset();
    request.out = std::move(body);
    request.data = request.out;
    request.sent = 0;
    request.status = status;
    request.headers_pending = true;
    request.sending = true;
    request.close_after = request.close_after || close_after;
    lws_callback_on_writable(wsi);
}

}  // namespace

HttpRouter::HttpRouter(EventLoop& loop, Door& door, const BridgeConfig& config, const SessionHub& sessions)
    : loop_(loop), door_(door), config_(config), sessions_(sessions), gate_(config.limits) {
    host_names_.configure(config_.listen_host, config_.allowed_hosts);
}

HttpRouter::~HttpRouter() {
    *alive_ = false;
    login_.reset();  // waits for a pass-phrase check in progress; its fd watch needs the loop
}

void HttpRouter::set_map_admin(MapAdmin* admin) {
    map_admin_ = admin;
    schema_ = admin != nullptr ? admin->schema() : std::string();
    schema_gzip_ = gzip_once(schema_);
    schema_etag_ = schema_.empty() ? std::string() : auth::hex(auth::sha256(schema_)).substr(0, 24);
}

int HttpRouter::schema_request(lws* wsi, Request& request) {
    if (!may_read(wsi, request)) return 0;
    if (schema_.empty()) {
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "no schema");
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    const WebAsset asset{"/api/map/schema", schema_, schema_gzip_, schema_etag_};
    return serve_asset(wsi, request, asset, "application/json");
}

void HttpRouter::configure() {
    gate_.configure(config_.limits);
    host_names_.configure(config_.listen_host, config_.allowed_hosts);
}

HttpRouter::Request& HttpRouter::request_of(lws* wsi) {
    auto& slot = requests_[wsi];
    if (!slot) slot = std::make_unique<Request>();
    return *slot;
}

HttpRouter::Request* HttpRouter::find(lws* wsi) {
    auto it = requests_.find(wsi);
    return it == requests_.end() ? nullptr : it->second.get();
}

// Browsers send Origin on WebSocket upgrades and on every POST. Allowed: the server's own host
// (Origin's host equals the Host header) and the map's allow-list; requests without Origin come
// from non-browser clients.
bool HttpRouter::origin_allowed(lws* wsi, const char* what) {
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
    bool scheme_ok = !config_.tls.enabled() || normalized.rfind("https://", 0) == 0;
    std::string host = ascii_lower(header(wsi, WSI_TOKEN_HOST));
    if (!host.empty() && scheme_ok && origin_host == host) return true;
    spdlog::warn("refused {} from {}: origin '{}' is not allowed (host '{}'; see bridge.allowed_origins)", what,
                 peer_address(wsi), origin, host);
    count_refusal("origin_not_allowed");
    return false;
}

bool HttpRouter::host_allowed(lws* wsi, const char* what) {
    std::string host = header(wsi, WSI_TOKEN_HOST);
    if (host_names_.allowed(host, loop_.now())) return true;
    count_refusal("host_not_allowed");
    gate_.audit_refusal(what, peer_address(wsi),
                        host.empty() ? std::string("no Host header")
                                     : "Host '" + host + "' is not a name of this bridge (see bridge.allowed_hosts)",
                        loop_.now());
    return false;
}

bool HttpRouter::upgrade_allowed(lws* wsi) {
    // First of all: a foreign name in Host (DNS rebinding) gets nothing, not even a 503.
    if (!host_allowed(wsi, "WebSocket upgrade")) {
        lws_return_http_status(wsi, 421, "this bridge is not reachable by that name (see bridge.allowed_hosts)");
        return false;
    }
    if (sessions_.size() >= config_.limits.max_connections) {
        count_refusal("max_connections");
        gate_.audit_refusal("WebSocket upgrade", peer_address(wsi),
                            "connection cap reached (" + std::to_string(config_.limits.max_connections) +
                                " connections, bridge.limits.max_connections)",
                            loop_.now());
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
        count_refusal("bad_subprotocol");
        spdlog::warn("refused WebSocket upgrade from {}: subprotocol '{}' is not one of sensor, relay, text",
                     peer_address(wsi), offered);
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, "name one of the subprotocols sensor, relay, text");
        return false;
    }
    if (origin_allowed(wsi, "WebSocket upgrade")) return true;
    lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, "origin not allowed");
    return false;
}

bool HttpRouter::connection_allowed(int fd) {
    char peer[64] = "?";
    lws_get_peer_simple_fd(fd, peer, sizeof(peer));
    if (gate_.admit_connection(peer, loop_.now())) return true;
    count_refusal("connection_rate");
    gate_.audit_refusal("connection", peer,
                        "more than " + std::to_string(static_cast<long long>(config_.limits.connections_per_address.burst)) +
                            " new connections at once (bridge.limits.connection_rate/connection_burst)",
                        loop_.now());
    return false;
}

// GET /api/map, POST /api/map/{validate,apply,save}: everything up to the body.
int HttpRouter::map_request(lws* wsi, Request& request, bool post, const std::string& path) {
    using map_api::Action;
    Action action = map_api::action_of(path);
    if (!post) {
        if (path == "/api/map") {
            if (!may_read(wsi, request)) return 0;
            MapDocument doc = map_admin_->current();
            auto admin = admin_check(wsi, identity(wsi));
            nlohmann::json body = {{"path", doc.path},         {"text", doc.text},
                                   {"version", doc.version},   {"admin", admin.admin},
                                   {"admin_reason", admin.reason}, {"max_bytes", map_api::max_body_bytes}};
            defer_json(wsi, request, HTTP_STATUS_OK, map_api::dump(body));
            return 0;
        }
        if (path == "/api/map/schema") return schema_request(wsi, request);
        if (action != Action::none) {
            defer_json(wsi, request, HTTP_STATUS_METHOD_NOT_ALLOWED, map_api::error_body("bad_request", "use POST"));
            return 0;
        }
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "not found");
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    // A refusal before the body was read closes the connection afterwards (the unread body must
    // not be parsed as the next request).
    auto refuse = [&](unsigned status, const char* code, const std::string& message) {
        defer_json(wsi, request, status, map_api::error_body(code, message), true);
        return 0;
    };
    if (action == Action::none) return refuse(HTTP_STATUS_METHOD_NOT_ALLOWED, "bad_request", "POST goes to /api/map/validate, /apply or /save");
    if (!origin_allowed(wsi, (std::string("POST ") + path).c_str()))
        return refuse(HTTP_STATUS_FORBIDDEN, "refused", "origin not allowed (see bridge.allowed_origins)");
    if (action == Action::validate) {
        if (!may_read(wsi, request)) {
            request.close_after = true;
            return 0;
        }
    } else {
        auto who = identity(wsi);
        auto admin = admin_check(wsi, who);
        if (!admin.admin) {
            door_.audit(requester(wsi, who), false, std::string("map ") + map_api::to_string(action),
                         "refused (forbidden): " + admin.reason);
            count_refusal("forbidden");
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
    request.action = action;
    request.in.emplace();
    if (declared == 0) return map_post(wsi, request);  // lws delivers no body completion for an empty body
    return 0;
}

// The whole body arrived.
int HttpRouter::map_post(lws* wsi, Request& request) {
    using map_api::Action;
    std::string body = request.in ? std::move(*request.in) : std::string();
    request.in.reset();
    auto parsed = map_api::parse_draft(header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE), body, header(wsi, WSI_TOKEN_HTTP_IF_MATCH));
    if (!parsed.draft) {
        defer_json(wsi, request, HTTP_STATUS_BAD_REQUEST, map_api::error_body("bad_request", parsed.error));
        return 0;
    }
    map_api::Draft& draft = *parsed.draft;
    if (request.action == Action::validate) {
        auto problems = map_admin_->validate(draft.text, admin_check(wsi, identity(wsi)).admin);
        nlohmann::json answer = {{"ok", problems.empty()}, {"problems", map_api::problems_json(problems)}};
        defer_json(wsi, request, HTTP_STATUS_OK, map_api::dump(answer));
        return 0;
    }
    auto who = identity(wsi);
    Requester tag = requester(wsi, who);
    const std::string action = std::string("map ") + map_api::to_string(request.action);
    if (draft.version.empty()) {
        door_.audit(tag, false, action, "refused (bad_request): no base version");
        defer_json(wsi, request, 428, map_api::error_body("bad_request",
            "say which version the draft is based on ({\"text\", \"version\"} or If-Match)"));
        return 0;
    }
    std::uint64_t id = await(wsi, request);
    std::weak_ptr<bool> alive = alive_;
    auto done = [this, alive, id, tag, action](MapApplyResult result) {
        auto router_alive = alive.lock();
        if (!router_alive || !*router_alive) return;
        try {
            std::string summary = join(result.summary, "; ");
            if (result.error) {
                door_.audit(tag, false, action, "refused (" + result.error->code + "): " + result.error->message);
            } else {
                door_.audit(tag, true, action,
                             "done, version " + result.version + ": " + (summary.empty() ? "no changes" : summary));
            }
            auto answer = map_api::apply_answer(result);
            answer_later(id, answer.status, std::move(answer.body));
        } catch (const std::exception& e) {
            spdlog::error("map {}: answering the request failed: {}", action, e.what());
        }
    };
    try {
        map_admin_->apply(draft.text, draft.version, request.action == Action::save, done);
    } catch (const std::exception& e) {
        door_.audit(tag, false, action, std::string("failed: ") + e.what());
        answer_later(id, HTTP_STATUS_INTERNAL_SERVER_ERROR, map_api::error_body("io", e.what()));
    }
    return 0;
}

std::uint64_t HttpRouter::await(lws* wsi, Request& request) {
    std::uint64_t id = next_wait_++;
    waiting_.emplace(id, wsi);
    request.waiting = id;
    return id;
}

void HttpRouter::answer_later(std::uint64_t id, unsigned status, std::string body, std::string mime) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) {
        spdlog::info("an answer for a request whose connection is gone; dropped");
        return;
    }
    lws* wsi = it->second;
    waiting_.erase(it);
    Request* request = find(wsi);
    if (request == nullptr) return;
    request->waiting = 0;
    defer_json(wsi, *request, status, std::move(body));
    request->mime = std::move(mime);
}

int HttpRouter::route(lws* wsi, Request& request, std::string path) {
    if (!host_allowed(wsi, "HTTP request")) {
        defer_json(wsi, request, 421,
                   map_api::error_body("misdirected", "this bridge is not reachable by that name; its "
                                                      "administrator can add it to bridge.allowed_hosts"),
                   true);
        return 0;
    }
    bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    if (!get && !post) {
        spdlog::info("refused HTTP method from {} for {}: only GET and POST", peer_address(wsi), path);
        defer_json(wsi, request, HTTP_STATUS_METHOD_NOT_ALLOWED,
                   map_api::error_body("bad_request", "only GET and POST are served"), true);
        return 0;
    }
    if (path == "/api/map" || path.rfind("/api/map/", 0) == 0) {
        if (map_admin_ != nullptr) return map_request(wsi, request, post, path);
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "device map editing is not available");
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    if (path == "/api/login") {
        if (post) return login_request(wsi, request);
        defer_json(wsi, request, HTTP_STATUS_METHOD_NOT_ALLOWED, map_api::error_body("bad_request", "use POST"));
        return 0;
    }
    if (post) {
        defer_json(wsi, request, HTTP_STATUS_METHOD_NOT_ALLOWED,
                   map_api::error_body("bad_request", "POST is only served under /api/map and at /api/login"), true);
        return 0;
    }
    if (path == "/healthz") {
        auto uptime = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count();
        nlohmann::json body = {{"status", "ok"}, {"uptime_s", uptime}, {"clients", sessions_.size()}};
        request.out = body.dump();
        request.data = request.out;
        return begin_response(wsi, request, HTTP_STATUS_OK, "application/json");
    }
    if (path == "/api/history") return history_request(wsi, request);
    if (path == "/metrics") {
        if (!metrics_) {
            lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "not found");
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        if (!may_read(wsi, request)) return 0;
        request.out = metrics_();
        request.data = request.out;
        return begin_response(wsi, request, HTTP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8");
    }
    if (path == "/api/channels") {
        if (!may_read(wsi, request)) return 0;
        request.out = channels_ != nullptr ? protocol::channels_document(config_.name, *channels_) : "{}";
        request.data = request.out;
        return begin_response(wsi, request, HTTP_STATUS_OK, "application/json");
    }
    if (path == "/") path = "/index.html";
    for (const auto& asset : web_assets()) {
        if (asset.path == path) return serve_asset(wsi, request, asset, mime_type(path));
    }
    lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "not found");
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// ---- GET /api/history (docs/history.md): the query string, the answer from the history store. ----

namespace {

// name=value pairs of the query string (lws has decoded %xx); at most 16, each at most 256 bytes.
std::map<std::string, std::string> query_arguments(lws* wsi) {
    std::map<std::string, std::string> out;
    char buffer[256];
    for (int n = 0; n < 16; ++n) {
        int length = lws_hdr_copy_fragment(wsi, buffer, sizeof buffer, WSI_TOKEN_HTTP_URI_ARGS, n);
        if (length < 0) break;
        std::string_view item(buffer, static_cast<std::size_t>(length));
        auto eq = item.find('=');
        out.emplace(std::string(item.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1)));
    }
    return out;
}

// Milliseconds since the Unix epoch, or relative to now as "-24h", "-30d", "-90m", "-10s", or "now".
std::optional<std::int64_t> time_argument(const std::string& text, std::int64_t now) {
    if (text == "now") return now;
    if (text.empty() || text.size() > 20) return std::nullopt;
    if (text[0] == '-') {
        const char unit = text.back();
        const std::int64_t scale = unit == 's' ? 1000 : unit == 'm' ? 60000 : unit == 'h' ? 3600000 : unit == 'd' ? 86400000 : 0;
        std::string digits = text.substr(1, text.size() - 2);
        if (scale == 0 || digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        return now - std::stoll(digits) * scale;
    }
    if (text.size() > 15 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoll(text);
}

// A step as milliseconds or with a unit: "60000", "1m", "5s", "1h", "1d".
std::optional<std::int64_t> step_argument(const std::string& text) {
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::int64_t scale = 1;
    std::string digits = text;
    if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
        digits = text.substr(0, text.size() - 2);
    } else if (char unit = text.back(); unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') {
        scale = unit == 's' ? 1000 : unit == 'm' ? 60000 : unit == 'h' ? 3600000 : 86400000;
        digits = text.substr(0, text.size() - 1);
    }
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoll(digits) * scale;
}

unsigned history_status(const std::string& code) {
    if (code == "unknown_channel") return HTTP_STATUS_NOT_FOUND;
    if (code == "bad_request") return HTTP_STATUS_BAD_REQUEST;
    if (code == "busy") return 429;
    return HTTP_STATUS_SERVICE_UNAVAILABLE;
}

}  // namespace

int HttpRouter::history_request(lws* wsi, Request& request) {
    if (!may_read(wsi, request)) return 0;
    auto args = query_arguments(wsi);
    const std::int64_t now = wall_clock_ms();
    auto bad = [&](const std::string& message) {
        defer_json(wsi, request, HTTP_STATUS_BAD_REQUEST, map_api::error_body("bad_request", message));
        return 0;
    };
    const std::string format = args.count("format") ? args["format"] : "json";
    if (format != "json" && format != "csv") return bad("'format' is json or csv");
    if (args["channel"].empty()) return bad("name the channel: /api/history?channel=ID&from=-24h");
    HistoryQuery query;
    query.channel = args["channel"];
    auto from = time_argument(args.count("from") ? args["from"] : "-1h", now);
    auto to = time_argument(args.count("to") ? args["to"] : "now", now);
    if (!from || !to) return bad("'from' and 'to' are milliseconds since the Unix epoch, 'now', or relative as -90s, -30m, -24h, -7d");
    query.from_ms = *from;
    query.to_ms = *to;
    if (args.count("step")) {
        auto step = step_argument(args["step"]);
        if (!step) return bad("'step' is milliseconds, or with a unit as 10s, 1m, 1h, 1d");
        query.step_ms = *step;
    }
    if (history_ == nullptr) {
        defer_json(wsi, request, HTTP_STATUS_SERVICE_UNAVAILABLE,
                   map_api::error_body("unavailable", "history is off on this bridge (docs/history.md)"));
        return 0;
    }
    std::uint64_t id = await(wsi, request);
    std::weak_ptr<bool> alive = alive_;
    history_->query(std::move(query), [this, alive, id, csv = format == "csv"](Result<HistoryAnswer> answer) {
        auto router_alive = alive.lock();
        if (!router_alive || !*router_alive) return;
        if (!answer.ok()) {
            answer_later(id, history_status(answer.error().code),
                         map_api::error_body(answer.error().code, answer.error().message));
            return;
        }
        std::string body = csv ? protocol::history_csv(answer.value()) : protocol::history_json(answer.value());
        answer_later(id, HTTP_STATUS_OK, std::move(body), csv ? "text/csv; charset=utf-8" : "");
    });
    return 0;
}

int HttpRouter::writeable(lws* wsi, Request& request) {
    if (!request.sending) return 0;
    if (request.headers_pending) return write_deferred_headers(wsi, request);
    std::size_t n = std::min(chunk_size, request.data.size() - request.sent);
    bool last = request.sent + n == request.data.size();
    std::string chunk(LWS_PRE, '\0');
    chunk.append(request.data.data() + request.sent, n);
    auto* payload = reinterpret_cast<unsigned char*>(chunk.data() + LWS_PRE);
    if (lws_write(wsi, payload, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n)) return -1;
    request.sent += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    bool close = request.close_after;
    // The transaction is over: a kept-alive connection starts its next request afresh.
    if (request.waiting != 0) waiting_.erase(request.waiting);
    request = Request{};
    if (close) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int HttpRouter::callback(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len) {
    switch (reason) {
        case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
            // `in` carries the accepted socket; no connection of its own exists yet.
            return connection_allowed(static_cast<int>(reinterpret_cast<std::intptr_t>(in))) ? 0 : 1;

        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return upgrade_allowed(wsi) ? 0 : 1;

        case LWS_CALLBACK_HTTP:
            return route(wsi, request_of(wsi), std::string(static_cast<const char*>(in), len));

        case LWS_CALLBACK_HTTP_BODY: {
            Request* request = find(wsi);
            if (request == nullptr || !request->in) return 0;  // refused already; the answer is on its way
            if (request->login && request->in->size() + len > max_login_body_bytes) {
                defer_json(wsi, *request, HTTP_STATUS_REQ_ENTITY_TOO_LARGE,
                           map_api::error_body("too_large", "a sign-in body has at most 4096 bytes"), true);
                return 0;
            }
            if (request->in->size() + len > map_api::max_body_bytes) {
                defer_json(wsi, *request, HTTP_STATUS_REQ_ENTITY_TOO_LARGE,
                           map_api::error_body("too_large", "a device map may have at most " +
                                                                std::to_string(map_api::max_body_bytes) + " bytes"),
                           true);
                return 0;
            }
            request->in->append(static_cast<const char*>(in), len);
            return 0;
        }

        case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
            Request* request = find(wsi);
            if (request == nullptr || !request->in) return 0;
            return request->login ? login_post(wsi, *request) : map_post(wsi, *request);
        }

        case LWS_CALLBACK_HTTP_WRITEABLE: {
            Request* request = find(wsi);
            return request != nullptr ? writeable(wsi, *request) : 0;
        }

        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        case LWS_CALLBACK_CLOSED_HTTP:
            if (auto it = requests_.find(wsi); it != requests_.end()) {
                if (it->second->waiting != 0) waiting_.erase(it->second->waiting);
                requests_.erase(it);
            }
            return 0;

        default:
            return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
    }
}

// ---- authentication on the HTTP side (docs/protocol.md, "Authentication"): Bearer tokens on
// /api requests, who may read and who may change the map, and POST /api/login (pass-phrase). ----

Requester HttpRouter::requester(lws* wsi, const Result<Identity>& who) const {
    Requester requester("http", peer_address(wsi), "http");
    if (who.ok()) {
        requester.identity = who.value();
    } else {
        requester.identity.subject = "?";
    }
    return requester;
}

Result<Identity> HttpRouter::identity(lws* wsi) const {
    // Only Bearer tokens are ours; other schemes (a reverse proxy's Basic) count as no token.
    auto token = bearer_token(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
    if (!token) return door_.access().anonymous();
    return door_.access().authenticate(*token, wall_clock_ms());
}

void HttpRouter::count_refusal(std::string_view code) {
    auto it = refusals_.find(code);
    if (it == refusals_.end()) it = refusals_.emplace(std::string(code), 0).first;
    ++it->second;
}

bool HttpRouter::may_read(lws* wsi, Request& request) {
    auto who = identity(wsi);
    if (who.ok() && who.value().role >= Role::viewer) return true;
    Error error = who.ok() ? Error{"unauthorized", "sign in first: send 'Authorization: Bearer TOKEN'"} : who.error();
    count_refusal(error.code);
    door_.audit(requester(wsi, Error{"", ""}), false,
                "read " + header(wsi, WSI_TOKEN_GET_URI) + header(wsi, WSI_TOKEN_POST_URI),
                "refused (" + error.code + "): " + error.message);
    defer_json(wsi, request, HTTP_STATUS_UNAUTHORIZED, map_api::error_body(error.code, error.message));
    return false;
}

map_api::AdminCheck HttpRouter::admin_check(lws* wsi, const Result<Identity>& who) const {
    const Access& access = door_.access();
    if (!access.enabled()) return map_api::admin_check(peer_address(wsi), header(wsi, WSI_TOKEN_HOST));
    if (!who.ok()) return {false, "Your token was refused (" + who.error().code + "): " + who.error().message};
    auto allowed = access.may_change_map(who.value());
    if (!allowed.ok()) return {false, "Applying and saving the device map needs the admin role. " + allowed.error().message + "."};
    return {true, "Signed in as " + who.value().subject + " with the admin role: you may apply and save the device map."};
}

int HttpRouter::login_request(lws* wsi, Request& request) {
    auto refuse = [&](unsigned status, const char* code, const std::string& message) {
        Door::audit_as("passphrase", requester(wsi, Error{"", ""}), false, "login",
                       std::string("refused (") + code + "): " + message);
        defer_json(wsi, request, status, map_api::error_body(code, message), true);
        return 0;
    };
    if (!origin_allowed(wsi, "POST /api/login")) return refuse(HTTP_STATUS_FORBIDDEN, "refused", "origin not allowed");
    if (!door_.access().passphrase_login())
        return refuse(HTTP_STATUS_NOT_FOUND, "not_configured", "this bridge has no pass-phrase sign-in (auth.passphrase_hash)");
    // Penalties and the line are looked at when the guess is evaluated (login.h), not now: a
    // connection that sends its headers and keeps its body holds nothing.
    request.login = true;
    request.in.emplace();
    if (header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH).empty() || header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) == "0")
        return login_post(wsi, request);
    return 0;
}

int HttpRouter::login_post(lws* wsi, Request& request) {
    std::string body = request.in ? std::move(*request.in) : std::string();
    request.in.reset();
    Requester tag = requester(wsi, Error{"", ""});
    tag.identity.subject = "passphrase";
    auto json = nlohmann::json::parse(body, nullptr, false);
    auto passphrase = json.is_object() ? json.find("passphrase") : json.end();
    if (!json.is_object() || passphrase == json.end() || !passphrase->is_string()) {
        door_.audit(tag, false, "login", "refused (bad_request)");
        defer_json(wsi, request, HTTP_STATUS_BAD_REQUEST, map_api::error_body("bad_request", "send {\"passphrase\": \"...\"}"));
        return 0;
    }
    auto hash = auth::parse_passphrase_hash(door_.access().config().passphrase_hash);
    if (!hash) {  // the loader checked it; a bug, not a reason to crash
        defer_json(wsi, request, HTTP_STATUS_INTERNAL_SERVER_ERROR, map_api::error_body("io", "the pass-phrase hash is unusable"));
        return 0;
    }
    if (!login_) login_ = std::make_unique<LoginChecks>(loop_);
    std::uint64_t id = await(wsi, request);
    std::weak_ptr<bool> alive = alive_;
    login_->check(tag.source(), passphrase->get<std::string>(), *hash, [this, alive, id, tag](LoginChecks::Verdict verdict) {
        auto router_alive = alive.lock();
        if (!router_alive || !*router_alive) return;
        try {
            using Outcome = LoginChecks::Outcome;
            if (verdict.outcome == Outcome::penalized || verdict.outcome == Outcome::busy) {
                std::string message = verdict.outcome == Outcome::busy
                                          ? "a sign-in from this address is already being checked (or too many are); try again"
                                          : "too many failed sign-ins from this address; try again in " +
                                                std::to_string(verdict.wait.count()) + " s";
                door_.audit(tag, false, "login", "refused (too_many_attempts): " + message);
                answer_later(id, 429, map_api::error_body("too_many_attempts", message));
                return;
            }
            if (verdict.outcome == Outcome::mismatch) {
                door_.audit(tag, false, "login", "refused (bad_passphrase)");
                answer_later(id, HTTP_STATUS_UNAUTHORIZED, map_api::error_body("bad_passphrase", "wrong pass-phrase"));
                return;
            }
            const Access& access = door_.access();
            std::int64_t expires = 0;
            std::string token = access.issue_login_token(wall_clock_ms(), &expires);
            door_.audit(tag, true, "login", std::string("ok, role ") + to_string(access.config().passphrase_role));
            nlohmann::json answer = {{"token", token},
                                     {"role", to_string(access.config().passphrase_role)},
                                     {"subject", "passphrase"},
                                     {"expires", expires}};
            answer_later(id, HTTP_STATUS_OK, answer.dump());
        } catch (const std::exception& e) {
            spdlog::error("login: answering failed: {}", e.what());
        }
    });
    return 0;
}

}  // namespace hwb
