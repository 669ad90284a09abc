// Many WebSocket client connections driven by one epoll loop, without threads: the load
// generator stays cheap next to the daemon it measures. Server frames are parsed in place; the
// scenario gets each text message as a view.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hwb::bench {

class Clock;

struct WsConn {
    enum class State : std::uint8_t { idle, connecting, handshake, open, closed };
    int fd = -1;
    State state = State::idle;
    std::string in;       // bytes not yet parsed
    std::string out;      // bytes not yet written
    std::uint16_t close_code = 0;
    std::int64_t started_us = 0;  // when connect() was called
};

class WsPool {
public:
    using OnMessage = std::function<void(std::size_t conn, std::string_view text)>;
    // Extra descriptors (timers, the pty) watched by the same loop.
    using OnFd = std::function<void(std::uint32_t events)>;

    WsPool(std::uint16_t port, std::string subprotocol, OnMessage on_message);
    ~WsPool();
    WsPool(const WsPool&) = delete;
    WsPool& operator=(const WsPool&) = delete;

    // Starts a new connection; returns its index.
    std::size_t connect();
    void send_text(std::size_t conn, std::string_view text);
    // Sends a close frame and closes the socket (no wait for the server's answer).
    void close(std::size_t conn);
    void watch(int fd, std::uint32_t events, OnFd handler);
    void unwatch(int fd);

    // Handles events for up to `timeout_ms` (one epoll_wait).
    void poll(int timeout_ms);

    WsConn& conn(std::size_t i) { return conns_[i]; }
    std::size_t size() const { return conns_.size(); }
    std::size_t open_count() const;
    std::uint64_t failures() const { return failures_; }
    // Why the last connection failed before it was open (for the scenario's report).
    const std::string& last_failure() const { return last_failure_; }

private:
    void on_event(std::size_t conn, std::uint32_t events);
    void on_readable(std::size_t conn);
    void flush(std::size_t conn);
    void fail(std::size_t conn);
    void parse_frames(std::size_t conn);
    void queue_frame(std::size_t conn, std::uint8_t opcode, std::string_view payload);

    std::uint16_t port_;
    std::string subprotocol_;
    OnMessage on_message_;
    int epoll_ = -1;
    std::vector<WsConn> conns_;
    std::vector<std::pair<int, OnFd>> extra_;
    std::uint64_t failures_ = 0;
    std::string last_failure_;
    std::string message_;  // a fragmented message being reassembled
};

}  // namespace hwb::bench
