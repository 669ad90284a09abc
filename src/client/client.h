// hwb::client::Client: the bridge's own client library (docs/client.md). One libwebsockets
// context in client mode (the library the server uses), one WebSocket per subprotocol, opened
// when first needed. Asynchronous: requests take a reply callback, messages from the bridge
// arrive as events, all on the client's event loop (one thread; run it with run()/run_until()).
// blocking.h puts a simple synchronous facade on top for scripts and tests.
//
// What the library does for its user:
// - requests wait for the hello (and thus for authentication) before they are sent, and fail
//   with a typed Error: the bridge's code (docs/protocol.md) or one of the library's below;
// - leases taken with set/toggle are renewed until released, lost or ended by someone else;
// - after a lost connection it reconnects with exponential backoff and restores the sensor
//   subscription and the open text channels (lines missed meanwhile are delivered from the
//   channel's history, by seq). Requests in flight when a connection drops fail with
//   `disconnected` and are never resent: a relay request may or may not have run.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/url.h"
#include "core/channel_info.h"
#include "core/event_loop.h"
#include "core/result.h"
#include "protocol/client_messages.h"

namespace hwb::client {

using Json = nlohmann::json;
using protocol::ChannelEntry;
using protocol::HelloMessage;
using protocol::LineMessage;
using protocol::ReadingMessage;
using protocol::StateMessage;
using protocol::StatusMessage;

// Error codes of the library itself, besides the bridge's.
namespace errors {
inline constexpr const char* bad_url = "bad_url";
inline constexpr const char* connect_failed = "connect_failed";  // no connection, TLS or upgrade refused
inline constexpr const char* disconnected = "disconnected";      // the connection closed before the answer
inline constexpr const char* no_answer = "no_answer";            // no answer within request_timeout
inline constexpr const char* lease_ended = "lease_ended";        // someone else's request ended our lease
}  // namespace errors

// True for the codes after which the bridge closes the connection for good (bad_token,
// token_expired, unauthorized): reconnecting with the same token cannot help.
bool is_auth_error(const std::string& code);

struct Options {
    std::string url = "http://127.0.0.1:8080";
    std::string token;    // sent as Authorization: Bearer on every upgrade; empty: none
    std::string ca_file;  // wss: trust the bridge's certificate if it chains to this PEM; empty: system CAs
    std::string name;     // the `client` name of requests (the cause others see); empty: the connection id
    bool reconnect = true;             // after a connection that worked is lost
    bool retry_first_connect = false;  // also when the very first attempt fails
    std::chrono::milliseconds backoff_min{250};
    std::chrono::milliseconds backoff_max{10000};
    std::chrono::milliseconds request_timeout{15000};  // from the call, including waiting for the connection
    std::size_t max_message_bytes = 16 << 20;           // larger frames from the bridge close the connection
    bool lws_log = false;                               // libwebsockets' own errors and warnings on stderr
};

// An answer: the ack's whole object, or why there is none.
using Reply = std::function<void(Result<Json>)>;

struct Events {
    // Each hello: the first of a connection, a reconnection (`reconnected`), or a map reload.
    std::function<void(ChannelKind, const HelloMessage&, bool reconnected)> hello;
    std::function<void(const ReadingMessage&)> reading;
    std::function<void(const StateMessage&)> state;
    std::function<void(ChannelKind, const StatusMessage&)> status;
    std::function<void(const LineMessage&)> line;
    // A connection closed or could not be made; `retrying` says whether the library tries again.
    std::function<void(ChannelKind, const Error&, bool retrying)> disconnected;
    // A lease the library was renewing is gone (connection lost, no_lease, lease_ended).
    std::function<void(const std::string& channel, const Error&)> lease_lost;
};

class Client {
public:
    explicit Client(Options options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    const Options& options() const;
    const Endpoint& endpoint() const;
    EventLoop& loop();
    Events& events();

    // Opens the connection of one subprotocol; requests open theirs by themselves.
    void open(ChannelKind kind);
    // Closes it cleanly (leases held on relay close end at once: the bridge drives those relays
    // to their safe state); no reconnection until open() or a request.
    void close(ChannelKind kind);
    // The latest hello of that connection with the channels' values kept current by the events
    // since; nullptr until the first hello.
    const HelloMessage* hello(ChannelKind kind) const;
    // Why the connection of `kind` failed for good (no retry), if it did.
    std::optional<Error> failure(ChannelKind kind) const;
    // Whether a connection is being made, is open, or waits to be retried.
    bool active(ChannelKind kind) const;

    // sensor: replaces the subscription (nullopt: all sensors); kept across reconnections.
    void subscribe(std::optional<std::vector<std::string>> channels, std::optional<double> max_rate_hz, Reply reply);
    void history(const std::string& channel, Reply reply);

    // relay: answered once the hardware confirmed. With `lease` and the relay on, the library
    // renews the lease until release_leases(), close(relay) or a request without a lease.
    void set(const std::string& channel, bool on, std::optional<std::chrono::milliseconds> lease, Reply reply);
    void toggle(const std::string& channel, std::optional<std::chrono::milliseconds> lease, Reply reply);
    void pulse(const std::string& channel, std::chrono::milliseconds duration, Reply reply);
    bool holds_lease(const std::string& channel) const;
    // Ends every lease now by closing the relay connection: the bridge drives the leased relays to
    // their safe state (docs/protocol.md, "Leases"), as it would if this process died.
    void release_leases();

    // text: open streams the channel's lines (events.line) and is restored after reconnection.
    void open_text(const std::string& channel, Reply reply);
    void close_text(const std::string& channel, Reply reply);
    void send(const std::string& channel, const std::string& line, Reply reply);

    // The loop. run() returns after stop() (at once if stop() was called since the last run());
    // run_until() when `done` holds (true) or after `timeout` (false). Not from inside a callback.
    void run();
    void stop();
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace hwb::client
