#include "serial/serial_relay.h"

#include <spdlog/spdlog.h>

namespace hwb::serial {

SerialRelay::SerialRelay(Relay& relay, const RelaySettings& settings, PortWriter& port, EventLoop& loop)
    : relay_(relay), settings_(settings), port_(port), timeout_(loop, [this] { timed_out(); }),
      query_timer_(loop, [this] { query_unanswered(); }) {
    // The map was checked (serial_config), so the patterns compile.
    if (settings_.confirm_on) confirm_on_ = Pattern::compile(*settings_.confirm_on).value();
    if (settings_.confirm_off) confirm_off_ = Pattern::compile(*settings_.confirm_off).value();
}

SerialRelay::~SerialRelay() {
    *alive_ = false;
    relay_.bind(nullptr);
}

void SerialRelay::write(bool on, Done done) {
    if (pending_) finish(RelayState::unknown, Error{"hardware", "superseded by a newer request"});
    pending_ = Pending{on, std::move(done), false};
    std::uint64_t generation = ++generation_;
    bool confirmed = confirm_on_.has_value();
    const std::string& command = on ? settings_.on_command : settings_.off_command;
    port_.send(command, [this, alive = std::weak_ptr<bool>(alive_), generation, confirmed](std::optional<Error> error) {
        auto still = alive.lock();
        if (!still || !*still || generation != generation_ || !pending_) return;
        if (error) {
            // Part of the command may have reached the board: its state is not known.
            finish(RelayState::unknown, std::move(error));
            return;
        }
        pending_->written = true;
        if (!confirmed) finish(relay_state(pending_->on), std::nullopt);
    });
    // The confirmation window starts now: a fast board may answer before the write completion.
    if (confirmed && pending_ && pending_->on == on && generation == generation_) timeout_.start(settings_.confirm_timeout);
}

void SerialRelay::finish(RelayState actual, std::optional<Error> error) {
    timeout_.cancel();
    if (!pending_) return;
    Done done = std::move(pending_->done);
    pending_.reset();
    done(actual, std::move(error));
}

void SerialRelay::timed_out() {
    if (!pending_) return;
    auto ms = settings_.confirm_timeout.count();
    spdlog::warn("relay {}: no confirmation within {} ms; its state is unknown", relay_.id(), ms);
    finish(RelayState::unknown, Error{"timeout", "relay '" + relay_.id() + "' did not confirm within " +
                                                     std::to_string(ms) + " ms; its state is unknown"});
}

bool SerialRelay::on_frame(std::string_view frame) {
    std::optional<RelayState> said;
    if (confirm_on_ && confirm_on_->matches(frame)) said = RelayState::on;
    else if (confirm_off_ && confirm_off_->matches(frame)) said = RelayState::off;
    if (!said) return false;
    query_timer_.cancel();  // the state is known: no more asking
    if (pending_) {
        finish(*said, std::nullopt);  // the core reports a mismatch as a hardware error
    } else {
        relay_.report(*said, Cause::of(Cause::Kind::driver));  // the board changed or answered a query
    }
    if (asking_) {
        asking_ = false;
        apply_status();  // after the report: the relay comes online in the state the board said
    }
    return true;
}

void SerialRelay::set_status(const ChannelStatus& status) {
    device_status_ = status;
    apply_status();
}

void SerialRelay::apply_status() {
    if (asking_ && device_status_.online) {
        relay_.set_status(ChannelStatus{false, "asking the board for the state of relay '" + relay_.id() + "' (query_command)"});
    } else {
        relay_.set_status(device_status_);
    }
}

void SerialRelay::on_online(bool first) {
    query_timer_.cancel();
    asking_ = false;
    if (!first && relay_.info().safe_state) {
        // Back after a failure: the core drives the relay to its safe state (cause failsafe).
        relay_.report(RelayState::unknown, Cause::of(Cause::Kind::driver));
        return;
    }
    if (settings_.query_command) {
        // The answer (matched by confirm_on/confirm_off) reports the state; nothing is switched.
        if (!first) relay_.report(RelayState::unknown, Cause::of(Cause::Kind::driver));
        start_query();
        start();  // held offline while asked: neither clients nor the failsafe switch it
        return;
    }
    if (!first) {
        relay_.report(RelayState::unknown, Cause::of(Cause::Kind::driver));
        return;
    }
    // Written by the driver, as every driver sets its initial state; the relay is bound to the core
    // only once the board confirmed (or failed): the core's failsafe must not race this write.
    bool on = relay_.info().initial_on;
    write(on, [this, on](RelayState actual, std::optional<Error> error) {
        if (error) spdlog::warn("relay {}: initial state {}: {}", relay_.id(), on ? "on" : "off", error->message);
        relay_.report(actual, Cause::of(Cause::Kind::startup));
        start();  // a failed initial write leaves the state unknown: the failsafe acts now, if the map has a safe_state
    });
}

void SerialRelay::start_query() {
    asking_ = true;
    queries_sent_ = 0;
    query_backoff_ = settings_.confirm_timeout;
    apply_status();
    send_query();
}

void SerialRelay::send_query() {
    ++queries_sent_;
    port_.send(*settings_.query_command, [](std::optional<Error>) {});  // a failed write shows as no answer
    query_timer_.start(asking_ ? settings_.confirm_timeout : query_backoff_);
}

void SerialRelay::query_unanswered() {
    constexpr Millis max_backoff{30000};
    if (asking_) {
        if (queries_sent_ < settings_.query_attempts) {
            send_query();
            return;
        }
        asking_ = false;
        spdlog::warn("relay {}: no answer to query_command after {} {} ({} ms apart); its state is unknown{}", relay_.id(),
                     queries_sent_, queries_sent_ == 1 ? "try" : "tries", settings_.confirm_timeout.count(),
                     relay_.info().safe_state ? ", so it goes to its safe state" : ", asked again later");
        apply_status();  // online and unknown: the core's failsafe acts if the map names a safe state
        query_backoff_ = std::min(query_backoff_ * 2, max_backoff);
        query_timer_.start(query_backoff_);  // the failsafe's write (if any) goes first
        return;
    }
    if (relay_.state() != RelayState::unknown || !device_status_.online) return;  // known since, or gone
    if (pending_) {
        query_timer_.start(query_backoff_);  // a switch in flight will tell
        return;
    }
    // Keep asking, less and less often, while nobody knows the state.
    query_backoff_ = std::min(query_backoff_ * 2, max_backoff);
    send_query();
}

void SerialRelay::on_offline() {
    query_timer_.cancel();
    asking_ = false;
    if (pending_) finish(RelayState::unknown, Error{"offline", "relay '" + relay_.id() + "' went offline before confirming"});
}

}  // namespace hwb::serial
