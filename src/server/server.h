// The libwebsockets server: HTTP (embedded page, /api/channels, /healthz) and the sensor, relay
// and text subprotocols, all on one event loop that drivers reach through EventLoop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "server/host_names.h"
#include "server/limits.h"
#include "door/door.h"
#include "server/lws_loop.h"
#include "server/map_admin.h"
#include "server/map_api.h"
#include "server/session.h"

namespace hwb {

class Session;
struct HttpSlot;
class SensorSession;
class RelaySession;
class TextSession;
class LoginChecks;

// lws per-connection memory of the HTTP protocol (HttpSlot, http.cpp).
constexpr std::size_t http_slot_size = sizeof(void*) * 10;

class Server final : private ChannelObserver {
public:
    // Creates the context and listens on config.listen_host:listen_port (port 0: any free port).
    // Throws std::runtime_error when it cannot listen.
    explicit Server(BridgeConfig config);
    ~Server() override;
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    EventLoop& loop() { return *loop_; }
    std::uint16_t port() const { return port_; }
    const BridgeConfig& config() const { return config_; }
    std::size_t max_message_bytes() const { return config_.max_message_bytes; }
    bool tls() const { return config_.tls.enabled(); }
    // Rate limits and caps (limits.h); refusals are audited through it.
    Gatekeeper& gate() { return gate_; }

    // Channels must outlive the server's run().
    void attach(Channels& channels);
    // Map reload: call channels_changing() before adding, removing or rearranging channels and
    // channels_changed() after, within one loop callback. Every connected client then gets a new
    // hello on its existing connection; sensor subscriptions and open text channels are kept by id.
    // `bridge` carries the reloaded bridge section (its listen address is not changed).
    void channels_changing();
    void channels_changed(const BridgeConfig& bridge);
    Channels& channels() { return *channels_; }
    // Who may do what (docs/security.md, "Authentication"); `secret` is auth.secret_file's content.
    // At start and on every map reload; when identities change meaning (another secret, other
    // machine tokens, another anonymous role) every client is closed with 1012 to connect again.
    void set_auth(const AuthConfig& auth, std::string secret);
    const Access& access() const { return door_->access(); }
    // Every control request of every client passes here (door/door.h).
    Door& door() { return *door_; }
    // Serves /api/map (read, validate, apply, save); without one those answer 404.
    void set_map_admin(MapAdmin* admin) { map_admin_ = admin; }

    void run();   // services the loop until stop()
    void stop();  // callable from any loop callback
    std::size_t client_count() const { return sessions_.size(); }
    std::int64_t uptime_s() const;

    // Shared by all sensor sessions: the encoded last reading of sensor `index`, re-encoded only
    // when the sensor published since.
    const Message& encoded_reading(std::size_t index);
    // Bytes queued by all sessions together (each session counts what it holds), and the budget
    // above which the largest queues are closed.
    void account_queued(std::size_t added, std::size_t removed) { queued_total_ += added; queued_total_ -= removed; }
    std::size_t queued_total() const { return queued_total_; }
    static constexpr std::size_t queued_budget = 64 * 1024 * 1024;
    const Sensor& sensor_at(std::size_t index) const { return *channels_->sensors()[index]; }

    // lws glue.
    Session* open_session(ChannelKind kind, lws* wsi);
    void close_session(Session* session);
    std::shared_ptr<Session> shared(Session* session) const;
    int http(lws* wsi, int reason, void* user, void* in, std::size_t len);

private:
    void on_reading(const Sensor& sensor) override;
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    // An HTTP client as the door knows it, for audit lines (subject "?" when its token was refused).
    Requester http_requester(lws* wsi, const Result<Identity>& who) const;
    void on_text_line(const TextChannel& channel, const TextLine& line) override;
    void on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) override;

    bool upgrade_allowed(lws* wsi);
    // DNS rebinding guard (host_names.h): false when Host does not name this bridge; logs (throttled).
    bool host_allowed(lws* wsi, const char* what);
    // A new TCP connection (LWS_CALLBACK_FILTER_NETWORK_CONNECTION): false closes it at once.
    bool connection_allowed(int fd);
    // Origin rule shared by WebSocket upgrades and POSTs (a CSRF guard): own host or
    // bridge.allowed_origins; requests without Origin come from non-browser clients. Logs refusals.
    bool origin_allowed(lws* wsi, const char* what);
    // /api/map (map_api.h); http.cpp.
    int map_request(lws* wsi, HttpSlot* slot, bool post, const std::string& path);
    int map_post(lws* wsi, HttpSlot* slot);
    // Authentication of HTTP requests (http_auth.cpp): the Bearer token's identity, else the
    // anonymous one; an invalid token is an error (never silently anonymous).
    Result<Identity> http_identity(lws* wsi);
    // Answers 401 (or 403) when the request may not read the bridge's data; true when it may.
    bool may_read(lws* wsi, HttpSlot* slot);
    // Map apply/save: admins with authentication, local clients without (map_api::admin_check).
    map_api::AdminCheck map_admin_check(lws* wsi, const Result<Identity>& who);
    // POST /api/login.
    int login_request(lws* wsi, HttpSlot* slot);
    int login_post(lws* wsi, HttpSlot* slot);
    void http_result(std::uint64_t request, unsigned status, std::string body);
    void map_applied(std::uint64_t request, const MapApplyResult& result);

    BridgeConfig config_;
    Gatekeeper gate_{config_.limits};
    HostNames host_names_;
    lws_retry_bo_t keepalive_{};  // from config_; must outlive context_
    lws_context* context_ = nullptr;
    lws_vhost* vhost_ = nullptr;
    std::unique_ptr<LwsLoop> loop_;
    std::unique_ptr<Door> door_;  // made with the loop; before the sessions that use it
    std::uint16_t port_ = 0;
    Channels* channels_ = nullptr;
    MapAdmin* map_admin_ = nullptr;
    std::unique_ptr<LoginChecks> login_;  // created with the first pass-phrase sign-in
    // Map apply/save requests waiting for their result, by request id: a connection that closes
    // meanwhile is erased (CLOSED_HTTP), so a late result is dropped, never written to a freed wsi.
    std::unordered_map<std::uint64_t, lws*> map_requests_;
    std::uint64_t next_map_request_ = 1;
    // Results may arrive after the server is gone; they check this first.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool stopping_ = false;
    Clock::time_point started_ = Clock::now();
    std::uint64_t next_client_ = 1;

    std::size_t queued_total_ = 0;  // before sessions_: sessions give their bytes back when destroyed
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;
    std::vector<SensorSession*> sensor_sessions_;
    std::vector<RelaySession*> relay_sessions_;
    std::vector<TextSession*> text_sessions_;
    std::unordered_map<const Sensor*, std::size_t> sensor_index_;
    struct CachedReading {
        std::uint64_t seq = 0;
        Message json;
    };
    std::vector<CachedReading> reading_cache_;
};

}  // namespace hwb
