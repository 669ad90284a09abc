// HTTP of the server (internal to src/server): the embedded page, GET /api/channels, GET
// /healthz, /api/map (read, validate, apply, save; meaning in map_api.cpp), POST /api/login, and
// the gatekeeping of new connections and WebSocket upgrades (Host, connection cap, subprotocol,
// Origin). Each connection's request state is an HttpRequest owned here, created with the
// connection's first request and destroyed when it closes; libwebsockets' memory holds none of it.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/history.h"
#include "door/door.h"
#include "server/host_names.h"
#include "server/limits.h"
#include "server/map_admin.h"
#include "server/map_api.h"

namespace hwb {

class LoginChecks;
class SessionHub;

class HttpRouter {
public:
    // `config` is the server's running bridge section (read at use: reloads change it).
    HttpRouter(EventLoop& loop, Door& door, const BridgeConfig& config, const SessionHub& sessions);
    ~HttpRouter();  // waits for a pass-phrase check in progress
    HttpRouter(const HttpRouter&) = delete;
    HttpRouter& operator=(const HttpRouter&) = delete;

    void attach(Channels& channels) { channels_ = &channels; }
    // Serves /api/map (read, validate, apply, save); without one those answer 404.
    // Also asks it for the schema once and prepares its answer (ETag, gzip) for GET /api/map/schema.
    void set_map_admin(MapAdmin* admin);
    void set_history(HistorySource* history) { history_ = history; }
    void set_metrics(std::function<std::string()> metrics) { metrics_ = std::move(metrics); }
    // Connections, upgrades and HTTP requests refused, by code (GET /metrics): a fixed set of
    // codes (connection_rate, host_not_allowed, ..., the authentication's error codes).
    const std::map<std::string, std::uint64_t, std::less<>>& refusals() const { return refusals_; }
    // Map reload: new limits and allowed hosts.
    void configure();
    Gatekeeper& gate() { return gate_; }

    // Every callback of the HTTP protocol; the return value goes back to lws (non-zero closes).
    int callback(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len);

    struct Request;  // one connection's request state (defined in http_router.cpp)

private:
    Request& request_of(lws* wsi);
    Request* find(lws* wsi);

    // DNS rebinding guard (host_names.h): false when Host does not name this bridge; logs (throttled).
    bool host_allowed(lws* wsi, const char* what);
    bool upgrade_allowed(lws* wsi);
    // A new TCP connection (LWS_CALLBACK_FILTER_NETWORK_CONNECTION): false closes it at once.
    bool connection_allowed(int fd);
    // Origin rule shared by WebSocket upgrades and POSTs (a CSRF guard): own host or
    // bridge.allowed_origins; requests without Origin come from non-browser clients. Logs refusals.
    bool origin_allowed(lws* wsi, const char* what);

    int route(lws* wsi, Request& request, std::string path);
    int map_request(lws* wsi, Request& request, bool post, const std::string& path);
    int map_post(lws* wsi, Request& request);
    // GET /api/map/schema: who may read the map gets the schema, gzip when accepted, with a strong
    // ETag (304 when the browser has it).
    int schema_request(lws* wsi, Request& request);
    // Authentication of HTTP requests (http_auth.cpp): the Bearer token's identity, else the
    // anonymous one; an invalid token is an error (never silently anonymous).
    Result<Identity> identity(lws* wsi) const;
    // An HTTP client as the door knows it, for audit lines (subject "?" when its token was refused).
    Requester requester(lws* wsi, const Result<Identity>& who) const;
    // Answers 401 when the request may not read the bridge's data; true when it may.
    bool may_read(lws* wsi, Request& request);
    void count_refusal(std::string_view code);  // refusals() for GET /metrics
    // Map apply/save: admins with authentication, local clients without (map_api::admin_check).
    map_api::AdminCheck admin_check(lws* wsi, const Result<Identity>& who) const;
    // GET /api/history?channel=&from=&to=&step=&format=json|csv (history_api.cpp).
    int history_request(lws* wsi, Request& request);
    int login_request(lws* wsi, Request& request);
    int login_post(lws* wsi, Request& request);
    // An answer that arrives after the request callback returned (apply, save, sign-in): written
    // if the connection is still there, dropped otherwise.
    std::uint64_t await(lws* wsi, Request& request);
    void answer_later(std::uint64_t id, unsigned status, std::string body, std::string mime = {});
    int writeable(lws* wsi, Request& request);

    EventLoop& loop_;
    Door& door_;
    const BridgeConfig& config_;
    const SessionHub& sessions_;
    Gatekeeper gate_;
    HostNames host_names_;
    Channels* channels_ = nullptr;
    MapAdmin* map_admin_ = nullptr;
    // The schema's answer, prepared by set_map_admin: text, its gzip form (empty if not smaller or
    // zlib failed) and strong ETag (from its SHA-256, without quotes).
    std::string schema_, schema_gzip_, schema_etag_;
    HistorySource* history_ = nullptr;
    std::function<std::string()> metrics_;
    std::map<std::string, std::uint64_t, std::less<>> refusals_;
    std::unique_ptr<LoginChecks> login_;  // created with the first pass-phrase sign-in
    Clock::time_point started_ = Clock::now();
    std::unordered_map<lws*, std::unique_ptr<Request>> requests_;
    // Requests waiting for an answer (apply, save, sign-in), by id: a connection that closes
    // meanwhile is erased, so a late result is dropped, never written to a freed connection.
    std::unordered_map<std::uint64_t, lws*> waiting_;
    std::uint64_t next_wait_ = 1;
    // Results may arrive after the router is gone; they check this first.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hwb
