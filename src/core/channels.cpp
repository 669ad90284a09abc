#include "core/channels.h"

#include <algorithm>
#include <stdexcept>

namespace hwb {

namespace {
template <class T>
T* find_in(const std::map<std::string, T*>& index, const std::string& id) {
    auto it = index.find(id);
    return it == index.end() ? nullptr : it->second;
}

template <class T>
void index_channel(std::map<std::string, T*>& index, T* channel) {
    if (!index.emplace(channel->id(), channel).second)
        throw std::logic_error("duplicate channel id '" + channel->id() + "' passed validation");
}
}  // namespace

Channels::Channels(const DeviceMap& map, EventLoop& loop) {
    ChannelObserver& fan_out = *this;  // channels report to this registry, which tells every observer
    for (const auto& device : map.devices) {
        for (const auto& s : device.sensors) {
            sensors_.push_back(std::make_unique<Sensor>(s.info, fan_out));
            index_channel(sensor_by_id_, sensors_.back().get());
        }
        for (const auto& r : device.relays) {
            relays_.push_back(std::make_unique<Relay>(r.info, fan_out, loop));
            index_channel(relay_by_id_, relays_.back().get());
        }
        for (const auto& t : device.texts) {
            texts_.push_back(std::make_unique<TextChannel>(t.info, fan_out));
            index_channel(text_by_id_, texts_.back().get());
        }
    }
    // Interlock groups: each relay learns the others of its group.
    for (auto& relay : relays_) {
        if (relay->info().interlock.empty()) continue;
        std::vector<const Relay*> peers;
        for (const auto& other : relays_)
            if (other != relay && other->info().interlock == relay->info().interlock) peers.push_back(other.get());
        relay->set_interlock_peers(std::move(peers));
    }
}

Channels::~Channels() = default;

void Channels::remove_observer(ChannelObserver* observer) {
    observers_.erase(std::remove(observers_.begin(), observers_.end(), observer), observers_.end());
}

Sensor* Channels::sensor(const std::string& id) const { return find_in(sensor_by_id_, id); }
Relay* Channels::relay(const std::string& id) const { return find_in(relay_by_id_, id); }
TextChannel* Channels::text(const std::string& id) const { return find_in(text_by_id_, id); }

void Channels::on_reading(const Sensor& sensor) {
    for (auto* o : observers_) o->on_reading(sensor);
}
void Channels::on_relay_change(const Relay& relay, const Cause& cause) {
    for (auto* o : observers_) o->on_relay_change(relay, cause);
}
void Channels::on_text_line(const TextChannel& channel, const TextLine& line) {
    for (auto* o : observers_) o->on_text_line(channel, line);
}
void Channels::on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) {
    for (auto* o : observers_) o->on_status(kind, id, status);
}

}  // namespace hwb
