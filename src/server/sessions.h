// The three subprotocol sessions (docs/protocol.md).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/event_loop.h"
#include "protocol/messages.h"
#include "server/session.h"

namespace hwb {

// sensor: streams readings of the subscribed sensors. Readings coalesce: a channel waiting to be
// written is only marked dirty, and its latest value is encoded when the client can take it.
class SensorSession final : public Session {
public:
    SensorSession(SessionHost& host, lws* wsi, std::string client_id);
    ~SensorSession() override;
    void start() override;
    void quiesce() override { rate_timer_.cancel(); }
    void channels_changing() override;
    void channels_changed() override;
    void reading_changed(std::size_t sensor_index);

private:
    void handle_message(std::string_view message) override;
    std::optional<Message> next_message() override;
    bool has_output() const override;

    void size_for_sensors();
    void stored_history(const protocol::History& request);

    std::vector<bool> subscribed_;
    bool subscribed_all_ = true;         // no channel list: sensors added by a reload are followed too
    std::set<std::string> followed_ids_;  // during a reload
    std::vector<bool> dirty_;
    std::vector<std::size_t> dirty_order_;  // oldest change first
    std::optional<std::chrono::microseconds> min_interval_;
    std::vector<Clock::time_point> last_sent_;
    Timer rate_timer_;
};

// relay: set / toggle / pulse requests, acks after the hardware confirmed, state broadcasts.
class RelaySession final : public Session {
public:
    RelaySession(SessionHost& host, lws* wsi, std::string client_id);
    void start() override;

private:
    void handle_message(std::string_view message) override;
};

// text: open a channel to receive its lines, send lines to it.
class TextSession final : public Session {
public:
    TextSession(SessionHost& host, lws* wsi, std::string client_id);
    void start() override;
    bool has_open(const std::string& channel) const { return open_.count(channel) != 0; }
    void channels_changed() override;

private:
    void handle_message(std::string_view message) override;
    std::set<std::string> open_;
};

}  // namespace hwb
