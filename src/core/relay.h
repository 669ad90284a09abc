// A relay channel: the confirmed state of an output and the one request in flight.
//
// The state changes only when the driver reports what the hardware did (RelayOutput::Done),
// so clients never see a state the hardware was not set to. One write is in flight at a time;
// a request that arrives meanwhile is refused with `busy`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

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
};

class Relay {
public:
    using Reply = std::function<void(Result<RelayState>)>;

    Relay(RelayInfo info, ChannelObserver& observer, EventLoop& loop);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    const RelayInfo& info() const { return info_; }
    const std::string& id() const { return info_.id; }
    RelayState state() const { return state_; }
    std::uint64_t seq() const { return seq_; }
    std::int64_t changed_ms() const { return changed_ms_; }
    bool pending() const { return in_flight_ != nullptr; }
    const ChannelStatus& status() const { return status_; }
    bool pulsing() const { return pulse_end_.active(); }

    // Driver side.
    void bind(RelayOutput* output);                // nullptr: the relay is gone (offline)
    void report(RelayState actual, Cause cause);  // the hardware is known to be in this state
    void set_status(ChannelStatus status);

    // Requests. `reply` gets the confirmed state or an Error (codes: busy, offline,
    // unknown_state, hardware, ...); it runs exactly once, possibly before the call returns.
    void set(bool on, Cause cause, Reply reply);
    void toggle(Cause cause, Reply reply);
    // On now, off again after `duration` (cause pulse_end). A later set/toggle cancels the off.
    void pulse(Millis duration, Cause cause, Reply reply);
    // Shutdown: drive the relay to its safe state if the map names one; replies at once otherwise.
    void apply_safe_state(Reply reply);

private:
    struct InFlight;
    void write(bool on, Cause cause, Reply reply);
    void change(RelayState state, const Cause& cause);

    RelayInfo info_;
    ChannelObserver& observer_;
    RelayOutput* output_ = nullptr;
    RelayState state_ = RelayState::unknown;
    std::uint64_t seq_ = 0;
    std::int64_t changed_ms_ = 0;
    ChannelStatus status_;
    std::shared_ptr<InFlight> in_flight_;
    Timer pulse_end_;
};

}  // namespace hwb
