// One WebSocket connection of one subprotocol. libwebsockets' per-session memory holds only a
// pointer to it; the Server owns it (shared_ptr, so late driver replies can tell it is gone).
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
#include "core/event_loop.h"
#include "protocol/auth.h"
#include "server/access.h"

struct lws;

namespace hwb {

class Server;

// Who an audit line names: token subject (or anonymous), peer address, connection id.
struct AuditTag {
    std::string subject;
    std::string peer;
    std::string client;
};
// "audit: ACTION by SUBJECT from PEER (CLIENT): RESULT", at info (done) or warn (refused).
void audit(const AuditTag& who, bool done, const std::string& action, const std::string& result);

// One encoded message; broadcasts share one copy among all the sessions that queue it.
using Message = std::shared_ptr<const std::string>;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Server& server, lws* wsi, std::string client_id, ChannelKind kind);
    virtual ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const std::string& client_id() const { return client_; }

    // Called by the lws callback; the return value goes back to lws (non-zero closes).
    int on_receive(const void* data, std::size_t len, bool first, bool final, bool binary);
    int on_writeable();

    virtual void start() = 0;  // queue the hello (with_access)

    // ---- who the client is (session_auth.cpp; docs/protocol.md, "Authentication") ----
    // Called once instead of start(): checks the upgrade's Authorization header if it had one,
    // else gives the anonymous role; without a role the client gets the auth-required hello.
    void begin(std::optional<std::string> header_token, std::string peer);
    const Identity& identity() const { return identity_; }
    // The client's address ("127.0.0.1"), from begin() on.
    const std::string& peer() const { return peer_; }
    bool authorized() const { return identity_.role != Role::none; }
    // Map reload changed the authentication settings: the client must authenticate again.
    void identities_changed();
    // Cancels the session's timers (the server is going away); then quiesce().
    void stop_timers();
    AuditTag audit_tag() const { return {identity_.subject, peer_, client_}; }
    void audit(bool done, const std::string& action, const std::string& result) const {
        hwb::audit(audit_tag(), done, action, result);
    }
    // Map reload (Server::channels_changing/changed): note what the client follows by channel id,
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
    // Relay and text controls: true when allowed; otherwise answers `forbidden`, audits, false.
    bool check_control(const protocol::Json& id, const std::string& channel, const std::string& action);
    // Next message to write, if any. The default takes the queue's front.
    virtual std::optional<Message> next_message();
    virtual bool has_output() const { return !queue_.empty(); }

    void request_write();
    std::size_t queued_messages() const { return queue_.size(); }

    Server& server_;
    lws* wsi_;
    std::string client_;

private:
    // An `auth` message, or any message before the client has a role: handled here (true).
    bool gate(std::string_view message);
    void authenticate(const protocol::Json& id, const std::string& token, bool answer);
    protocol::AccessInfo access_info() const;

    ChannelKind kind_;
    Identity identity_;
    std::string peer_ = "?";
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
