#include "server/lws_context.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <spdlog/spdlog.h>

#include "server/session.h"
#include "server/tls.h"

namespace hwb {

namespace {

struct SessionSlot {
    Session* session;
};

LwsHandler& handler_of(lws* wsi) { return *static_cast<LwsHandler*>(lws_context_user(lws_get_context(wsi))); }

// Thin C callback: forwards to the Session; nothing escapes into libwebsockets.
template <ChannelKind Kind>
int ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto* slot = static_cast<SessionSlot*>(user);
    try {
        switch (reason) {
            case LWS_CALLBACK_ESTABLISHED:
                slot->session = handler_of(wsi).open_session(Kind, wsi);
                return slot->session != nullptr ? 0 : -1;
            case LWS_CALLBACK_CLOSED:
                if (slot->session != nullptr) handler_of(wsi).close_session(slot->session);
                slot->session = nullptr;
                return 0;
            case LWS_CALLBACK_RECEIVE:
                if (slot->session == nullptr) return -1;
                return slot->session->on_receive(in, len, lws_is_first_fragment(wsi) != 0,
                                                 lws_is_final_fragment(wsi) != 0, lws_frame_is_binary(wsi) != 0);
            case LWS_CALLBACK_SERVER_WRITEABLE:
                return slot->session != nullptr ? slot->session->on_writeable() : -1;
            default:
                return 0;
        }
    } catch (const std::exception& e) {
        spdlog::error("{} connection: {}; closing it", to_string(Kind), e.what());
    } catch (...) {
        spdlog::error("{} connection: unknown exception; closing it", to_string(Kind));
    }
    return -1;
}

int http_callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, std::size_t len) {
    try {
        // Context-wide callbacks (no wsi, or before the context has its user) are lws' own.
        if (wsi == nullptr || lws_context_user(lws_get_context(wsi)) == nullptr)
            return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
        return handler_of(wsi).http(wsi, reason, in, len);
    } catch (const std::exception& e) {
        spdlog::error("http: {}; closing the connection", e.what());
    } catch (...) {
        spdlog::error("http: unknown exception; closing the connection");
    }
    return -1;
}

void lws_log_to_spdlog(int level, const char* line) {
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (level & LLL_ERR) {
        spdlog::error("lws: {}", text);
    } else if (level & LLL_WARN) {
        spdlog::warn("lws: {}", text);
    } else {
        spdlog::debug("lws: {}", text);
    }
}

// The first entry handles HTTP and receives upgrades that name no subprotocol (refused there).
// Its per-connection state is the HTTP router's (a C++ object per connection), not lws memory.
// Receive buffers are per connection: client requests are small (longer frames arrive in
// several pieces and are reassembled up to max_message_bytes), so 1 KiB keeps 1,000 clients at
// 1 MB of buffers instead of 4.
constexpr std::size_t ws_rx_buffer = 1024;
const lws_protocols protocols[] = {
    {"http", http_callback, 0, 0, 0, nullptr, 0},
    {"sensor", ws_callback<ChannelKind::sensor>, sizeof(SessionSlot), ws_rx_buffer, 0, nullptr, 0},
    {"relay", ws_callback<ChannelKind::relay>, sizeof(SessionSlot), ws_rx_buffer, 0, nullptr, 0},
    {"text", ws_callback<ChannelKind::text>, sizeof(SessionSlot), ws_rx_buffer, 0, nullptr, 0},
    {LwsLoop::raw_protocol_name, LwsLoop::raw_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

LwsContext::LwsContext(const BridgeConfig& config, LwsHandler& handler) {
    lws_set_log_level(LLL_ERR | LLL_WARN | (spdlog::should_log(spdlog::level::trace) ? LLL_NOTICE | LLL_INFO : 0),
                      lws_log_to_spdlog);

    std::string host = config.listen_host;
    if (host == "localhost") host = "127.0.0.1";
    bool any = host.empty() || host == "0.0.0.0" || host == "::" || host == "*";

    if (auto problem = tls_problem(config.tls)) throw std::runtime_error("cannot serve TLS: " + *problem);

    lws_context_creation_info info{};
    info.port = config.listen_port;
    info.iface = any ? nullptr : host.c_str();
    info.protocols = protocols;
    info.user = &handler;
    info.vhost_name = "hwbridge";
    // Dead peers (half-open TCP) are pinged after ping_interval of silence and dropped when
    // ping_timeout passes without an answer. lws keeps the pointer: the policy is a member.
    auto secs = [](std::chrono::seconds s) { return static_cast<std::uint16_t>(std::clamp<std::int64_t>(s.count(), 1, 65535)); };
    keepalive_.secs_since_valid_ping = secs(config.ping_interval);
    keepalive_.secs_since_valid_hangup = secs(config.ping_interval + config.ping_timeout);
    info.retry_and_idle_policy = &keepalive_;
    info.timeout_secs = 10;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (host.find(':') == std::string::npos && host != "::" ? 1 : 0);
    if (host == "::") info.options &= ~static_cast<std::uint64_t>(LWS_SERVER_OPTION_DISABLE_IPV6);
    apply_tls(info, config.tls);  // https and wss on the same port; plain http is then refused

    context_.reset(lws_create_context(&info));
    if (!context_) {
        throw std::runtime_error("cannot listen on " + config.listen_host + ":" + std::to_string(config.listen_port) +
                                 " (address in use, or not an address of this machine)");
    }
    lws_vhost* vhost = lws_get_vhost_by_name(context_.get(), "hwbridge");
    if (vhost == nullptr || lws_get_vhost_listen_port(vhost) <= 0)
        throw std::runtime_error("cannot listen on " + config.listen_host + ":" + std::to_string(config.listen_port));
    port_ = static_cast<std::uint16_t>(lws_get_vhost_listen_port(vhost));
    loop_ = std::make_unique<LwsLoop>(context_.get(), vhost);
}

LwsContext::~LwsContext() {
    // Timers and fd watches that outlive the context become inert first; then the context goes,
    // closing every connection (their CLOSED callbacks still reach the handler).
    if (loop_) loop_->invalidate();
    context_.reset();
}

}  // namespace hwb
