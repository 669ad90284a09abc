// A relay switched by command strings over a serial port, optionally confirmed by a reply
// pattern: the state is reported only once the board said so (or, without confirmation patterns,
// once the command was written). A missing confirmation leaves the state unknown, never guessed.
#pragma once

#include <memory>
#include <optional>

#include "core/event_loop.h"
#include "core/relay.h"
#include "serial/pattern.h"
#include "serial/port_writer.h"
#include "serial/serial_config.h"

namespace hwb::serial {

class SerialRelay final : public RelayOutput {
public:
    SerialRelay(Relay& relay, const RelaySettings& settings, PortWriter& port, EventLoop& loop);
    ~SerialRelay() override;

    // Binds the relay to the core (requests, failsafe). on_online() does it on the first ready.
    void start() {
        if (!bound_) relay_.bind(this);
        bound_ = true;
    }
    void write(bool on, Done done) override;

    // The port (re)opened and the device is ready. The first time, the map's `initial` state is
    // written (the relay is bound to the core once it is confirmed or failed); later the state
    // is unknown until the board confirms one. With a query_command the board is asked instead
    // (nothing is switched), up to query_attempts times confirm_timeout apart; meanwhile the
    // relay is offline ("asking the board"), so neither clients nor the failsafe switch it.
    // Unanswered, the state is unknown (the failsafe acts, if the map has a safe_state) and the
    // query is repeated, less and less often, until the board answers. Call before set_status()
    // so the relay never shows online while it is being asked.
    void on_online(bool first);
    void on_offline();
    // The device's status; the relay's own is offline while the board is asked for its state.
    void set_status(const ChannelStatus& status);
    // True if the frame was a confirmation of this relay.
    bool on_frame(std::string_view frame);
    Relay& relay() { return relay_; }

private:
    struct Pending {
        bool on = false;
        Done done;
        bool written = false;
    };
    void finish(RelayState actual, std::optional<Error> error);
    void timed_out();
    void start_query();
    void send_query();
    void query_unanswered();
    void apply_status();

    Relay& relay_;
    RelaySettings settings_;
    PortWriter& port_;
    std::optional<Pattern> confirm_on_;
    std::optional<Pattern> confirm_off_;
    Timer timeout_;
    std::optional<Pending> pending_;
    bool bound_ = false;
    Timer query_timer_;
    bool asking_ = false;         // the start-up query is out, the relay held offline
    int queries_sent_ = 0;        // in this round of asking
    Millis query_backoff_{0};     // after the start-up attempts: the next repeat's delay
    ChannelStatus device_status_{true, ""};  // channels start online (core default)
    std::uint64_t generation_ = 0;  // tells a stale write completion from the current one
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hwb::serial
