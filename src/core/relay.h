// A relay channel: the confirmed state of an output, the one request in flight, and the policies
// that protect what hangs on it (max_on, min_on/min_off, interlock groups, leases).
//
// The state changes only when the driver reports what the hardware did (RelayOutput::Done),
// so clients never see a state the hardware was not set to. One write is in flight at a time;
// a request that arrives meanwhile is refused with `busy`. Requests that would break a policy
// are refused with an Error, never reordered or delayed. Automatic transitions (pulse end,
// max_on, lease expiry, shutdown) switch towards off/safe and are not held back by min_on.
//
// Failsafe: with a `safe_state` in the map, a relay whose state became unknown through a driver
// failure (a write not confirmed, a device that went away and came back) is driven to its safe
// state as soon as the driver can take a write, retried with backoff (1 s doubling to 30 s).
//
// Automatic switches are owed until done: a lease fall-back, max_on or pulse end whose write the
// hardware refuses is retried with the same backoff until the relay is there (or, for a lease or
// pulse, until a client's confirmed request decides anew; max_on is never given up). A lease never
// outlives its holder: a holder that leaves while its leased `set on` is in flight gets no lease,
// and the relay falls back as soon as that write is confirmed. Every failed write is told to the
// observers (on_relay_failure), whoever asked for it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/cause.h"
#include "core/channel_info.h"
#include "core/channel_status.h"
#include "core/event_loop.h"
#include "core/result.h"

namespace hwb {

class ChannelObserver;

// Implemented by drivers: switches the hardware and reports the state it is in afterwards
// (read back where the hardware allows; RelayState::unknown when it cannot tell).
class RelayOutput {
public:
    using Done = std::function<void(RelayState actual, std::optional<Error> error)>;
    virtual ~RelayOutput() = default;
    // Must call `done` exactly once, now or later on the loop thread.
    virtual void write(bool on, Done done) = 0;
    // Switch on, to be off again after `off_after` (a pulse, max_on). Hardware that can time
    // that itself (a relay board's timed pulse) is told to, so the relay goes off even when the
    // bridge is gone; the relay's own timer still switches it off at the end. By default a plain
    // write(true).
    virtual void write_on_for(Millis /*off_after*/, Done done) { write(true, std::move(done)); }
};

// Asked for with a request that switches on: hold it only while `owner` keeps renewing.
struct LeaseRequest {
    std::string owner;  // connection id of the requesting client
    Millis duration{0};
};

// A write the hardware did not carry out as asked (error, or a read-back that disagrees), told to
// observers for the audit trail. `retry_in`: the relay tries again itself after this long (an
// automatic switch towards off/safe: lease fall-back, max_on, pulse end); none when the requester
// decides (a client's request) or the failsafe takes over.
struct RelayFailure {
    bool on = false;  // what was written
    Cause cause;
    Error error;
    std::optional<Millis> retry_in;
};

// A dead-man switch: the relay stays on only while `owner` renews before `expires_ms`.
struct Lease {
    std::string owner;          // connection id of the client holding it
    std::int64_t expires_ms = 0;  // wall clock
};

// One confirmed change of a relay, as its logbook keeps it (docs/protocol.md, relay hello `log`).
struct RelayLogEntry {
    std::int64_t time_ms = 0;
    RelayState state = RelayState::unknown;
    Cause cause;
};

class Relay {
public:
    // Changes kept per relay for clients that connect later: a small ring, whatever the traffic.
    static constexpr std::size_t logbook_size = 10;

    using Reply = std::function<void(Result<RelayState>)>;

    Relay(RelayInfo info, ChannelObserver& observer, EventLoop& loop);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    const RelayInfo& info() const { return info_; }
    const std::string& id() const { return info_.id; }
    RelayState state() const { return state_; }
    RelayState previous_state() const { return previous_; }
    // During on_relay_change: true when the state changed (previous_state() -> state()), false
    // when only the lease changed with the state confirmed as it was (no transition happened).
    bool transitioned() const { return transitioned_; }
    std::uint64_t seq() const { return seq_; }
    std::int64_t changed_ms() const { return changed_ms_; }
    Clock::time_point changed_at() const { return changed_at_; }  // loop clock of the last change (min_on/min_off)
    bool pending() const { return in_flight_ != nullptr; }
    const ChannelStatus& status() const { return status_; }
    bool pulsing() const { return pulse_end_.active(); }
    const std::optional<Lease>& lease() const { return lease_; }
    // Wall-clock time of the next automatic switch-off (pulse end or max_on), if one is scheduled.
    std::optional<std::int64_t> auto_off_ms() const { return auto_off_ms_; }
    // The last logbook_size changes of state, oldest first (kept across map reloads that keep the relay).
    const std::deque<RelayLogEntry>& logbook() const { return logbook_; }

    // Relays sharing this relay's interlock group (set up by Channels).
    void set_interlock_peers(std::vector<const Relay*> peers) { peers_ = std::move(peers); }
    // A map reload changed the label, policies or safe state: they hold from now on (a relay that
    // is on and got a shorter max_on is switched off when the new limit is reached). State, lease
    // and any pulse are kept.
    void update_info(RelayInfo info);

    // Driver side.
    // nullptr: the relay is gone (offline); a request in flight is answered with `offline`.
    void bind(RelayOutput* output);
    void report(RelayState actual, Cause cause);  // the hardware is known to be in this state
    void set_status(ChannelStatus status);

    // Requests. `reply` gets the confirmed state or an Error (codes: busy, offline, interlock,
    // too_soon, unknown_state, hardware, ...); it runs exactly once, possibly before the call returns.
    // With `lease`, switching on holds only while cause.client renews it (renew_lease).
    void set(bool on, Cause cause, Reply reply, std::optional<LeaseRequest> lease = std::nullopt);
    void toggle(Cause cause, Reply reply, std::optional<LeaseRequest> lease = std::nullopt);
    // On now, off again after `duration` (cause pulse_end). A later set/toggle cancels the off.
    void pulse(Millis duration, Cause cause, Reply reply);
    // Extends the lease held by `owner`; Error no_lease when it holds none.
    Result<Lease> renew_lease(const std::string& owner, Millis duration);
    // The client `owner` went away: a relay it holds by lease falls back now.
    void release_leases_of(const std::string& owner);
    // Shutdown (or a reload that removes the relay): drive the relay to its safe state if the map
    // names one; replies at once otherwise.
    void apply_safe_state(Reply reply, Cause cause = Cause::of(Cause::Kind::shutdown));

private:
    struct InFlight;
    std::optional<Error> refuse(bool on) const;
    void write(std::shared_ptr<InFlight> flight);
    std::optional<Millis> on_limit(const InFlight& flight) const;
    void confirmed(const InFlight& flight);
    void change(RelayState state, const Cause& cause, bool force = false);
    void owe(bool on, Cause cause);
    void pay_owed();
    void settle_owed(const InFlight& done, bool ok);
    void clear_owed();
    void fall_back(Cause cause);
    void check_failsafe();
    void failsafe();
    void update_auto_off();

    RelayInfo info_;
    ChannelObserver& observer_;
    EventLoop& loop_;
    RelayOutput* output_ = nullptr;
    RelayState state_ = RelayState::unknown;
    RelayState previous_ = RelayState::unknown;
    bool transitioned_ = false;
    std::uint64_t seq_ = 0;
    std::int64_t changed_ms_ = 0;
    Clock::time_point changed_at_{};
    ChannelStatus status_;
    std::shared_ptr<InFlight> in_flight_;
    std::vector<const Relay*> peers_;
    std::optional<Lease> lease_;
    std::deque<RelayLogEntry> logbook_;
    std::optional<std::int64_t> auto_off_ms_;
    std::optional<std::int64_t> pulse_end_ms_;
    std::optional<std::int64_t> max_on_end_ms_;
    Timer pulse_end_;
    Timer max_on_;
    Timer lease_end_;
    Timer failsafe_;
    Millis failsafe_backoff_{0};
    struct Owed {
        bool on = false;
        Cause cause;
    };
    std::optional<Owed> owed_;  // an automatic switch not yet carried out
    Timer owed_retry_;
    Millis owed_backoff_{0};
};

}  // namespace hwb
