// The one door to the hardware (../shared/DESIGN.md, "One door to the hardware"; docs/security.md).
//
// Every control request reaches a relay or a text channel through here, whoever sends it: a
// WebSocket session today, an MQTT command, an automation or the command-line client tomorrow.
// For each request the door does, in this order and nowhere else:
//   1. finds the channel and checks the requester's role, token scope and the channel's `control`;
//   2. applies the rate limits: the requester's own (per connection), the relay's (all requesters
//      of one relay together) and, when authenticated, the identity's (all connections of a subject);
//   3. calls core (Relay::set, pulse, ...; the relay policies live there);
//   4. writes exactly one audit line for the request and its outcome.
// A front only translates its wire format into these calls and the answers back. Relay changes
// that no request caused (failsafe, lease end, pulse end, max_on, start-up, shutdown) are audited
// here too, as the door watches the channels.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/rate_limit.h"
#include "core/relay.h"
#include "core/result.h"
#include "door/access.h"
#include "door/automation_panel.h"

namespace hwb {

class Door;

// A requester's request budget of one kind: a token bucket, and a count of refusals in the current
// window after which the requester is `abusive` (a WebSocket front closes it with 1008).
class RequestLimiter {
public:
    enum class Verdict { allow, refuse, close };
    RequestLimiter(RateLimit limit, std::size_t max_refusals, std::chrono::seconds window, Clock::time_point now);
    Verdict check(Clock::time_point now);
    // A refusal for another reason (forbidden) by a requester already over its rate.
    Verdict refused(Clock::time_point now);

private:
    TokenBucket bucket_;
    std::size_t max_refusals_;
    std::chrono::seconds window_;
    Clock::time_point window_start_{};
    std::size_t refusals_ = 0;
};

// Who asks: made by a front for each of its clients (a connection, a broker subscription, an
// automation) and kept for its lifetime. The door keeps the requester's rate state in it.
class Requester {
public:
    // front: "ws", "http", "mqtt", "automation", ... (for logs); source: where from (a peer
    // address); client: a name unique among the current requesters (lease owner, default cause).
    Requester(std::string front, std::string source, std::string client)
        : front_(std::move(front)), source_(std::move(source)), client_(std::move(client)) {}

    const std::string& front() const { return front_; }
    const std::string& source() const { return source_; }
    const std::string& client() const { return client_; }
    void set_source(std::string source) { source_ = std::move(source); }

    Identity identity;  // set by the front once it knows who the client is (role none until then)

    // The requester went on after bridge.limits.max_refusals refusals within refusal_window: its
    // front should drop it (the door has audited it).
    bool abusive() const { return abusive_; }

private:
    friend class Door;
    std::string front_;
    std::string source_;
    std::string client_;
    std::optional<RequestLimiter> relay_limit_;
    std::optional<RequestLimiter> text_limit_;
    std::optional<RequestLimiter> sensor_limit_;
    bool abusive_ = false;
};

// A relay request as every front expresses it.
struct RelayCommand {
    enum class Op { set, toggle, pulse };
    Op op = Op::set;
    std::string channel;
    bool on = false;                 // set
    std::optional<Millis> lease;     // set/toggle that switch on: held while the requester renews
    Millis duration{0};              // pulse
    std::string name;                // the requester's own label for the cause; "" = its client
};

class Door final : private ChannelObserver {
public:
    Door(EventLoop& loop, const LimitsConfig& limits);
    ~Door() override;
    Door(const Door&) = delete;
    Door& operator=(const Door&) = delete;

    // Channels must outlive the door or be detached (attach(other)) first.
    void attach(Channels& channels);
    Channels* channels() const { return channels_; }
    EventLoop& loop() { return loop_; }
    // Map reload: new limits hold for requesters that arrive from now on and for relay buckets.
    void configure(const LimitsConfig& limits);
    const LimitsConfig& limits() const { return limits_; }
    // Who may do what; `secret` is auth.secret_file's content. True when identities of connected
    // requesters change meaning (another secret, other machine tokens, another anonymous role):
    // their fronts must make them authenticate again.
    bool set_auth(const AuthConfig& auth, std::string secret);
    const Access& access() const { return access_; }

    // Requests that do not control anything (opening a console, a malformed request) count
    // against the requester's rate too. Error rate_limited when over it.
    Status admit(Requester& who, ChannelKind kind);

    // Relay set/toggle/pulse. `reply` runs exactly once, possibly before the call returns, with the
    // confirmed state or an Error (forbidden, rate_limited, unknown_channel, and core's: busy,
    // interlock, too_soon, offline, hardware, ...).
    void relay(Requester& who, const RelayCommand& command, std::function<void(Result<RelayState>)> reply);
    // Keeps the requester's lease on `channel` alive (not audited: renewals are a heartbeat).
    Result<Lease> renew_lease(Requester& who, const std::string& channel, Millis duration);
    // A line to text channel `channel`.
    void text_send(Requester& who, const std::string& channel, const std::string& line, const std::string& name,
                   std::function<void(Status)> reply);
    // The requester is gone: relays it holds by lease fall back now (dead-man switch).
    void leave(const Requester& who);

    // An action that is not channel control (map apply and save, sign-in, authentication): one
    // audit line "audit: ACTION by SUBJECT from SOURCE (CLIENT): RESULT", info when done, warn when
    // refused. `subject` overrides the identity's (sign-in names the method).
    void audit(const Requester& who, bool done, const std::string& action, const std::string& result) const;
    static void audit_as(const std::string& subject, const Requester& who, bool done, const std::string& action,
                         const std::string& result);
    // Every line of audit() above (map apply and save, sign-in, authentication) also goes here: the
    // history store keeps them as events (docs/history.md). Empty: none.
    void set_audit_listener(std::function<void(const std::string& line)> listener) { audit_listener_ = std::move(listener); }
    // Relay and text requests by their answer: "ok" or the error code (metrics, docs/metrics.md).
    using Outcomes = std::map<std::string, std::uint64_t>;
    const Outcomes& relay_outcomes() const { return *relay_outcomes_; }
    const Outcomes& text_outcomes() const { return *text_outcomes_; }

    // Automations (docs/automations.md): the automation front registers its panel (nullptr when it
    // goes) and tells every change of an automation's state; a front that shows them listens.
    void set_automation_panel(AutomationPanel* panel) { automation_panel_ = panel; }
    AutomationPanel* automation_panel() const { return automation_panel_; }
    void on_automation_change(std::function<void(const AutomationStatus&)> listener) {
        automation_listener_ = std::move(listener);
    }
    void automation_changed(const AutomationStatus& status) const {
        if (automation_listener_) automation_listener_(status);
    }

private:
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    // A failed write no request asked for (lease fall-back, max_on, pulse end, failsafe,
    // shutdown): it changes nothing a client sees, so without this line it would leave no trace.
    // A request's failure is that request's one line ("refused (hardware): ...").
    void on_relay_failure(const Relay& relay, const RelayFailure& failure) override;
    // Steps 1 and 2 for a control request; an Error is answered and audited by the caller.
    std::optional<Error> check(Requester& who, ChannelKind kind, const std::string& channel, const std::string& action);
    std::optional<Error> rate(Requester& who, ChannelKind kind, const std::string& channel);
    RequestLimiter& limiter(Requester& who, ChannelKind kind);
    void refused(const Requester& who, const std::string& action, const Error& error, bool over_rate);

    EventLoop& loop_;
    LimitsConfig limits_;
    Access access_;
    Channels* channels_ = nullptr;
    KeyedRateLimiter per_relay_;     // bridge.limits.switch_rate: all requesters of one relay together
    KeyedRateLimiter per_subject_;   // bridge.limits.relay_rate for all connections of one authenticated subject
    mutable LogThrottle refusal_log_;  // refusals by requesters over their rate
    AutomationPanel* automation_panel_ = nullptr;
    std::function<void(const AutomationStatus&)> automation_listener_;
    // Shared with the replies in flight, which may outlive a request's call.
    std::shared_ptr<Outcomes> relay_outcomes_ = std::make_shared<Outcomes>();
    std::shared_ptr<Outcomes> text_outcomes_ = std::make_shared<Outcomes>();
    std::function<void(const std::string&)> audit_listener_;
};

}  // namespace hwb
