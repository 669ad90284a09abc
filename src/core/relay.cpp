#include "core/relay.h"

#include <algorithm>
#include <cstdio>

#include "core/channels.h"

namespace hwb {

namespace {
constexpr auto busy_retry = std::chrono::milliseconds(10);
constexpr auto failsafe_first_retry = std::chrono::milliseconds(1000);
constexpr auto failsafe_max_retry = std::chrono::milliseconds(30000);

std::string seconds(std::int64_t ms) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(ms) / 1000.0);
    return text;
}
}  // namespace

struct Relay::InFlight {
    bool on = false;
    Cause cause;
    Reply reply;
    std::optional<LeaseRequest> lease;
    std::optional<Millis> pulse;
    bool owed = false;         // an automatic switch: retried by the relay if it fails
    bool holder_left = false;  // the client asking for `lease` went away before the confirmation
};

Relay::Relay(RelayInfo info, ChannelObserver& observer, EventLoop& loop)
    : info_(std::move(info)),
      observer_(observer),
      loop_(loop),
      pulse_end_(loop, [this] { owe(false, Cause::of(Cause::Kind::pulse_end)); }),
      max_on_(loop, [this] { owe(false, Cause::of(Cause::Kind::max_on)); }),
      lease_end_(loop, [this] {
          std::string owner = lease_ ? lease_->owner : std::string();
          fall_back(Cause{Cause::Kind::lease_expired, owner});
      }),
      failsafe_(loop, [this] { failsafe(); }),
      owed_retry_(loop, [this] { pay_owed(); }) {}

Relay::~Relay() = default;

void Relay::bind(RelayOutput* output) {
    output_ = output;
    if (output == nullptr) {
        if (auto flight = std::move(in_flight_))
            flight->reply(Error{"offline", "relay '" + info_.id + "' went away before confirming"});
        pulse_end_.cancel();
        max_on_.cancel();
        lease_end_.cancel();
        lease_.reset();
        pulse_end_ms_.reset();
        max_on_end_ms_.reset();
        update_auto_off();
        failsafe_.cancel();
        failsafe_backoff_ = Millis(0);
        clear_owed();
        return;
    }
    check_failsafe();
}

void Relay::report(RelayState actual, Cause cause) { change(actual, cause); }

void Relay::update_info(RelayInfo info) {
    info_ = std::move(info);
    if (state_ == RelayState::on && info_.max_on_ms > 0) {
        auto since = std::chrono::duration_cast<Millis>(loop_.now() - changed_at_).count();
        auto left = std::max<std::int64_t>(0, info_.max_on_ms - since);
        max_on_.start(Millis(left));
        max_on_end_ms_ = changed_ms_ + info_.max_on_ms;
    } else {
        max_on_.cancel();
        max_on_end_ms_.reset();
    }
    update_auto_off();
    check_failsafe();
}

void Relay::set_status(ChannelStatus status) {
    if (status.online == status_.online && status.reason == status_.reason) return;
    status_ = std::move(status);
    observer_.on_status(ChannelKind::relay, info_.id, status_);
    if (!status_.online) {
        failsafe_.cancel();
        failsafe_backoff_ = Millis(0);  // a device that comes back gets its first attempt at once
    }
    check_failsafe();
}

// Unknown state, a safe state in the map and a driver that takes writes: schedule the failsafe
// write (from the loop, never from inside the driver callback that reported the failure).
void Relay::check_failsafe() {
    if (!info_.safe_state || state_ != RelayState::unknown || output_ == nullptr || !status_.online) return;
    if (failsafe_.active()) return;
    failsafe_.start(failsafe_backoff_);
}

void Relay::failsafe() {
    if (!info_.safe_state || state_ != RelayState::unknown || output_ == nullptr || !status_.online) return;
    if (pending()) {  // someone's request is in flight: its outcome may settle the state
        failsafe_.start(busy_retry);
        return;
    }
    failsafe_backoff_ = failsafe_backoff_.count() == 0 ? failsafe_first_retry
                                                       : std::min(failsafe_backoff_ * 2, Millis(failsafe_max_retry));
    write(std::make_shared<InFlight>(InFlight{*info_.safe_state, Cause::of(Cause::Kind::failsafe),
                                              [](const Result<RelayState>&) {}, std::nullopt, std::nullopt, false, false}));
}

std::optional<Error> Relay::refuse(bool on) const {
    if (output_ == nullptr || !status_.online)
        return Error{"offline", "relay '" + info_.id + "' is offline" + (status_.reason.empty() ? "" : ": " + status_.reason)};
    if (pending()) return Error{"busy", "relay '" + info_.id + "' is still executing an earlier request"};
    auto since = std::chrono::duration_cast<Millis>(loop_.now() - changed_at_).count();
    if (on && state_ == RelayState::off && since < info_.min_off_ms)
        return Error{"too_soon", "relay '" + info_.id + "' must stay off " + seconds(info_.min_off_ms - since) +
                                     " more (min_off " + seconds(info_.min_off_ms) + ")"};
    if (!on && state_ == RelayState::on && since < info_.min_on_ms)
        return Error{"too_soon", "relay '" + info_.id + "' must stay on " + seconds(info_.min_on_ms - since) +
                                     " more (min_on " + seconds(info_.min_on_ms) + ")"};
    if (on) {
        for (const Relay* peer : peers_) {
            if (peer->state() == RelayState::off && !peer->pending()) continue;
            std::string what = peer->pending() ? "is switching" : std::string("is ") + to_string(peer->state());
            return Error{"interlock", "relay '" + peer->id() + "' " + what + "; '" + info_.id +
                                          "' shares interlock group '" + info_.interlock + "' and stays off"};
        }
    }
    return std::nullopt;
}

void Relay::set(bool on, Cause cause, Reply reply, std::optional<LeaseRequest> lease) {
    if (auto refusal = refuse(on)) {
        reply(*refusal);
        return;
    }
    if (!on) lease.reset();
    write(std::make_shared<InFlight>(
        InFlight{on, std::move(cause), std::move(reply), std::move(lease), std::nullopt, false, false}));
}

void Relay::toggle(Cause cause, Reply reply, std::optional<LeaseRequest> lease) {
    if (state_ == RelayState::unknown && output_ != nullptr && status_.online && !pending()) {
        reply(Error{"unknown_state", "relay '" + info_.id + "' is in an unknown state; use set instead of toggle"});
        return;
    }
    set(state_ != RelayState::on, std::move(cause), std::move(reply), std::move(lease));
}

void Relay::pulse(Millis duration, Cause cause, Reply reply) {
    if (auto refusal = refuse(true)) {
        reply(*refusal);
        return;
    }
    write(std::make_shared<InFlight>(
        InFlight{true, std::move(cause), std::move(reply), std::nullopt, duration, false, false}));
}

Result<Lease> Relay::renew_lease(const std::string& owner, Millis duration) {
    if (!lease_ || lease_->owner != owner)
        return Error{"no_lease", "client " + owner + " holds no lease on relay '" + info_.id + "'"};
    lease_->expires_ms = wall_clock_ms() + duration.count();
    lease_end_.start(duration);
    return *lease_;
}

void Relay::release_leases_of(const std::string& owner) {
    // Its leased request still in flight must not install a lease when confirmed (it would outlive
    // the holder): the relay falls back once that write is done.
    if (in_flight_ && in_flight_->lease && in_flight_->lease->owner == owner) in_flight_->holder_left = true;
    if (lease_ && lease_->owner == owner) fall_back(Cause{Cause::Kind::lease_expired, owner});
}

void Relay::apply_safe_state(Reply reply, Cause cause) {
    failsafe_.cancel();
    pulse_end_.cancel();
    max_on_.cancel();
    lease_end_.cancel();
    clear_owed();
    if (!info_.safe_state || output_ == nullptr) {
        reply(state_);
        return;
    }
    // A request still in flight is superseded: its requester is told, and the safe state is
    // written now so shutdown never waits on a client.
    if (auto flight = std::move(in_flight_)) {
        flight->reply(Error{"offline", "relay '" + info_.id + "' is going to its safe state"});
    }
    write(std::make_shared<InFlight>(
        InFlight{*info_.safe_state, std::move(cause), std::move(reply), std::nullopt, std::nullopt, false, false}));
}

// Pulse end, max_on, lease fall-back: switch now, or as soon as the write in flight is done; a
// write that fails is retried with backoff until the relay is there (settle_owed).
void Relay::owe(bool on, Cause cause) {
    owed_ = Owed{on, std::move(cause)};
    owed_backoff_ = Millis(0);
    owed_retry_.cancel();
    pay_owed();
}

void Relay::pay_owed() {
    if (!owed_ || output_ == nullptr) return;
    if (pending()) {
        owed_retry_.start(busy_retry);
        return;
    }
    write(std::make_shared<InFlight>(InFlight{owed_->on, owed_->cause, [](const Result<RelayState>&) {}, std::nullopt,
                                              std::nullopt, true, false}));
}

void Relay::clear_owed() {
    owed_.reset();
    owed_retry_.cancel();
    owed_backoff_ = Millis(0);
}

// After a write's outcome is applied: what remains owed, and when it is tried again.
void Relay::settle_owed(const InFlight& done, bool ok) {
    if (done.holder_left) {  // confirmed (or not) for a client that is gone: fall back from the loop
        bool target = info_.safe_state.value_or(false);
        if (state_ != relay_state(target)) {
            owed_ = Owed{target, Cause{Cause::Kind::lease_expired, done.lease->owner}};
            owed_backoff_ = Millis(0);
            owed_retry_.start(Millis(0));
        }
        return;
    }
    if (!owed_) return;
    if (ok && state_ == relay_state(owed_->on)) {
        clear_owed();
        return;
    }
    if (!done.owed) {
        // A client's confirmed request decides anew about a lease or a pulse; max_on still holds.
        if (ok && owed_->cause.kind != Cause::Kind::max_on) clear_owed();
        return;
    }
    if (ok) return;
    if (state_ == RelayState::unknown && info_.safe_state && *info_.safe_state == owed_->on) {
        clear_owed();  // the failsafe drives it there, with its own backoff
        return;
    }
    owed_backoff_ = owed_backoff_.count() == 0 ? failsafe_first_retry
                                               : std::min(owed_backoff_ * 2, Millis(failsafe_max_retry));
    owed_retry_.start(owed_backoff_);
}

// Lease expired or its holder left: the relay goes to its safe state (off when none is named).
void Relay::fall_back(Cause cause) {
    lease_.reset();
    lease_end_.cancel();
    if (output_ == nullptr) return;
    owe(info_.safe_state.value_or(false), std::move(cause));
}

// How long a switch on may last at most: the pulse, or what max_on leaves (all of it when the
// relay is off now). The driver may hand that to hardware that times it itself.
std::optional<Millis> Relay::on_limit(const InFlight& flight) const {
    std::optional<Millis> limit = flight.pulse;
    if (info_.max_on_ms > 0) {
        std::int64_t left = info_.max_on_ms;
        if (state_ == RelayState::on) left -= std::chrono::duration_cast<Millis>(loop_.now() - changed_at_).count();
        left = std::max<std::int64_t>(left, 1);
        if (!limit || left < limit->count()) limit = Millis(left);
    }
    return limit;
}

void Relay::write(std::shared_ptr<InFlight> flight) {
    in_flight_ = flight;
    RelayOutput::Done outcome = [this, weak = std::weak_ptr<InFlight>(flight)](RelayState actual,
                                                                              std::optional<Error> error) {
        auto done = weak.lock();
        if (!done || in_flight_ != done) return;  // superseded or unbound: the outcome belongs to nobody
        in_flight_.reset();
        bool ok = !error && actual == relay_state(done->on);
        bool lease_changed = false;
        if (ok) {
            lease_changed = (done->lease.has_value() && !done->holder_left) || lease_.has_value();
            confirmed(*done);
        }
        change(actual, done->cause, lease_changed);
        settle_owed(*done, ok);
        if (!ok) {
            RelayFailure failure{done->on, done->cause,
                                 error ? *error
                                       : Error{"hardware", "reads back " + std::string(to_string(actual)) + " after being set " +
                                                               to_string(relay_state(done->on))},
                                 std::nullopt};
            if (done->owed && owed_ && owed_retry_.active()) {
                failure.retry_in = owed_backoff_;
            } else if (failsafe_.active()) {
                failure.retry_in = failsafe_backoff_;
            }
            observer_.on_relay_failure(*this, failure);
        }
        if (error) {
            done->reply(std::move(*error));
        } else if (!ok) {
            done->reply(Error{"hardware", "relay '" + info_.id + "' reads back " + to_string(actual) + " after being set " +
                                              to_string(relay_state(done->on))});
        } else {
            done->reply(actual);
        }
    };
    if (auto limit = flight->on ? on_limit(*flight) : std::nullopt) {
        output_->write_on_for(*limit, std::move(outcome));
    } else {
        output_->write(flight->on, std::move(outcome));
    }
}

// Bookkeeping of a confirmed write, before it is broadcast so the broadcast carries it.
void Relay::confirmed(const InFlight& flight) {
    if (flight.lease && !flight.holder_left) {
        lease_ = Lease{flight.lease->owner, wall_clock_ms() + flight.lease->duration.count()};
        lease_end_.start(flight.lease->duration);
    } else {
        lease_.reset();
        lease_end_.cancel();
    }
    if (flight.pulse) {
        pulse_end_.start(*flight.pulse);
        pulse_end_ms_ = wall_clock_ms() + flight.pulse->count();
    } else {
        pulse_end_.cancel();
        pulse_end_ms_.reset();
    }
}

void Relay::change(RelayState state, const Cause& cause, bool force) {
    bool changed = state != state_;
    if (changed) {
        previous_ = state_;
        state_ = state;
        ++seq_;
        changed_ms_ = wall_clock_ms();
        changed_at_ = loop_.now();
        if (logbook_.size() == logbook_size) logbook_.pop_front();
        logbook_.push_back(RelayLogEntry{changed_ms_, state_, cause});
        if (state_ == RelayState::on && info_.max_on_ms > 0) {
            max_on_.start(Millis(info_.max_on_ms));
            max_on_end_ms_ = changed_ms_ + info_.max_on_ms;
        } else if (state_ != RelayState::on) {
            max_on_.cancel();
            max_on_end_ms_.reset();
            pulse_end_.cancel();
            pulse_end_ms_.reset();
        }
    }
    update_auto_off();
    transitioned_ = changed;
    if (changed || force) observer_.on_relay_change(*this, cause);
    if (state_ != RelayState::unknown) {
        failsafe_.cancel();
        failsafe_backoff_ = Millis(0);
    } else {
        check_failsafe();
    }
}

void Relay::update_auto_off() {
    auto_off_ms_.reset();
    for (const auto& t : {pulse_end_ms_, max_on_end_ms_}) {
        if (t && (!auto_off_ms_ || *t < *auto_off_ms_)) auto_off_ms_ = t;
    }
}

}  // namespace hwb
