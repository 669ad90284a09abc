// A synchronous facade on hwb::client::Client for scripts, tests and one-shot commands: each call
// runs the client's loop until its answer arrives (or request_timeout passes), and the bridge's
// unsolicited messages are kept in a bounded queue for next_event().
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "client/client.h"

namespace hwb::client {

// What the bridge sent unasked, in arrival order.
struct LeaseLost {
    std::string channel;
    Error error;
};
struct Disconnected {
    ChannelKind kind;
    Error error;
    bool retrying;
};
struct Hello {
    ChannelKind kind;
    HelloMessage hello;
    bool reconnected;
};
using Event = std::variant<ReadingMessage, StateMessage, StatusMessage, LineMessage, Hello, Disconnected, LeaseLost>;

class BlockingClient {
public:
    explicit BlockingClient(Options options, std::size_t max_events = 10000);

    Client& client() { return client_; }

    // Connects `kind` and waits for its hello (the channel metadata with current values).
    Result<HelloMessage> connect(ChannelKind kind);
    // Every channel of the three subprotocols (connects all three).
    Result<std::vector<std::pair<ChannelKind, ChannelEntry>>> channels();

    Result<Json> subscribe(std::optional<std::vector<std::string>> channels, std::optional<double> max_rate_hz = {});
    Result<Json> set(const std::string& channel, bool on, std::optional<std::chrono::milliseconds> lease = {});
    Result<Json> toggle(const std::string& channel, std::optional<std::chrono::milliseconds> lease = {});
    Result<Json> pulse(const std::string& channel, std::chrono::milliseconds duration);
    Result<Json> open_text(const std::string& channel);
    Result<Json> send(const std::string& channel, const std::string& line);

    // The next event within `timeout`; with `match`, the next one for which it holds (the others
    // stay queued for later calls).
    std::optional<Event> next_event(std::chrono::milliseconds timeout,
                                    const std::function<bool(const Event&)>& match = {});
    // Runs the loop for `duration` (leases keep being renewed meanwhile).
    void pump(std::chrono::milliseconds duration);

private:
    Result<Json> wait(const std::function<void(Reply)>& start);
    void push(Event event);

    Client client_;
    std::deque<Event> events_;
    std::size_t max_events_;
};

}  // namespace hwb::client
