// The MQTT front (docs/mqtt.md): every channel on the broker people already run, and relay and
// text commands from it. A front like the WebSocket server: it observes the channels and
// publishes; every command passes the door (door/door.h) as the requester "mqtt"; it runs on the
// one event loop (mqtt_link.h). Includes no libmosquitto header.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "door/door.h"

namespace hwb::mqtt {

class MqttLink;
struct Incoming;
struct Reply;

class MqttFront final : private ChannelObserver {
public:
    MqttFront(EventLoop& loop, Door& door, std::string version);
    ~MqttFront() override;
    MqttFront(const MqttFront&) = delete;
    MqttFront& operator=(const MqttFront&) = delete;

    // At start and after every map reload: connects when the map has `mqtt:`; a changed `mqtt:`
    // section reconnects (or disconnects), first clearing on the old connection the retained
    // messages the new settings will not publish again; changed channels update the discovery
    // configs, and the retained config, availability and state of removed channels are cleared.
    // `channels` must outlive the front or the next apply.
    void apply(const DeviceMap& map, Channels& channels);
    // Shutdown: `offline` on the status topic and a clean disconnect (bounded wait).
    void stop();

    struct Counters {
        std::uint64_t published = 0;
        std::uint64_t dropped_disconnected = 0;  // readings while the broker was away
        std::uint64_t coalesced = 0;             // readings replaced by a newer one while the broker was slow
        std::uint64_t commands = 0;
        std::uint64_t ignored = 0;               // retained, oversized or unreadable commands
    };
    const Counters& counters() const { return counters_; }
    // The map has `mqtt:` and the broker is connected now.
    bool broker_connected() const;
    // A message of another front (an automation's `publish` action) on `topic` as given: sent
    // from the loop like the front's own; refused (mqtt_offline) while the broker is away.
    Status publish_message(const std::string& topic, const std::string& payload, int qos, bool retain);

private:
    void on_reading(const Sensor& sensor) override;
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    void on_text_line(const TextChannel& channel, const TextLine& line) override;
    void on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) override;

    void connected();
    void disconnected();
    void message(const Incoming& in);
    // Error text when `payload` is no relay command; `renew` set for a lease renewal.
    std::optional<std::string> read_relay_command(const std::string& payload, RelayCommand& command,
                                                  std::optional<Millis>& renew) const;
    void relay_command(const std::string& id, const std::string& payload, const Reply& reply);
    void text_command(const std::string& id, const std::string& payload, const Reply& reply);
    void answer(const Reply& reply, const nlohmann::json& body);
    void publish_meta();
    void report_state();  // the uplink's state into Channels (the page shows it)
    void stay_off(const std::string& why);
    void publish(const std::string& topic, const std::string& payload, int qos, bool retain);
    void publish_reading(const Sensor& sensor);
    void publish_everything();   // availability, states, last readings, discovery
    void publish_discovery();
    // The retained topics `config` gives this bridge's own channels now: the metadata message,
    // each channel's availability, a relay's state and, with discovery, each entity's config.
    std::set<std::string> retained_topics(const MqttConfig& config) const;
    // An empty retained message (which deletes a retained one) on each of `before` not in `now`.
    void clear_retained(const std::set<std::string>& before, const std::set<std::string>& now);
    // The previous run's metadata message (retained): what it published for channels the map no
    // longer has (removed while the daemon was down) is cleared.
    void clear_after_previous_run(const std::string& meta);
    void flush_coalesced();
    std::string topic(const std::string& kind, const std::string& id, const std::string& leaf) const;

    EventLoop& loop_;
    Door& door_;
    std::string version_;
    MqttConfig config_;
    std::string bridge_name_;
    Channels* channels_ = nullptr;
    std::unique_ptr<MqttLink> link_;
    Requester requester_;
    std::set<std::string> coalesced_;             // sensors whose latest reading waits for the broker
    Timer flush_;
    std::set<std::string> retained_;              // retained_topics() as last published by this process
    std::vector<std::pair<std::string, std::string>> devices_;  // id, label: for the metadata message
    std::set<std::string> warned_retained_;
    Counters counters_;
    std::uint64_t dropped_reported_ = 0;
    std::string off_reason_;                      // why the uplink stays off (a bad password file)
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hwb::mqtt
