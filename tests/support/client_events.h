// Matchers for the events hwb::client::BlockingClient queues (next_event's `match`), shared by the
// daemon tests that talk to the bridge through the client library.
#pragma once

#include <functional>
#include <string>
#include <variant>

#include "client/blocking.h"

namespace hwb::test {

using EventMatch = std::function<bool(const client::Event&)>;

// Events of type T, and with `match`, those for which it holds.
template <class T>
EventMatch is(const std::function<bool(const T&)>& match = {}) {
    return [match](const client::Event& e) {
        const T* m = std::get_if<T>(&e);
        return m != nullptr && (!match || match(*m));
    };
}

inline EventMatch reading_of(const std::string& channel) {
    return is<client::ReadingMessage>([=](const client::ReadingMessage& m) { return m.channel == channel; });
}

inline EventMatch status_of(const std::string& channel, bool online) {
    return is<client::StatusMessage>(
        [=](const client::StatusMessage& m) { return m.channel == channel && m.online == online; });
}

inline EventMatch state_of(const std::string& channel, const std::string& state) {
    return is<client::StateMessage>(
        [=](const client::StateMessage& m) { return m.channel == channel && m.state == state; });
}

// Options for a client of the daemon on `port` that gives up on a request after `timeout`.
inline client::Options client_options(std::uint16_t port, const std::string& scheme = "http",
                                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    client::Options o;
    o.url = scheme + "://127.0.0.1:" + std::to_string(port);
    o.request_timeout = timeout;
    o.backoff_min = std::chrono::milliseconds(50);
    o.backoff_max = std::chrono::milliseconds(500);
    return o;
}

}  // namespace hwb::test
