// The running device map: its channels and devices, and the hot reload (SIGHUP or the page's
// editor through MapAdmin). See docs/device-map.md, "Reloading".
//
// A reload compares each device of the new map with the running one:
//   kept      same driver settings and channels: keeps running untouched (ports stay open,
//             relays keep their state, leases and timers); new labels, units and relay policies
//             are applied in place;
//   reopened  anything the driver uses changed: its relays go to their safe state first, then
//             the device is closed and opened again with the new settings;
//   removed   its relays go to their safe state, then it is closed;
//   added     opened and started.
// Connected clients get a new hello on their existing connections.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/driver.h"
#include "devicemap/loader.h"
#include "server/map_admin.h"
#include "server/server.h"

namespace hwb::app {

class Bridge final : public MapAdmin {
public:
    // What the command line put over the map; reloads keep it, and it is not a map change.
    struct Overrides {
        bool log_level = false;                 // --log-level was given
        std::optional<ListenAddress> map_listen;  // --listen was given: bridge.listen as the map said it
    };
    // `map` was loaded from `text` (the file's content), with the overrides applied.
    Bridge(const DriverRegistry& drivers, Server& server, DeviceMap map, std::string text, Overrides overrides);
    ~Bridge() override;

    void start();          // opens and starts every device
    void close_devices();  // before the server goes
    Channels& channels() { return *channels_; }
    const DeviceMap& map() const { return map_; }
    std::string describe(const std::string& device_id) const;
    // Every running device's counters, by device id (GET /metrics).
    std::map<std::string, std::vector<DeviceCounter>> device_counters() const;

    // Other fronts (MQTT) learn of each finished reload here, after the server did.
    void on_reloaded(std::function<void()> listener) { reloaded_ = std::move(listener); }

    // SIGHUP: the file as it is now; errors are logged and the running map stays.
    void reload_from_file();

    MapDocument current() const override;
    std::vector<MapProblem> validate(const std::string& text, bool admin) const override;
    void apply(const std::string& text, const std::string& base_version, bool save,
               std::function<void(MapApplyResult)> done) override;
    std::string schema() const override;  // devicemap::json_schema, compact

    // Channels a device found at run time (an mqtt device importing another bridge): the map is
    // reloaded with them (docs/mqtt.md, "Importing a whole bridge").
    struct Found {
        FoundChannels channels;
        std::map<std::string, OptionValue> device_options;  // the device's settings they were found with
    };

private:
    struct Plan;
    void on_found(const std::string& device_id, FoundChannels found);
    void reimport();
    void reload(DeviceMap next, std::string text, std::function<void(MapApplyResult)> done);
    void finish(std::shared_ptr<Plan> plan);
    std::unique_ptr<Device> open(const DeviceConfig& device);

    const DriverRegistry& drivers_;
    Server& server_;
    DeviceMap map_;
    std::string text_;
    std::string version_;
    bool log_level_fixed_;
    bool listen_overridden_;
    ListenAddress map_listen_;  // bridge.listen as the running map's text says it
    std::unique_ptr<Channels> channels_;
    DeviceContext context_;
    std::map<std::string, std::unique_ptr<Device>> devices_;
    std::shared_ptr<Plan> reloading_;
    std::shared_ptr<Plan> finished_;
    std::function<void()> reloaded_;
    std::map<std::string, Found> found_;  // by device id
    std::unique_ptr<Timer> reimport_;     // a reload with newly found channels, from the loop
    bool reimport_after_reload_ = false;
};

// The channels in `found` added to their devices in `map` (replacing any added before), the
// origin of every channel marked (DriverInfo::origin). A found channel whose id the map already
// uses is left out: the map wins; `notes` says so.
void add_found_channels(DeviceMap& map, const DriverRegistry& drivers, const std::map<std::string, Bridge::Found>& found,
                        std::vector<std::string>* notes);

// True when a running device can stay open under `next`: same driver, options and channels,
// with only what drivers do not use (labels, units, precision, history sizes, relay policies,
// safe state) allowed to differ.
bool same_hardware(const DeviceConfig& running, const DeviceConfig& next);

}  // namespace hwb::app
