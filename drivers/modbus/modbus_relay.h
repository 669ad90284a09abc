// A relay on a coil (write 05, read back 01) or a holding register (write 06 with on_value /
// off_value, read back 03). The state is reported only from a read-back: a write the unit takes
// but whose read-back does not show the new state within confirm_timeout ends in `timeout` with
// the state unknown, as does a write without an answer. When its unit comes back after being
// offline the relay's state is read, not written: nothing switches because the bus was down.
//
// With `board_pulse` (a relay board's own timer, Waveshare kind), switching on for a limited time
// (a pulse, max_on) is written as the board's timed pulse, so the board switches the relay off
// even when the bridge is gone. The time handed to the board is rounded down to its counts (at
// least one): the board never holds the relay on longer than asked. It is confirmed by read-back
// like any write; the core's own timer still switches the relay off at the end (the second guard),
// and one more read-back after the board's time (plus 5 %) reports what the board did, should its
// timer end after a later plain switch on.
#pragma once

#include <memory>
#include <optional>

#include "core/event_loop.h"
#include "core/relay.h"
#include "modbus/bus.h"
#include "modbus/modbus_config.h"

namespace hwb::modbus {

class ModbusDevice;

class ModbusRelay final : public RelayOutput {
public:
    ModbusRelay(Relay& relay, const RelaySettings& settings, ModbusDevice& device, EventLoop& loop);
    ~ModbusRelay() override;

    // Writes the map's `initial` state; the relay is bound to the core once that is confirmed or
    // failed (the core's failsafe must not race the first write).
    void start();
    void write(bool on, Done done) override;
    void write_on_for(Millis off_after, Done done) override;

    int unit() const { return settings_.unit; }
    const RelaySettings& settings() const { return settings_; }
    Relay& relay() { return relay_; }
    void on_unit_online();   // read the state back and report it
    // A read for the state; `force` also when the unit is offline (the unit's probe).
    void read_state(bool force = false);

private:
    struct Pending {
        bool on = false;
        Done done;
        Clock::time_point deadline;
        std::optional<Millis> board_time;  // written as the board's timed pulse of this length
    };
    // `board_counts`: as the board's timed pulse of this many board_pulse_unit.
    void send(bool on, std::optional<std::int64_t> board_counts, Done done);
    void on_write_result(std::uint64_t generation, const BusResult& result);
    void on_read_back(std::uint64_t generation, const BusResult& result);
    void on_state_read(const BusResult& result);
    void finish(RelayState actual, std::optional<Error> error);
    std::optional<RelayState> decode(const BusResult& result) const;
    std::string where() const;  // "unit 1 coil 3"

    Relay& relay_;
    RelaySettings settings_;
    ModbusDevice& device_;
    EventLoop& loop_;
    std::optional<Pending> pending_;
    std::uint64_t generation_ = 0;
    bool bound_ = false;
    bool reading_ = false;
    Timer reread_;  // the next read-back while the state has not followed the write yet
    Timer poll_;    // `interval`
    Timer board_check_;  // the read-back after the board's timed pulse ended
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hwb::modbus
