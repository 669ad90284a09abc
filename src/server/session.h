// One WebSocket connection of one subprotocol. libwebsockets' per-session memory holds only a
// pointer to it; the SessionHub owns it (shared_ptr, so late driver replies can tell it is gone).
//
// Outgoing messages go through a bounded queue and are written one per WRITEABLE callback.
// Incoming frames are reassembled up to the map's max_message_bytes (larger: close 1009).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/channel_info.h"
#include "core/history.h"
#include "core/event_loop.h"
#include "protocol/auth.h"
#include "door/door.h"
#include "server/traffic.h"

struct lws;

namespace hwb {

class Channels;

// One encoded message; broadcasts share one copy among all the sessions that queue it.
using Message = std::shared_ptr<const std::string>;

// What a session may use of the server (SessionHub implements it): nothing else.
class SessionHost {
public:
    virtual EventLoop& loop() = 0;
    virtual Door& door() = 0;
    virtual Channels& channels() = 0;
    // The history store (docs/history.md), or nullptr when the bridge has none.
    virtual HistorySource* history() = 0;
    virtual const std::string& bridge_name() const = 0;
    virtual std::size_t max_message_bytes() const = 0;
    // The encoded last reading of sensor `index`, shared by all sensor sessions.
    virtual const Message& encoded_reading(std::size_t index) = 0;
    // Per sensor by index: what the sessions did with its readings (GET /metrics). An index out
    // of range (a reload under way) gets a scratch entry.
    virtual ReadingTraffic& traffic(std::size_t index) = 0;
    // A session wrote `messages` frames, `bytes` on the wire, to its client.
    virtual void count_sent(ChannelKind kind, std::size_t messages, std::size_t bytes) = 0;
    // Bytes queued by all sessions together: each session counts what it holds.
    virtual void account_queued(std::size_t added, std::size_t removed) = 0;
    // Adding `adding` bytes to a session that holds `held` would exceed the bridge-wide budget, and
    // this session holds more than its share: it is the one to close.
    virtual bool over_budget(std::size_t adding, std::size_t held) const = 0;

protected:
    ~SessionHost() = default;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(SessionHost& host, lws* wsi, std::string client_id, ChannelKind kind);
    virtual ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const std::string& client_id() const { return requester_.client(); }

    // Called by the lws callback; the return value goes back to lws (non-zero closes).
    int on_receive(const void* data, std::size_t len, bool first, bool final, bool binary);
    int on_writeable();

    virtual void start() = 0;  // queue the hello (with_access)

    // ---- who the client is (session_auth.cpp; docs/protocol.md, "Authentication") ----
    // Called once instead of start(): checks the upgrade's Authorization header if it had one,
    // else gives the anonymous role; without a role the client gets the auth-required hello.
    void begin(std::optional<std::string> header_token, std::string peer);
    const Identity& identity() const { return requester_.identity; }
    // The client's address ("127.0.0.1"), from begin() on.
    const std::string& peer() const { return requester_.source(); }
    bool authorized() const { return requester_.identity.role != Role::none; }
    // Map reload changed the authentication settings: the client must authenticate again.
    void identities_changed();
    // Cancels the session's timers (the server is going away); then quiesce().
    void stop_timers();
    // The client as the door knows it: identity, address, connection id, request budget.
    Requester& requester() { return requester_; }
    // After a call into the door: a client that went on after too many refusals is closed (1008)
    // and gets no further answers; true then.
    bool drop_if_abusive();
    // One audit line about this client (authentication, session events), through the door.
    void audit(bool done, const std::string& action, const std::string& result) const;
    // Map reload (SessionHub::channels_changing/changed): note what the client follows by channel id,
    // then re-index it against the new channels and queue a new hello.
    virtual void channels_changing() {}
    virtual void channels_changed() { start(); }
    // The server is going away: cancel timers before the context that runs them is destroyed.
    virtual void quiesce() {}

    // Closes the connection with `code` at the next WRITEABLE.
    void close_with(std::uint16_t code, std::string reason);
    bool closing() const { return closing_.has_value(); }

    // Queues a message; a client whose queue overflows (it does not read) is closed with 1008, as
    // is the largest queue when all clients together hold more than the bridge-wide budget.
    void send(std::string message) { send(std::make_shared<const std::string>(std::move(message))); }
    void send(Message message);
    // Broadcasts (state, status): only to clients that have a role.
    void publish(const Message& message) {
        if (authorized()) send(message);
    }

protected:
    virtual void handle_message(std::string_view message) = 0;
    // The hello with this client's "access" (role, subject, the channels it may control).
    std::string with_access(std::string hello) const;
    // A request that controls nothing (or is malformed) still counts against the client's rate:
    // true when within it; otherwise answers `rate_limited` (closing an abusive client), false.
    bool admit(const protocol::Json& id, const std::string& channel);
    // Next message to write, if any. The default takes the queue's front.
    virtual std::optional<Message> next_message();
    virtual bool has_output() const { return !queue_.empty(); }

    void request_write();
    std::size_t queued_messages() const { return queue_.size(); }

    SessionHost& host_;
    lws* wsi_;

private:
    // An `auth` message, or any message before the client has a role: handled here (true).
    bool gate(std::string_view message);
    void authenticate(const protocol::Json& id, const std::string& token, bool answer);
    protocol::AccessInfo access_info() const;

    ChannelKind kind_;
    Requester requester_;
    std::unique_ptr<Timer> expiry_;  // closes the connection when its token expires
    std::deque<Message> queue_;
    std::size_t queued_bytes_ = 0;
    std::string rx_;
    bool rx_binary_ = false;
    bool rx_overflow_ = false;
    std::vector<unsigned char> tx_;
    std::optional<std::pair<std::uint16_t, std::string>> closing_;
};

}  // namespace hwb
