// All channels of the running device map, and the observers (the server) told of every change.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/cause.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/relay.h"
#include "core/sensor.h"
#include "core/text_channel.h"
#include "core/uplink_status.h"

namespace hwb {

class ChannelObserver {
public:
    virtual ~ChannelObserver() = default;
    virtual void on_reading(const Sensor& /*sensor*/) {}
    virtual void on_relay_change(const Relay& /*relay*/, const Cause& /*cause*/) {}
    // Every failed relay write, whoever asked for it (the state did not change, or became unknown).
    virtual void on_relay_failure(const Relay& /*relay*/, const RelayFailure& /*failure*/) {}
    virtual void on_text_line(const TextChannel& /*channel*/, const TextLine& /*line*/) {}
    virtual void on_status(ChannelKind /*kind*/, const std::string& /*id*/, const ChannelStatus& /*status*/) {}
    // An uplink changed state, or went (state empty: removed).
    virtual void on_uplink(const UplinkStatus& /*status*/) {}
};

class Channels : private ChannelObserver {
public:
    // Creates one channel object per channel in the map, in map order.
    Channels(const DeviceMap& map, EventLoop& loop);
    ~Channels() override;
    Channels(const Channels&) = delete;
    Channels& operator=(const Channels&) = delete;

    void add_observer(ChannelObserver* observer) { observers_.push_back(observer); }
    void remove_observer(ChannelObserver* observer);

    const std::vector<std::unique_ptr<Sensor>>& sensors() const { return sensors_; }
    const std::vector<std::unique_ptr<Relay>>& relays() const { return relays_; }
    const std::vector<std::unique_ptr<TextChannel>>& texts() const { return texts_; }

    Sensor* sensor(const std::string& id) const;
    Relay* relay(const std::string& id) const;
    TextChannel* text(const std::string& id) const;

    // Map reload (docs/device-map.md, "Reloading"): channels of one device come and go together.
    // After a series of these, arrange() puts every list in the new map's order and rebuilds the
    // interlock groups. Removing destroys the channel objects: unbind their driver first.
    void add_device(const DeviceConfig& device);
    void remove_device(const std::string& device_id);
    void update_device(const DeviceConfig& device);  // same channels; new labels and policies
    void arrange(const DeviceMap& map);

    // Uplinks (core/uplink_status.h): set by their front, told to every observer when changed.
    void set_uplink(const UplinkStatus& status);
    void remove_uplink(const std::string& name);
    const std::vector<UplinkStatus>& uplinks() const { return uplinks_; }

private:
    EventLoop& loop_;
    void on_reading(const Sensor& sensor) override;
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    void on_relay_failure(const Relay& relay, const RelayFailure& failure) override;
    void on_text_line(const TextChannel& channel, const TextLine& line) override;
    void on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) override;

    std::vector<std::unique_ptr<Sensor>> sensors_;
    std::vector<std::unique_ptr<Relay>> relays_;
    std::vector<std::unique_ptr<TextChannel>> texts_;
    std::map<std::string, Sensor*> sensor_by_id_;
    std::map<std::string, Relay*> relay_by_id_;
    std::map<std::string, TextChannel*> text_by_id_;
    std::vector<ChannelObserver*> observers_;
    std::vector<UplinkStatus> uplinks_;
};

}  // namespace hwb
