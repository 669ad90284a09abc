#include "server/server.h"

#include <libwebsockets.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "protocol/messages.h"
#include "server/connection.h"
#include "server/login.h"
#include "server/sessions.h"
#include "server/tls.h"

namespace hwb {

namespace {

struct SessionSlot {
    Session* session;
};

Server& server_of(lws* wsi) { return *static_cast<Server*>(lws_context_user(lws_get_context(wsi))); }

// Thin C callback: forwards to the Session; nothing escapes into libwebsockets.
template <ChannelKind Kind>
int ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto* slot = static_cast<SessionSlot*>(user);
    try {
        switch (reason) {
            case LWS_CALLBACK_ESTABLISHED:
                slot->session = server_of(wsi).open_session(Kind, wsi);
                return slot->session != nullptr ? 0 : -1;
            case LWS_CALLBACK_CLOSED:
                if (slot->session != nullptr) server_of(wsi).close_session(slot->session);
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

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    try {
        return server_of(wsi).http(wsi, reason, user, in, len);
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
// Receive buffers are per connection: client requests are small (longer frames arrive in
// several pieces and are reassembled up to max_message_bytes), so 1 KiB keeps 1,000 clients at
// 1 MB of buffers instead of 4.
constexpr std::size_t ws_rx_buffer = 1024;
const lws_protocols protocols[] = {
    {"http", http_callback, http_slot_size, 0, 0, nullptr, 0},
    {"sensor", ws_callback<ChannelKind::sensor>, sizeof(SessionSlot), ws_rx_buffer, 0, nullptr, 0},
    {"relay", ws_callback<ChannelKind::relay>, sizeof(SessionSlot), ws_rx_buffer, 0, nullptr, 0},
    {"text", ws_callback<ChannelKind::text>, sizeof(SessionSlot), ws_rx_buffer, 0, nullptr, 0},
    {LwsLoop::raw_protocol_name, LwsLoop::raw_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

Server::Server(BridgeConfig config) : config_(std::move(config)) {
    lws_set_log_level(LLL_ERR | LLL_WARN | (spdlog::should_log(spdlog::level::trace) ? LLL_NOTICE | LLL_INFO : 0),
                      lws_log_to_spdlog);

    std::string host = config_.listen_host;
    if (host == "localhost") host = "127.0.0.1";
    bool any = host.empty() || host == "0.0.0.0" || host == "::" || host == "*";

    if (auto problem = tls_problem(config_.tls)) throw std::runtime_error("cannot serve TLS: " + *problem);

    lws_context_creation_info info{};
    info.port = config_.listen_port;
    info.iface = any ? nullptr : host.c_str();
    info.protocols = protocols;
    info.user = this;
    info.vhost_name = "hwbridge";
    // Dead peers (half-open TCP) are pinged after ping_interval of silence and dropped when
    // ping_timeout passes without an answer. lws keeps the pointer: the policy is a member.
    auto secs = [](std::chrono::seconds s) { return static_cast<std::uint16_t>(std::clamp<std::int64_t>(s.count(), 1, 65535)); };
    keepalive_.secs_since_valid_ping = secs(config_.ping_interval);
    keepalive_.secs_since_valid_hangup = secs(config_.ping_interval + config_.ping_timeout);
    info.retry_and_idle_policy = &keepalive_;
    info.timeout_secs = 10;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (host.find(':') == std::string::npos && host != "::" ? 1 : 0);
    if (host == "::") info.options &= ~static_cast<std::uint64_t>(LWS_SERVER_OPTION_DISABLE_IPV6);
    apply_tls(info, config_.tls);  // https and wss on the same port; plain http is then refused

    context_ = lws_create_context(&info);
    if (context_ == nullptr) {
        throw std::runtime_error("cannot listen on " + config_.listen_host + ":" + std::to_string(config_.listen_port) +
                                 " (address in use, or not an address of this machine)");
    }
    vhost_ = lws_get_vhost_by_name(context_, "hwbridge");
    if (vhost_ == nullptr || lws_get_vhost_listen_port(vhost_) <= 0) {
        lws_context_destroy(context_);
        throw std::runtime_error("cannot listen on " + config_.listen_host + ":" + std::to_string(config_.listen_port));
    }
    port_ = static_cast<std::uint16_t>(lws_get_vhost_listen_port(vhost_));
    loop_ = std::make_unique<LwsLoop>(context_, vhost_);
    door_ = std::make_unique<Door>(*loop_, config_.limits);
    host_names_.configure(config_.listen_host, config_.allowed_hosts);
}

Server::~Server() {
    *alive_ = false;
    if (channels_ != nullptr) channels_->remove_observer(this);
    // Closes every connection with 1001 (going away); their CLOSED callbacks still reach us here.
    // Timers of sessions closed on the way must not touch the context being torn down.
    for (auto& [raw, session] : sessions_) session->stop_timers();
    login_.reset();  // waits for a pass-phrase check in progress; its fd watch needs the loop
    loop_->invalidate();
    lws_context_destroy(context_);
}

void Server::attach(Channels& channels) {
    channels_ = &channels;
    channels.add_observer(this);
    door_->attach(channels);
    sensor_index_.clear();
    for (std::size_t i = 0; i < channels.sensors().size(); ++i) sensor_index_[channels.sensors()[i].get()] = i;
    reading_cache_.assign(channels.sensors().size(), {});
}

void Server::set_auth(const AuthConfig& auth, std::string secret) {
    if (!door_->set_auth(auth, std::move(secret))) return;
    for (auto& [raw, session] : sessions_) session->identities_changed();
}

void Server::channels_changing() {
    // Until channels_changed(), no reading may be looked up by a stale index.
    sensor_index_.clear();
    for (auto& [raw, session] : sessions_) session->channels_changing();
}

void Server::channels_changed(const BridgeConfig& bridge) {
    std::string host = config_.listen_host;
    std::uint16_t port = config_.listen_port;
    TlsConfig tls = config_.tls;  // like the listen address, TLS changes need a restart
    config_ = bridge;
    config_.listen_host = host;
    config_.listen_port = port;
    config_.tls = tls;
    gate_.configure(config_.limits);
    door_->configure(config_.limits);
    host_names_.configure(config_.listen_host, config_.allowed_hosts);
    sensor_index_.clear();
    for (std::size_t i = 0; i < channels_->sensors().size(); ++i) sensor_index_[channels_->sensors()[i].get()] = i;
    reading_cache_.assign(channels_->sensors().size(), {});
    for (auto& [raw, session] : sessions_) {
        if (!session->closing()) session->channels_changed();
    }
}

void Server::run() {
    while (!stopping_) {
        if (lws_service(context_, 0) < 0) return;
    }
    // Tell every client why it is being disconnected (1001, going away) before the context goes.
    for (auto& [raw, session] : sessions_) session->close_with(LWS_CLOSE_STATUS_GOINGAWAY, "hwbridge is shutting down");
    auto deadline = Clock::now() + std::chrono::seconds(1);
    Timer tick(*loop_, [] {});  // bounds each lws_service() wait
    while (!sessions_.empty() && Clock::now() < deadline) {
        tick.start(std::chrono::milliseconds(20));
        if (lws_service(context_, 0) < 0) break;
    }
}

void Server::stop() {
    stopping_ = true;
    lws_cancel_service(context_);
}

std::int64_t Server::uptime_s() const {
    return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count();
}

const Message& Server::encoded_reading(std::size_t index) {
    auto& cache = reading_cache_[index];
    const Sensor& sensor = sensor_at(index);
    if (!cache.json || (sensor.last() && cache.seq != sensor.last()->seq)) {
        cache.json = std::make_shared<const std::string>(protocol::reading(sensor));
        cache.seq = sensor.last() ? sensor.last()->seq : 0;
    }
    return cache.json;
}

Session* Server::open_session(ChannelKind kind, lws* wsi) {
    if (channels_ == nullptr || stopping_) return nullptr;
    std::string id = "c" + std::to_string(next_client_++);
    std::shared_ptr<Session> session;
    switch (kind) {
        case ChannelKind::sensor: {
            auto s = std::make_shared<SensorSession>(*this, wsi, id);
            sensor_sessions_.push_back(s.get());
            session = s;
            break;
        }
        case ChannelKind::relay: {
            auto s = std::make_shared<RelaySession>(*this, wsi, id);
            relay_sessions_.push_back(s.get());
            session = s;
            break;
        }
        case ChannelKind::text: {
            auto s = std::make_shared<TextSession>(*this, wsi, id);
            text_sessions_.push_back(s.get());
            session = s;
            break;
        }
    }
    std::string peer = peer_address(wsi);
    spdlog::info("client {} connected from {} ({})", id, peer, to_string(kind));
    sessions_.emplace(session.get(), session);
    // A token may come in the upgrade's Authorization header (non-browser clients); other schemes
    // (a proxy's Basic) are not ours.
    std::optional<std::string> header_token;
    if (std::string value = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION); !value.empty()) header_token = bearer_token(value);
    session->begin(std::move(header_token), std::move(peer));
    return session.get();
}

void Server::close_session(Session* session) {
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    spdlog::info("client {} disconnected", session->client_id());
    // A relay held on by this client's lease falls back now (dead-man switch).
    door_->leave(session->requester());
    auto drop = [session](auto& list) {
        list.erase(std::remove_if(list.begin(), list.end(), [session](auto* s) { return s == session; }), list.end());
    };
    drop(sensor_sessions_);
    drop(relay_sessions_);
    drop(text_sessions_);
    sessions_.erase(it);
}

std::shared_ptr<Session> Server::shared(Session* session) const {
    auto it = sessions_.find(session);
    return it == sessions_.end() ? nullptr : it->second;
}

void Server::on_reading(const Sensor& sensor) {
    auto it = sensor_index_.find(&sensor);
    if (it == sensor_index_.end()) return;
    for (auto* s : sensor_sessions_) s->reading_changed(it->second);
}

void Server::on_relay_change(const Relay& relay, const Cause& cause) {
    // The audit trail of relay changes is the door's.
    if (relay_sessions_.empty()) return;
    auto message = std::make_shared<const std::string>(protocol::relay_state(relay, cause));
    for (auto* s : relay_sessions_) s->publish(message);
}

void Server::on_text_line(const TextChannel& channel, const TextLine& line) {
    Message message;
    for (auto* s : text_sessions_) {
        if (!s->has_open(channel.id())) continue;
        if (!message) message = std::make_shared<const std::string>(protocol::text_line(channel.id(), line));
        s->send(message);
    }
}

void Server::on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) {
    if (status.online) {
        spdlog::info("{} {} is online", to_string(kind), id);
    } else {
        spdlog::warn("{} {} is offline: {}", to_string(kind), id, status.reason);
    }
    auto message = std::make_shared<const std::string>(protocol::status(id, status));
    switch (kind) {
        case ChannelKind::sensor:
            for (auto* s : sensor_sessions_) s->publish(message);
            break;
        case ChannelKind::relay:
            for (auto* s : relay_sessions_) s->publish(message);
            break;
        case ChannelKind::text:
            for (auto* s : text_sessions_) s->publish(message);
            break;
    }
}

}  // namespace hwb
