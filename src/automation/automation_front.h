// The automation front (docs/automations.md): runs the map's `automations:` on the one event
// loop. Like the WebSocket server and the MQTT uplink it observes the channels, and every relay
// or text request it makes passes the door as the requester "automation:<id>" (audited, rate
// limited, subject to the relay policies). It never calls a relay itself.
//
// Reload: an automation whose declaration did not change keeps running untouched; a changed or
// new one starts by looking at the channels as they are (a relay already where it should be is
// not switched); a removed one stops and leaves its relay as it is.
//
// Thermostat setpoints changed at run time, and automations disabled at run time, are kept in a
// state file (default: next to the map, MAP-STEM.automations.json) and survive restarts; a map
// that changes a thermostat's own setpoint wins over the kept one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/result.h"
#include "door/door.h"

namespace hwb::automation {

class Automation;
class Uplink;
struct Context;

class AutomationFront final : public AutomationPanel, private ChannelObserver {
public:
    // `wall_ms`: the bridge's wall clock (tests give a manual one with the manual loop).
    AutomationFront(EventLoop& loop, Door& door, std::function<std::int64_t()> wall_ms = wall_clock_ms);
    ~AutomationFront() override;
    AutomationFront(const AutomationFront&) = delete;
    AutomationFront& operator=(const AutomationFront&) = delete;

    // Where the run-time state is kept; empty: next to the map (set before the first apply).
    void set_state_file(std::string path) { state_file_ = std::move(path); }
    const std::string& state_file() const { return state_file_; }

    // The MQTT uplink of `publish` actions (src/app wires the MQTT front's); it must outlive the
    // front or be set back to nullptr.
    void set_uplink(Uplink* uplink);

    // At start and after every map reload. `channels` must outlive the front or the next apply.
    void apply(const DeviceMap& map, Channels& channels);
    // Shutdown: every automation stops before the relays go to their safe states.
    void stop();

    // Operator actions (door/automation_panel.h), audited at the door as done by `who`.
    Status set_setpoint(const Requester& who, const std::string& id, double value) override;
    Status set_enabled(const Requester& who, const std::string& id, bool enabled) override;
    std::vector<AutomationStatus> automations() const override;

private:
    struct Kept {
        std::optional<double> setpoint;      // set at run time
        std::optional<double> map_setpoint;  // the map's setpoint when it was set
        std::optional<bool> enabled;
    };
    void on_reading(const Sensor& sensor) override;
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    void on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) override;
    void start_one(const AutomationConfig& config, const Automation* previous = nullptr);
    void warn_shared_relays() const;
    void load_state();
    void save_state() const;
    bool enabled(const AutomationConfig& config) const;
    AutomationStatus status_of(const AutomationConfig& config) const;
    void changed(const std::string& id) const;
    std::optional<Error> may_operate(const Requester& who, const AutomationConfig& config) const;

    EventLoop& loop_;
    Door& door_;
    std::unique_ptr<Context> context_;
    std::vector<AutomationConfig> configs_;
    std::map<std::string, std::unique_ptr<Automation>> running_;
    std::map<std::string, Kept> kept_;
    std::string state_file_;
    bool state_loaded_ = false;
    bool stopped_ = false;
};

}  // namespace hwb::automation
