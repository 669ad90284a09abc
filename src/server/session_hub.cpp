#include "server/session_hub.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "protocol/messages.h"
#include "server/sessions.h"

namespace hwb {

SessionHub::SessionHub(EventLoop& loop, Door& door, const BridgeConfig& config)
    : loop_(loop), door_(door), config_(config) {
    // Automations' states go to every relay client (docs/protocol.md, `automation`).
    door_.on_automation_change([this](const AutomationStatus& status) {
        if (relay_sessions_.empty()) return;
        auto message = std::make_shared<const std::string>(protocol::automation_message(status));
        for (auto* s : relay_sessions_) s->publish(message);
    });
}

SessionHub::~SessionHub() {
    door_.on_automation_change({});
    if (channels_ != nullptr) channels_->remove_observer(this);
}

void SessionHub::attach(Channels& channels) {
    channels_ = &channels;
    channels.add_observer(this);
    index_sensors();
}

void SessionHub::index_sensors() {
    sensor_index_.clear();
    const auto& sensors = channels_->sensors();
    for (std::size_t i = 0; i < sensors.size(); ++i) sensor_index_[sensors[i].get()] = i;
    reading_cache_.assign(sensors.size(), {});
    // A reload rearranges the indexes, not the counts: a sensor that stays keeps its totals.
    for (std::size_t i = 0; i < sensors.size(); ++i) {
        auto it = traffic_by_id_.find(sensors[i]->id());
        if (it != traffic_by_id_.end()) reading_cache_[i].traffic = it->second;
    }
    traffic_by_id_.clear();
}

ReadingTraffic SessionHub::reading_traffic(const Sensor& sensor) const {
    auto it = sensor_index_.find(&sensor);
    return it == sensor_index_.end() ? ReadingTraffic{} : reading_cache_[it->second].traffic;
}

Session* SessionHub::open(ChannelKind kind, lws* wsi, std::string peer, std::optional<std::string> header_token) {
    if (channels_ == nullptr) return nullptr;
    std::string id = "c" + std::to_string(next_client_++);
    std::shared_ptr<Session> session;
    switch (kind) {
        case ChannelKind::sensor: {
            auto s = std::make_shared<SensorSession>(*this, wsi, id);
            sensor_sessions_.push_back(s.get());
            session = s;
            break;
        }
        case ChannelKind::relay: {
            auto s = std::make_shared<RelaySession>(*this, wsi, id);
            relay_sessions_.push_back(s.get());
            session = s;
            break;
        }
        case ChannelKind::text: {
            auto s = std::make_shared<TextSession>(*this, wsi, id);
            text_sessions_.push_back(s.get());
            session = s;
            break;
        }
    }
    spdlog::info("client {} connected from {} ({})", id, peer, to_string(kind));
    sessions_.emplace(session.get(), session);
    session->begin(std::move(header_token), std::move(peer));
    return session.get();
}

void SessionHub::close(Session* session) {
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    spdlog::info("client {} disconnected", session->client_id());
    // A relay held on by this client's lease falls back now (dead-man switch).
    door_.leave(session->requester());
    auto drop = [session](auto& list) {
        list.erase(std::remove_if(list.begin(), list.end(), [session](auto* s) { return s == session; }), list.end());
    };
    drop(sensor_sessions_);
    drop(relay_sessions_);
    drop(text_sessions_);
    sessions_.erase(it);
}

void SessionHub::channels_changing() {
    // Until channels_changed(), no reading may be looked up by a stale index.
    sensor_index_.clear();
    for (auto& [raw, session] : sessions_) session->channels_changing();
    const auto& sensors = channels_->sensors();
    for (std::size_t i = 0; i < sensors.size() && i < reading_cache_.size(); ++i)
        traffic_by_id_[sensors[i]->id()] = reading_cache_[i].traffic;
}

void SessionHub::channels_changed() {
    index_sensors();
    for (auto& [raw, session] : sessions_) {
        if (!session->closing()) session->channels_changed();
    }
}

void SessionHub::identities_changed() {
    for (auto& [raw, session] : sessions_) session->identities_changed();
}

void SessionHub::close_all(std::uint16_t code, const std::string& reason) {
    for (auto& [raw, session] : sessions_) session->close_with(code, reason);
}

void SessionHub::stop_timers() {
    for (auto& [raw, session] : sessions_) session->stop_timers();
}

const Message& SessionHub::encoded_reading(std::size_t index) {
    auto& cache = reading_cache_[index];
    const Sensor& sensor = *channels_->sensors()[index];
    if (!cache.json || (sensor.last() && cache.seq != sensor.last()->seq)) {
        cache.json = std::make_shared<const std::string>(protocol::reading(sensor));
        cache.seq = sensor.last() ? sensor.last()->seq : 0;
    }
    return cache.json;
}

bool SessionHub::over_budget(std::size_t adding, std::size_t held) const {
    // Many slow clients together must not eat the Pi's memory; the one holding more than its
    // share goes.
    return queued_total_ + adding > queued_budget && held > queued_budget / std::max<std::size_t>(1, sessions_.size());
}

void SessionHub::on_reading(const Sensor& sensor) {
    auto it = sensor_index_.find(&sensor);
    if (it == sensor_index_.end()) return;
    for (auto* s : sensor_sessions_) s->reading_changed(it->second);
}

void SessionHub::on_relay_change(const Relay& relay, const Cause& cause) {
    // The audit trail of relay changes is the door's; here the clients are told.
    if (relay_sessions_.empty()) return;
    auto message = std::make_shared<const std::string>(protocol::relay_state(relay, cause));
    for (auto* s : relay_sessions_) s->publish(message);
}

void SessionHub::on_text_line(const TextChannel& channel, const TextLine& line) {
    Message message;
    for (auto* s : text_sessions_) {
        if (!s->has_open(channel.id())) continue;
        if (!message) message = std::make_shared<const std::string>(protocol::text_line(channel.id(), line));
        s->send(message);
    }
}

void SessionHub::on_uplink(const UplinkStatus& status) {
    auto message = std::make_shared<const std::string>(protocol::uplink(status));
    for (auto* s : sensor_sessions_) s->publish(message);
}

void SessionHub::on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) {
    if (status.online) {
        spdlog::info("{} {} is online", to_string(kind), id);
    } else {
        spdlog::warn("{} {} is offline: {}", to_string(kind), id, status.reason);
    }
    auto message = std::make_shared<const std::string>(protocol::status(id, status));
    switch (kind) {
        case ChannelKind::sensor:
            for (auto* s : sensor_sessions_) s->publish(message);
            break;
        case ChannelKind::relay:
            for (auto* s : relay_sessions_) s->publish(message);
            break;
        case ChannelKind::text:
            for (auto* s : text_sessions_) s->publish(message);
            break;
    }
}

}  // namespace hwb
