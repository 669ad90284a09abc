// One running automation (docs/automations.md): a controller or a rule, made from its
// AutomationConfig. It sees the channels through the front (automation_front.h) and switches
// relays only through the door, as the requester "automation:<id>" (role admin: the map that
// declares it is written by an admin), so the relay policies, rate limits and the audit trail hold
// for it as for every client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/automation_config.h"
#include "core/channels.h"
#include "core/event_loop.h"
#include "core/time_zone.h"
#include "door/door.h"

namespace hwb::automation {

// What a rule's `publish` action needs of the MQTT uplink (src/mqtt). The automation layer knows
// no broker: src/app hands the front one of these, backed by the MQTT front, at wiring time.
class Uplink {
public:
    virtual ~Uplink() = default;
    // Publishes on `topic` (whole: the map loader put the uplink's prefix in front) from the
    // loop, without waiting; an error (code mqtt_offline) while the broker is not connected.
    virtual Status publish(const std::string& topic, const std::string& payload, int qos, bool retain) = 0;
};

// What every automation of one front shares.
struct Context {
    EventLoop& loop;
    Door& door;
    Channels* channels = nullptr;
    std::function<std::int64_t()> wall_ms;  // the bridge's wall clock (ms since the epoch)
    std::function<void(const std::string& id)> changed;  // an automation's state, detail or last firing changed
    TimeZone zone;  // the map's bridge.time_zone, else the process's
    Uplink* uplink = nullptr;  // the MQTT uplink for `publish` actions; none: they are refused
};

class Automation {
public:
    // armed: waiting for its trigger or schedule; active: controlling (or running its actions);
    // overridden: paused after a client switched its relay; faulted: its sensor is offline or
    // stale (relay at its failsafe) or it fired too often; disabled: switched off by an operator.
    enum class State : std::uint8_t { armed, active, overridden, faulted, disabled };

    Automation(const AutomationConfig& config, Context& context);
    virtual ~Automation();
    Automation(const Automation&) = delete;
    Automation& operator=(const Automation&) = delete;

    const AutomationConfig& config() const { return config_; }
    const std::string& id() const { return config_.id; }
    // "automation:<id>": the requester's client and subject, the cause of the relay changes it makes.
    const std::string& client() const { return requester_.client(); }
    State state() const { return state_; }
    const std::string& detail() const { return detail_; }  // why faulted or overridden, what it did last
    std::optional<std::int64_t> last_fired_ms() const { return last_fired_ms_; }
    // Schedules and `at` triggers: when they act next (wall clock).
    virtual std::optional<std::int64_t> next_fire_ms() const { return std::nullopt; }
    Context& context() const { return context_; }

    // Looks at the channels as they are now and acts only where its rules say so: a relay that
    // is already where the automation wants it is not touched (reloads cause no glitch).
    virtual void start() = 0;
    // A reload that changed this automation: what the one it replaces had already seen (a level
    // trigger that fired for the present excursion, an edge's last value), before start().
    virtual void carry_over(const Automation& /*previous*/) {}
    virtual void on_reading(const Sensor& /*sensor*/) {}
    virtual void on_relay_change(const Relay& /*relay*/, const Cause& /*cause*/) {}
    virtual void on_status(ChannelKind /*kind*/, const std::string& /*id*/, const ChannelStatus& /*status*/) {}

    // Thermostats: the setpoint in force (a run-time change by an operator, or the map's).
    virtual std::optional<double> setpoint() const { return std::nullopt; }
    virtual void set_setpoint(double /*value*/) {}

    // A relay request through the door; `done` runs only while this automation still exists.
    void relay_request(const RelayCommand& command, std::function<void(Result<RelayState>)> done);
    void text_request(const std::string& channel, const std::string& line, std::function<void(Status)> done);

protected:
    void set_state(State state, std::string detail);
    Sensor* sensor(const std::string& id) const;
    Relay* relay(const std::string& id) const;
    void announce() {
        if (context_.changed) context_.changed(id());
    }
    void fired() {
        last_fired_ms_ = context_.wall_ms();
        if (context_.changed) context_.changed(id());
    }

    AutomationConfig config_;
    Context& context_;
    Requester requester_;

private:
    State state_ = State::armed;
    std::string detail_;
    std::optional<std::int64_t> last_fired_ms_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

const char* to_string(Automation::State state);

// Switches one relay to where a controller wants it: one request at a time, nothing when the
// relay is already there, and after a refusal (too_soon, interlock, rate_limited, offline...)
// a retry with backoff (1 s doubling to 30 s): a refused controller is visible in the audit
// trail and the log, and never hammers the relay.
class RelayDriver {
public:
    // `retry`: called when the backoff ends, to decide again.
    RelayDriver(Automation& owner, EventLoop& loop, std::function<void()> retry);
    // Returns true when a request was sent.
    bool drive(Relay& relay, bool on);
    bool waiting() const { return in_flight_ || retry_.active(); }
    void reset() {
        retry_.cancel();
        backoff_ = Millis(0);
    }

private:
    Automation& owner_;
    bool in_flight_ = false;
    Timer retry_;
    Millis backoff_{0};
};

std::unique_ptr<Automation> make_automation(const AutomationConfig& config, Context& context);

}  // namespace hwb::automation
