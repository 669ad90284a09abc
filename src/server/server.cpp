#include "server/server.h"

#include <libwebsockets.h>

#include <spdlog/spdlog.h>

#include "server/connection.h"
#include "server/http_router.h"
#include "server/lws_context.h"
#include "server/session_hub.h"

namespace hwb {

// What the context's callbacks reach: WebSockets to the session hub, HTTP to the router. Both
// exist before the loop first runs; after the server began stopping no session is opened.
class Handler final : public LwsHandler {
public:
    explicit Handler(const bool& stopping) : stopping_(stopping) {}
    SessionHub* hub = nullptr;
    HttpRouter* router = nullptr;

    Session* open_session(ChannelKind kind, lws* wsi) override {
        if (hub == nullptr || stopping_) return nullptr;
        // A token may come in the upgrade's Authorization header (non-browser clients); other
        // schemes (a proxy's Basic) are not ours.
        std::optional<std::string> token;
        if (std::string value = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION); !value.empty()) token = bearer_token(value);
        return hub->open(kind, wsi, peer_address(wsi), std::move(token));
    }
    void close_session(Session* session) override {
        if (hub != nullptr) hub->close(session);
    }
    int http(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len) override {
        if (router == nullptr) return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
        return router->callback(wsi, reason, in, len);
    }

private:
    const bool& stopping_;
};

Server::Server(BridgeConfig config) : config_(std::move(config)) {
    handler_ = std::make_unique<Handler>(stopping_);
    lws_ = std::make_unique<LwsContext>(config_, *handler_);
    door_ = std::make_unique<Door>(lws_->loop(), config_.limits);
    sessions_ = std::make_unique<SessionHub>(lws_->loop(), *door_, config_);
    http_ = std::make_unique<HttpRouter>(lws_->loop(), *door_, config_, *sessions_);
    handler_->hub = sessions_.get();
    handler_->router = http_.get();
}

Server::~Server() {
    // Timers of sessions closed on the way must not touch the context being torn down; a
    // pass-phrase check in progress is waited for while the loop still exists.
    sessions_->stop_timers();
    handler_->router = nullptr;
    http_.reset();
    // Closes every connection with 1001 (going away); their CLOSED callbacks still reach the hub.
    lws_.reset();
    handler_->hub = nullptr;
}

EventLoop& Server::loop() { return lws_->loop(); }
std::uint16_t Server::port() const { return lws_->port(); }
std::size_t Server::client_count() const { return sessions_->size(); }
void Server::set_map_admin(MapAdmin* admin) { http_->set_map_admin(admin); }
void Server::set_history(HistorySource* history) {
    sessions_->set_history(history);
    http_->set_history(history);
}
void Server::set_metrics(std::function<std::string()> metrics) { http_->set_metrics(std::move(metrics)); }
std::size_t Server::client_count(ChannelKind kind) const { return sessions_->count(kind); }
const std::map<std::string, std::uint64_t, std::less<>>& Server::refusals() const { return http_->refusals(); }
SentCounts Server::sent(ChannelKind kind) const { return sessions_->sent(kind); }
ReadingTraffic Server::reading_traffic(const Sensor& sensor) const { return sessions_->reading_traffic(sensor); }

void Server::attach(Channels& channels) {
    sessions_->attach(channels);
    door_->attach(channels);
    http_->attach(channels);
}

void Server::set_auth(const AuthConfig& auth, std::string secret) {
    if (door_->set_auth(auth, std::move(secret))) sessions_->identities_changed();
}

void Server::channels_changing() { sessions_->channels_changing(); }

void Server::channels_changed(const BridgeConfig& bridge) {
    std::string host = config_.listen_host;
    std::uint16_t port = config_.listen_port;
    TlsConfig tls = config_.tls;  // like the listen address, TLS changes need a restart
    config_ = bridge;
    config_.listen_host = host;
    config_.listen_port = port;
    config_.tls = tls;
    door_->configure(config_.limits);
    http_->configure();
    sessions_->channels_changed();
}

void Server::run() {
    while (!stopping_) {
        if (!lws_->service()) return;
    }
    // Tell every client why it is being disconnected (1001, going away) before the context goes.
    sessions_->close_all(LWS_CLOSE_STATUS_GOINGAWAY, "hwbridge is shutting down");
    auto deadline = Clock::now() + std::chrono::seconds(1);
    Timer tick(lws_->loop(), [] {});  // bounds each lws_service() wait
    while (sessions_->size() != 0 && Clock::now() < deadline) {
        tick.start(std::chrono::milliseconds(20));
        if (!lws_->service()) break;
    }
}

void Server::stop() {
    stopping_ = true;
    lws_->cancel_service();
}

}  // namespace hwb
