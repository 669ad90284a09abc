// The libwebsockets context of the server (internal to src/server): the one owner of the lws
// context, its vhost, the protocol table and the C callbacks. RAII: the context is destroyed by
// this object's destructor, after the loop's timers and watches were made inert. The callbacks
// only forward to an LwsHandler; nothing thrown crosses into libwebsockets' C code.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <memory>

#include "core/channel_info.h"
#include "core/device_map.h"
#include "lws/lws_loop.h"

namespace hwb {

class Session;

// Who the callbacks reach (the Server, which hands them to its session hub and HTTP router).
class LwsHandler {
public:
    virtual ~LwsHandler() = default;
    // A WebSocket of subprotocol `kind` is established: its session, or nullptr to refuse it.
    virtual Session* open_session(ChannelKind kind, lws* wsi) = 0;
    virtual void close_session(Session* session) = 0;
    // Every callback of the HTTP protocol (the first entry: HTTP, upgrades, new connections).
    virtual int http(lws* wsi, lws_callback_reasons reason, void* in, std::size_t len) = 0;
};

class LwsContext {
public:
    // Listens on config.listen_host:listen_port (port 0: any free port), with TLS when configured.
    // Throws std::runtime_error when it cannot.
    LwsContext(const BridgeConfig& config, LwsHandler& handler);
    ~LwsContext();
    LwsContext(const LwsContext&) = delete;
    LwsContext& operator=(const LwsContext&) = delete;

    LwsLoop& loop() { return *loop_; }
    std::uint16_t port() const { return port_; }
    // One turn of the loop; false when libwebsockets failed.
    bool service() { return lws_service(context_.get(), 0) >= 0; }
    // Wakes a service() in progress (from any loop callback).
    void cancel_service() { lws_cancel_service(context_.get()); }

private:
    struct Destroy {
        void operator()(lws_context* context) const { lws_context_destroy(context); }
    };
    lws_retry_bo_t keepalive_{};  // lws keeps the pointer: must outlive context_
    std::unique_ptr<lws_context, Destroy> context_;
    std::unique_ptr<LwsLoop> loop_;
    std::uint16_t port_ = 0;
};

}  // namespace hwb
