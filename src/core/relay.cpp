#include "core/relay.h"

#include "core/channels.h"

namespace hwb {

struct Relay::InFlight {
    bool on;
    Cause cause;
    Reply reply;
};

Relay::Relay(RelayInfo info, ChannelObserver& observer, EventLoop& loop)
    : info_(std::move(info)), observer_(observer), pulse_end_(loop, [this] {
          // The pulse's automatic off is owned by the relay, so its outcome goes to the log via the
          // broadcast (cause pulse_end); nobody waits for a reply.
          set(false, Cause::of(Cause::Kind::pulse_end), [](const Result<RelayState>&) {});
      }) {}

Relay::~Relay() = default;

void Relay::bind(RelayOutput* output) {
    output_ = output;
    if (output == nullptr) {
        in_flight_.reset();
        pulse_end_.cancel();
    }
}

void Relay::report(RelayState actual, Cause cause) { change(actual, cause); }

void Relay::set_status(ChannelStatus status) {
    if (status.online == status_.online && status.reason == status_.reason) return;
    status_ = std::move(status);
    observer_.on_status(ChannelKind::relay, info_.id, status_);
}

void Relay::set(bool on, Cause cause, Reply reply) {
    if (output_ == nullptr || !status_.online) {
        reply(Error{"offline", "relay '" + info_.id + "' is offline" + (status_.reason.empty() ? "" : ": " + status_.reason)});
        return;
    }
    if (pending()) {
        reply(Error{"busy", "relay '" + info_.id + "' is still executing an earlier request"});
        return;
    }
    pulse_end_.cancel();
    write(on, std::move(cause), std::move(reply));
}

void Relay::toggle(Cause cause, Reply reply) {
    if (state_ == RelayState::unknown && output_ != nullptr && status_.online && !pending()) {
        reply(Error{"unknown_state", "relay '" + info_.id + "' is in an unknown state; use set instead of toggle"});
        return;
    }
    set(state_ != RelayState::on, std::move(cause), std::move(reply));
}

void Relay::pulse(Millis duration, Cause cause, Reply reply) {
    set(true, std::move(cause), [this, duration, reply = std::move(reply)](Result<RelayState> result) {
        if (result.ok()) pulse_end_.start(duration);
        reply(std::move(result));
    });
}

void Relay::apply_safe_state(Reply reply) {
    pulse_end_.cancel();
    if (!info_.safe_state || output_ == nullptr) {
        reply(state_);
        return;
    }
    // A request still in flight is superseded: its requester is told, and the safe state is
    // written now so shutdown never waits on a client.
    if (auto flight = std::move(in_flight_)) {
        flight->reply(Error{"offline", "relay '" + info_.id + "' is going to its safe state"});
    }
    write(*info_.safe_state, Cause::of(Cause::Kind::shutdown), std::move(reply));
}

void Relay::write(bool on, Cause cause, Reply reply) {
    auto flight = std::make_shared<InFlight>(InFlight{on, std::move(cause), std::move(reply)});
    in_flight_ = flight;
    output_->write(on, [this, weak = std::weak_ptr<InFlight>(flight)](RelayState actual, std::optional<Error> error) {
        auto done = weak.lock();
        if (!done || in_flight_ != done) return;  // superseded or unbound: the outcome belongs to nobody
        in_flight_.reset();
        change(actual, done->cause);
        if (error) {
            done->reply(std::move(*error));
        } else if (actual != relay_state(done->on)) {
            done->reply(Error{"hardware", "relay '" + info_.id + "' reads back " + to_string(actual) + " after being set " +
                                              to_string(relay_state(done->on))});
        } else {
            done->reply(actual);
        }
    });
}

void Relay::change(RelayState state, const Cause& cause) {
    if (state == state_) return;
    state_ = state;
    ++seq_;
    changed_ms_ = wall_clock_ms();
    observer_.on_relay_change(*this, cause);
}

}  // namespace hwb
