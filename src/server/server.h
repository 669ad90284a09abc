// The WebSocket and HTTP server, one front of the bridge: the embedded page, the HTTP API and
// the sensor, relay and text subprotocols, all on one event loop that drivers reach through
// EventLoop. Three owners inside (src/server):
//   LwsContext  (lws_context.h)  the libwebsockets context, vhost, protocol table, C callbacks;
//   SessionHub  (session_hub.h)  the sessions, fan-out of channel changes, message cache, budget;
//   HttpRouter  (http_router.h)  HTTP routing, the map API, sign-in, the gate of upgrades.
// Control requests pass the door (door/door.h), like those of every other front.
// This header is the server's public face: it includes no libwebsockets header.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/history.h"
#include "door/door.h"
#include "server/map_admin.h"
#include "server/traffic.h"

namespace hwb {

class LwsContext;
class SessionHub;
class HttpRouter;
class Handler;

class Server final {
public:
    // Creates the context and listens on config.listen_host:listen_port (port 0: any free port).
    // Throws std::runtime_error when it cannot listen.
    explicit Server(BridgeConfig config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    EventLoop& loop();
    std::uint16_t port() const;
    const BridgeConfig& config() const { return config_; }
    bool tls() const { return config_.tls.enabled(); }

    // Channels must outlive the server's run().
    void attach(Channels& channels);
    // Map reload: call channels_changing() before adding, removing or rearranging channels and
    // channels_changed() after, within one loop callback. Every connected client then gets a new
    // hello on its existing connection; sensor subscriptions and open text channels are kept by id.
    // `bridge` carries the reloaded bridge section (its listen address and TLS are not changed).
    void channels_changing();
    void channels_changed(const BridgeConfig& bridge);
    // Who may do what (docs/security.md, "Authentication"); `secret` is auth.secret_file's content.
    // At start and on every map reload; when identities change meaning (another secret, other
    // machine tokens, another anonymous role) every client is closed with 1012 to connect again.
    void set_auth(const AuthConfig& auth, std::string secret);
    // Every control request of every client passes here; other fronts use the same door.
    Door& door() { return *door_; }
    // Serves /api/map (read, validate, apply, save); without one those answer 404.
    void set_map_admin(MapAdmin* admin);
    // Serves the sensor subprotocol's stored history and GET /api/history (docs/history.md);
    // without one those answer `unavailable`. Must outlive the server's run().
    void set_history(HistorySource* history);
    // Serves GET /metrics (docs/metrics.md): the text the function returns, in the Prometheus text
    // format; without one /metrics answers 404.
    void set_metrics(std::function<std::string()> metrics);
    // Connected WebSocket clients of one subprotocol.
    std::size_t client_count(ChannelKind kind) const;
    // What the clients of one subprotocol were sent, since start.
    SentCounts sent(ChannelKind kind) const;
    // Connections, WebSocket upgrades and HTTP requests the server refused, by code.
    const std::map<std::string, std::uint64_t, std::less<>>& refusals() const;
    // What became of a sensor's readings for the sensor clients (zeros for an unknown sensor).
    ReadingTraffic reading_traffic(const Sensor& sensor) const;

    void run();   // services the loop until stop()
    void stop();  // callable from any loop callback
    std::size_t client_count() const;

private:
    BridgeConfig config_;
    bool stopping_ = false;
    // Built in this order; destroyed in the destructor in the reverse (the context first, while
    // the handler, sessions and router its last callbacks reach still exist).
    std::unique_ptr<Handler> handler_;
    std::unique_ptr<LwsContext> lws_;
    std::unique_ptr<Door> door_;
    std::unique_ptr<SessionHub> sessions_;
    std::unique_ptr<HttpRouter> http_;
};

}  // namespace hwb
