#include "modbus/modbus_relay.h"

#include <spdlog/spdlog.h>

#include "modbus/modbus_device.h"

namespace hwb::modbus {

namespace {
// Between two read-backs while a board's relay is still switching.
constexpr Millis reread_delay{50};
}  // namespace

ModbusRelay::ModbusRelay(Relay& relay, const RelaySettings& settings, ModbusDevice& device, EventLoop& loop)
    : relay_(relay), settings_(settings), device_(device), loop_(loop), reread_(loop, [this] {
          if (!pending_) return;
          std::uint64_t generation = generation_;
          BusRequest r{.kind = BusRequest::Kind::read, .unit = settings_.unit, .table = settings_.table,
                       .address = settings_.address, .count = 1, .urgent = true};
          device_.submit(r, [this, generation, alive = std::weak_ptr<bool>(alive_)](const BusResult& result) {
              if (alive.lock()) on_read_back(generation, result);
          });
      }),
      poll_(loop, [this] {
          poll_.start(settings_.interval);
          read_state();
      }),
      board_check_(loop, [this] { read_state(); }) {}

ModbusRelay::~ModbusRelay() {
    *alive_ = false;
    relay_.bind(nullptr);
}

std::string ModbusRelay::where() const {
    return "unit " + std::to_string(settings_.unit) + " " + to_string(settings_.table) + " " + std::to_string(settings_.address);
}

void ModbusRelay::start() {
    bool on = relay_.info().initial_on;
    Done started = [this, on](RelayState actual, std::optional<Error> error) {
        if (error) spdlog::warn("relay {}: initial state {}: {}", relay_.id(), on ? "on" : "off", error->message);
        relay_.report(actual, Cause::of(Cause::Kind::startup));
        relay_.bind(this);
        bound_ = true;
        if (settings_.interval.count() > 0) poll_.start(settings_.interval);
    };
    if (on && relay_.info().max_on_ms > 0) {
        write_on_for(Millis(relay_.info().max_on_ms), std::move(started));
    } else {
        write(on, std::move(started));
    }
}

void ModbusRelay::write(bool on, Done done) { send(on, std::nullopt, std::move(done)); }

void ModbusRelay::write_on_for(Millis off_after, Done done) {
    if (!settings_.board_pulse) {
        send(true, std::nullopt, std::move(done));
        return;
    }
    auto counts = std::max<std::int64_t>(1, off_after.count() / settings_.board_pulse_unit.count());
    if (counts > RelaySettings::board_pulse_max_counts) {
        // Only a pulse longer than the board can time gets here (max_on is checked with the map).
        spdlog::warn("relay {} ({}): {} ms is longer than the board's timed pulse reaches; timed by the bridge alone",
                     relay_.id(), where(), off_after.count());
        send(true, std::nullopt, std::move(done));
        return;
    }
    send(true, counts, std::move(done));
}

void ModbusRelay::send(bool on, std::optional<std::int64_t> board_counts, Done done) {
    if (pending_) finish(RelayState::unknown, Error{"hardware", "superseded by a newer request"});
    if (!device_.unit_online(settings_.unit)) {
        // Nothing reached the unit: the state is what it was.
        done(relay_.state(), Error{"offline", "relay '" + relay_.id() + "': " + device_.unit_reason(settings_.unit)});
        return;
    }
    pending_ = Pending{on, std::move(done), loop_.now() + settings_.confirm_timeout, std::nullopt};
    std::uint64_t generation = ++generation_;
    std::uint16_t value = settings_.table == Table::coil ? (on ? 1 : 0) : (on ? settings_.on_value : settings_.off_value);
    BusRequest r{.kind = BusRequest::Kind::write, .unit = settings_.unit, .table = settings_.table,
                 .address = settings_.address, .value = value, .read_back = true, .urgent = true};
    if (board_counts) {
        pending_->board_time = *board_counts * settings_.board_pulse_unit;
        r.kind = BusRequest::Kind::timed;
        r.timed_address = *settings_.board_pulse;
        r.value = static_cast<std::uint16_t>(*board_counts);
    }
    device_.submit(r, [this, generation, alive = std::weak_ptr<bool>(alive_)](const BusResult& result) {
        if (alive.lock()) on_write_result(generation, result);
    });
}

std::optional<RelayState> ModbusRelay::decode(const BusResult& result) const {
    if (result.failure != Failure::none || result.values.size() != 1) return std::nullopt;
    std::uint16_t v = result.values[0];
    if (settings_.table == Table::coil) return v != 0 ? RelayState::on : RelayState::off;
    if (v == settings_.on_value) return RelayState::on;
    if (v == settings_.off_value) return RelayState::off;
    return RelayState::unknown;
}

void ModbusRelay::on_write_result(std::uint64_t generation, const BusResult& result) {
    if (!pending_ || generation != generation_) return;
    if (result.failure == Failure::exception && !result.written) {
        // The unit refused the write; it may not have done nothing, so the state is not assumed.
        std::string what = pending_->board_time ? "the timed pulse (function 05 to board_pulse " + std::to_string(*settings_.board_pulse) + ")"
                                                : std::string("the write");
        finish(RelayState::unknown, Error{"hardware", "relay '" + relay_.id() + "' (" + where() + ", map " + settings_.where.str() +
                                                          "): the unit refused " + what + ": " + result.message + " (exception " +
                                                          std::to_string(result.exception) + "); its state is unknown"});
        return;
    }
    if (result.failure == Failure::bad_frame && !result.written) {
        // The unit answered, but its echo differs from the write (some units echo the coil's
        // state, and libmodbus versions differ in checking it): the read-back decides.
        reread_.start(Millis(0));
        return;
    }
    on_read_back(generation, result);
}

void ModbusRelay::on_read_back(std::uint64_t generation, const BusResult& result) {
    if (!pending_ || generation != generation_) return;
    auto said = decode(result);
    RelayState wanted = relay_state(pending_->on);
    if (said && *said == wanted) {
        if (auto board = pending_->board_time) board_check_.start(*board + *board / 20 + reread_delay);
        finish(wanted, std::nullopt);
        return;
    }
    if (result.failure == Failure::none && loop_.now() + reread_delay < pending_->deadline) {
        reread_.start(reread_delay);  // a board may take a moment to switch and report it
        return;
    }
    std::string why;
    if (result.failure != Failure::none) {
        why = std::string(result.written ? "the write was taken but the read-back failed: " : "no confirmation: ") + result.message;
    } else {
        why = "the unit took the write but still reads back " + std::string(said ? to_string(*said) : "?") + " after " +
              std::to_string(settings_.confirm_timeout.count()) + " ms";
    }
    spdlog::warn("relay {} ({}): {}; its state is unknown", relay_.id(), where(), why);
    // A port or connection that failed is `offline`; everything else is a write not confirmed.
    const char* code = result.failure == Failure::link ? "offline" : "timeout";
    finish(RelayState::unknown, Error{code, "relay '" + relay_.id() + "' (" + where() + "): " + why + "; its state is unknown"});
}

void ModbusRelay::finish(RelayState actual, std::optional<Error> error) {
    reread_.cancel();
    if (!pending_) return;
    Done done = std::move(pending_->done);
    pending_.reset();
    done(actual, std::move(error));
}

void ModbusRelay::read_state(bool force) {
    if (reading_ || (!force && !device_.unit_online(settings_.unit))) return;
    reading_ = true;
    BusRequest r{.kind = BusRequest::Kind::read, .unit = settings_.unit, .table = settings_.table,
                 .address = settings_.address, .count = 1};
    device_.submit(r, [this, alive = std::weak_ptr<bool>(alive_)](const BusResult& result) {
        if (alive.lock()) on_state_read(result);
    }, force);
}

void ModbusRelay::on_state_read(const BusResult& result) {
    reading_ = false;
    if (!bound_ || pending_) return;  // a write in flight will tell
    auto said = decode(result);
    if (!said) return;
    if (*said != relay_.state()) {
        spdlog::info("relay {} ({}): reads back {} (was {})", relay_.id(), where(), to_string(*said), to_string(relay_.state()));
        relay_.report(*said, Cause::of(Cause::Kind::driver));
    }
}

void ModbusRelay::on_unit_online() { read_state(true); }

}  // namespace hwb::modbus
