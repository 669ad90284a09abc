// The sessions of the server (internal to src/server): who is connected, what each subprotocol's
// clients are told when a channel changes, the encoded-message cache shared by all of them, and
// the bridge-wide budget of queued bytes. Sessions see it only as a SessionHost: the few things a
// session may use, never the whole server.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "door/door.h"
#include "server/session.h"

struct lws;

namespace hwb {

class SensorSession;
class RelaySession;
class TextSession;

class SessionHub final : public SessionHost, private ChannelObserver {
public:
    // `config` is the server's running bridge section (read at use: reloads change it).
    SessionHub(EventLoop& loop, Door& door, const BridgeConfig& config);
    ~SessionHub() override;
    SessionHub(const SessionHub&) = delete;
    SessionHub& operator=(const SessionHub&) = delete;

    // Channels must outlive the hub's sessions.
    void attach(Channels& channels);
    bool attached() const { return channels_ != nullptr; }

    // A WebSocket was established; `header_token` from its upgrade's Authorization header.
    Session* open(ChannelKind kind, lws* wsi, std::string peer, std::optional<std::string> header_token);
    void close(Session* session);
    std::size_t size() const { return sessions_.size(); }

    // Map reload (Server::channels_changing / channels_changed).
    void channels_changing();
    void channels_changed();
    // Authentication settings changed meaning: every client must sign in again (1012).
    void identities_changed();
    // Shutdown: every client is told (close code, reason); then timers are cancelled.
    void close_all(std::uint16_t code, const std::string& reason);
    void stop_timers();

    // SessionHost.
    EventLoop& loop() override { return loop_; }
    Door& door() override { return door_; }
    Channels& channels() override { return *channels_; }
    HistorySource* history() override { return history_; }
    void set_history(HistorySource* history) { history_ = history; }
    // Connected clients of one subprotocol (metrics).
    std::size_t count(ChannelKind kind) const {
        return kind == ChannelKind::sensor ? sensor_sessions_.size()
               : kind == ChannelKind::relay ? relay_sessions_.size()
                                            : text_sessions_.size();
    }
    const std::string& bridge_name() const override { return config_.name; }
    std::size_t max_message_bytes() const override { return config_.max_message_bytes; }
    const Message& encoded_reading(std::size_t index) override;
    ReadingTraffic& traffic(std::size_t index) override {
        return index < reading_cache_.size() ? reading_cache_[index].traffic : scratch_traffic_;
    }
    void count_sent(ChannelKind kind, std::size_t messages, std::size_t bytes) override {
        auto& sent = sent_[static_cast<std::size_t>(kind)];
        sent.messages += messages;
        sent.bytes += bytes;
    }
    SentCounts sent(ChannelKind kind) const { return sent_[static_cast<std::size_t>(kind)]; }
    ReadingTraffic reading_traffic(const Sensor& sensor) const;
    void account_queued(std::size_t added, std::size_t removed) override {
        queued_total_ += added;
        queued_total_ -= removed;
    }
    bool over_budget(std::size_t adding, std::size_t held) const override;
    std::size_t queued_total() const { return queued_total_; }
    static constexpr std::size_t queued_budget = 64 * 1024 * 1024;

private:
    void on_reading(const Sensor& sensor) override;
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    void on_text_line(const TextChannel& channel, const TextLine& line) override;
    void on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) override;
    void on_uplink(const UplinkStatus& status) override;
    void index_sensors();

    EventLoop& loop_;
    Door& door_;
    const BridgeConfig& config_;
    Channels* channels_ = nullptr;
    HistorySource* history_ = nullptr;
    std::uint64_t next_client_ = 1;

    std::size_t queued_total_ = 0;  // before sessions_: sessions give their bytes back when destroyed
    struct CachedReading {
        std::uint64_t seq = 0;
        Message json;
        ReadingTraffic traffic;  // kept by sensor id across reloads (index_sensors)
    };
    // Before sessions_ too: a sensor session counts its waiting readings as dropped when destroyed.
    std::vector<CachedReading> reading_cache_;
    ReadingTraffic scratch_traffic_;
    std::array<SentCounts, 3> sent_{};  // by ChannelKind
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;
    std::vector<SensorSession*> sensor_sessions_;
    std::vector<RelaySession*> relay_sessions_;
    std::vector<TextSession*> text_sessions_;
    std::unordered_map<const Sensor*, std::size_t> sensor_index_;
    std::unordered_map<std::string, ReadingTraffic> traffic_by_id_;  // during a reload
};

}  // namespace hwb
