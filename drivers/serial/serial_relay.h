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

    void start() { relay_.bind(this); }
    void write(bool on, Done done) override;

    // The port (re)opened. The first time, the map's `initial` state is written; later the state
    // is unknown until the board confirms one (query_command asks it at once).
    void on_online(bool first);
    void on_offline();
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

    Relay& relay_;
    RelaySettings settings_;
    PortWriter& port_;
    std::optional<Pattern> confirm_on_;
    std::optional<Pattern> confirm_off_;
    Timer timeout_;
    std::optional<Pending> pending_;
    std::uint64_t generation_ = 0;  // tells a stale write completion from the current one
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hwb::serial
