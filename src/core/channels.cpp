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

Channels::Channels(const DeviceMap& map, EventLoop& loop) : loop_(loop) {
    for (const auto& device : map.devices) add_device(device);
    arrange(map);
}

void Channels::add_device(const DeviceConfig& device) {
    ChannelObserver& fan_out = *this;  // channels report to this registry, which tells every observer
    for (const auto& s : device.sensors) {
        sensors_.push_back(std::make_unique<Sensor>(s.info, fan_out));
        index_channel(sensor_by_id_, sensors_.back().get());
    }
    for (const auto& r : device.relays) {
        relays_.push_back(std::make_unique<Relay>(r.info, fan_out, loop_));
        index_channel(relay_by_id_, relays_.back().get());
    }
    for (const auto& t : device.texts) {
        texts_.push_back(std::make_unique<TextChannel>(t.info, fan_out));
        index_channel(text_by_id_, texts_.back().get());
    }
}

void Channels::remove_device(const std::string& device_id) {
    auto drop = [&](auto& list, auto& index) {
        for (auto it = list.begin(); it != list.end();) {
            if ((*it)->info().device == device_id) {
                index.erase((*it)->id());
                it = list.erase(it);
            } else {
                ++it;
            }
        }
    };
    // Peers point at each other: no relay may keep a pointer to one about to go.
    for (auto& relay : relays_) relay->set_interlock_peers({});
    drop(sensors_, sensor_by_id_);
    drop(relays_, relay_by_id_);
    drop(texts_, text_by_id_);
}

void Channels::update_device(const DeviceConfig& device) {
    for (const auto& s : device.sensors)
        if (Sensor* sensor = this->sensor(s.info.id)) sensor->update_info(s.info);
    for (const auto& r : device.relays)
        if (Relay* relay = this->relay(r.info.id)) relay->update_info(r.info);
    for (const auto& t : device.texts)
        if (TextChannel* text = this->text(t.info.id)) text->update_info(t.info);
}

void Channels::arrange(const DeviceMap& map) {
    std::map<std::string, std::size_t> order;
    for (const auto& device : map.devices) {
        for (const auto& s : device.sensors) order.emplace("s:" + s.info.id, order.size());
        for (const auto& r : device.relays) order.emplace("r:" + r.info.id, order.size());
        for (const auto& t : device.texts) order.emplace("t:" + t.info.id, order.size());
    }
    auto by_map = [&](auto& list, const char* prefix) {
        std::stable_sort(list.begin(), list.end(), [&](const auto& a, const auto& b) {
            auto ia = order.find(prefix + a->id()), ib = order.find(prefix + b->id());
            std::size_t na = ia == order.end() ? order.size() : ia->second;
            std::size_t nb = ib == order.end() ? order.size() : ib->second;
            return na < nb;
        });
    };
    by_map(sensors_, "s:");
    by_map(relays_, "r:");
    by_map(texts_, "t:");
    // Interlock groups: each relay learns the others of its group.
    for (auto& relay : relays_) {
        std::vector<const Relay*> peers;
        if (!relay->info().interlock.empty()) {
            for (const auto& other : relays_)
                if (other != relay && other->info().interlock == relay->info().interlock) peers.push_back(other.get());
        }
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
void Channels::on_relay_failure(const Relay& relay, const RelayFailure& failure) {
    for (auto* o : observers_) o->on_relay_failure(relay, failure);
}
void Channels::on_text_line(const TextChannel& channel, const TextLine& line) {
    for (auto* o : observers_) o->on_text_line(channel, line);
}
void Channels::on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) {
    for (auto* o : observers_) o->on_status(kind, id, status);
}

void Channels::set_uplink(const UplinkStatus& status) {
    for (auto& u : uplinks_) {
        if (u.name != status.name) continue;
        if (u == status) return;
        u = status;
        for (auto* o : observers_) o->on_uplink(status);
        return;
    }
    uplinks_.push_back(status);
    for (auto* o : observers_) o->on_uplink(status);
}

void Channels::remove_uplink(const std::string& name) {
    for (auto it = uplinks_.begin(); it != uplinks_.end(); ++it) {
        if (it->name != name) continue;
        uplinks_.erase(it);
        UplinkStatus gone;
        gone.name = name;
        for (auto* o : observers_) o->on_uplink(gone);
        return;
    }
}

}  // namespace hwb
