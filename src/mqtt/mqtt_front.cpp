#include "mqtt/mqtt_front.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "mqtt/mqtt_link.h"

namespace hwb::mqtt {

namespace {

using Json = nlohmann::json;

constexpr std::size_t front_max_id = 64;

bool front_id_ok(const std::string& id) {
    if (id.empty() || id.size() > front_max_id) return false;
    for (unsigned char c : id)
        if (!std::isalnum(c) && c != '_' && c != '-') return false;
    return true;
}

std::string front_trim_upper(const std::string& s) {
    std::size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    std::string out = s.substr(a, b - a);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// The first line of `path`, refused when anyone may read the file.
Result<std::string> front_read_password(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Error{"invalid", "mqtt.password_file " + path + ": cannot read it"};
    if ((st.st_mode & S_IROTH) != 0)
        return Error{"invalid", "mqtt.password_file " + path + " is readable by everyone; chmod o-r it"};
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) return Error{"invalid", "mqtt.password_file " + path + ": cannot read it"};
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

// device_class where the unit makes it clear (Home Assistant's sensor device classes).
const char* front_device_class(const std::string& unit) {
    if (unit == "°C" || unit == "°F" || unit == "K") return "temperature";
    if (unit == "V" || unit == "mV") return "voltage";
    if (unit == "A" || unit == "mA") return "current";
    if (unit == "W" || unit == "kW") return "power";
    if (unit == "Wh" || unit == "kWh") return "energy";
    if (unit == "hPa" || unit == "Pa" || unit == "kPa" || unit == "bar" || unit == "mbar") return "pressure";
    if (unit == "lx") return "illuminance";
    if (unit == "Hz") return "frequency";
    return nullptr;
}

const char* front_kind(ChannelKind kind) {
    switch (kind) {
        case ChannelKind::sensor: return "sensor";
        case ChannelKind::relay: return "relay";
        case ChannelKind::text: return "text";
    }
    return "sensor";
}

}  // namespace

MqttFront::MqttFront(EventLoop& loop, Door& door, std::string version)
    : loop_(loop),
      door_(door),
      version_(std::move(version)),
      requester_("mqtt", "", ""),
      flush_(loop, [this] { flush_coalesced(); }) {}

MqttFront::~MqttFront() {
    *alive_ = false;
    if (channels_ != nullptr) channels_->remove_observer(this);
    if (link_) door_.leave(requester_);
}

std::string MqttFront::topic(const std::string& kind, const std::string& id, const std::string& leaf) const {
    return config_.prefix + "/" + kind + "/" + id + (leaf.empty() ? "" : "/" + leaf);
}

void MqttFront::apply(const DeviceMap& map, Channels& channels) {
    if (channels_ != &channels) {
        if (channels_ != nullptr) channels_->remove_observer(this);
        channels_ = &channels;
        channels_->add_observer(this);
    }
    bool same = map.mqtt == config_ && map.bridge.name == bridge_name_ && link_;
    if (same) {
        // Channels may have changed: new discovery configs, cleared ones for removed channels.
        if (link_->connected()) publish_everything();
        return;
    }
    if (link_) {
        door_.leave(requester_);
        link_->close(config_.prefix + "/status", "offline", config_.qos, std::chrono::milliseconds(200));
        link_.reset();
        spdlog::info("mqtt: disconnected from {}:{} (the map's mqtt section changed)", config_.host, config_.port);
    }
    config_ = map.mqtt;
    bridge_name_ = map.bridge.name;
    discovery_topics_.clear();
    coalesced_.clear();
    if (!config_.enabled) return;

    LinkSettings settings;
    settings.host = config_.host;
    settings.port = config_.port;
    settings.client_id = config_.client_id;
    settings.username = config_.username;
    if (!config_.password_file.empty()) {
        auto password = front_read_password(config_.password_file);
        if (!password.ok()) {
            spdlog::error("mqtt: {}; the uplink stays off", password.error().message);
            return;
        }
        settings.password = password.value();
    }
    settings.keepalive_s = config_.keepalive_s;
    settings.will_topic = config_.prefix + "/status";
    settings.will_payload = "offline";
    settings.will_qos = config_.qos;

    requester_ = Requester("mqtt", config_.host + ":" + std::to_string(config_.port), config_.client_id);
    requester_.identity.role = config_.role;
    requester_.identity.subject = "mqtt:" + config_.client_id;
    requester_.identity.method = "mqtt";

    MqttLink::Handlers handlers;
    handlers.connected = [this] { connected(); };
    handlers.disconnected = [this] { disconnected(); };
    handlers.message = [this](const std::string& t, const std::string& p, bool r) { message(t, p, r); };
    link_ = std::make_unique<MqttLink>(loop_, std::move(settings), std::move(handlers));
    spdlog::info("mqtt: uplink to {}:{} as {}, topics under {}/, discovery {}", config_.host, config_.port,
                 config_.client_id, config_.prefix, config_.discovery ? "under " + config_.discovery_prefix + "/" : "off");
    link_->start();
}

bool MqttFront::broker_connected() const { return link_ && link_->connected(); }

void MqttFront::stop() {
    flush_.cancel();
    if (!link_) return;
    link_->close(config_.prefix + "/status", "offline", config_.qos, std::chrono::milliseconds(500));
}

void MqttFront::publish(const std::string& t, const std::string& payload, int qos, bool retain) {
    if (link_ && link_->publish(t, payload, qos, retain)) ++counters_.published;
}

void MqttFront::connected() {
    publish(config_.prefix + "/status", "online", config_.qos, true);
    link_->subscribe(config_.prefix + "/relay/+/set", config_.qos);
    link_->subscribe(config_.prefix + "/text/+/send", config_.qos);
    if (config_.discovery) link_->subscribe(config_.discovery_prefix + "/status", config_.qos);
    warned_retained_.clear();
    if (counters_.dropped_disconnected != dropped_reported_) {
        spdlog::warn("mqtt: {} reading(s) dropped while the broker was away",
                     counters_.dropped_disconnected - dropped_reported_);
        dropped_reported_ = counters_.dropped_disconnected;
    }
    publish_everything();
}

void MqttFront::disconnected() {
    // No relay command is kept for later, and leases held through the broker end now.
    door_.leave(requester_);
    coalesced_.clear();
}

void MqttFront::publish_everything() {
    if (channels_ == nullptr) return;
    auto availability = [&](const char* kind, const std::string& id, const ChannelStatus& status) {
        publish(topic(kind, id, "availability"), status.online ? "online" : "offline", config_.qos, true);
    };
    for (const auto& s : channels_->sensors()) {
        availability("sensor", s->id(), s->status());
        if (s->last()) publish_reading(*s);
    }
    for (const auto& r : channels_->relays()) {
        availability("relay", r->id(), r->status());
        if (r->state() != RelayState::unknown)
            publish(topic("relay", r->id(), "state"), r->state() == RelayState::on ? "ON" : "OFF", config_.qos, true);
    }
    for (const auto& t : channels_->texts()) availability("text", t->id(), t->status());
    publish_discovery();
}

void MqttFront::publish_reading(const Sensor& sensor) {
    const Reading& r = *sensor.last();
    std::string payload = sensor.info().type == SensorType::boolean
                              ? std::string(r.value != 0 ? "ON" : "OFF")
                              : fmt::format("{:.{}f}", r.value, std::max(0, std::min(sensor.info().precision, 9)));
    publish(topic("sensor", sensor.id(), ""), payload, config_.readings_qos, false);
}

void MqttFront::on_reading(const Sensor& sensor) {
    if (!link_) return;
    if (!link_->connected()) {
        ++counters_.dropped_disconnected;
        return;
    }
    if (link_->backed_up() || !coalesced_.empty()) {
        // The broker (or the network) is slow: keep only the latest reading of each sensor.
        if (!coalesced_.insert(sensor.id()).second) ++counters_.coalesced;
        if (!flush_.active()) flush_.start(std::chrono::milliseconds(50));
        return;
    }
    publish_reading(sensor);
}

void MqttFront::flush_coalesced() {
    if (!link_ || !link_->connected() || channels_ == nullptr) {
        coalesced_.clear();
        return;
    }
    if (link_->backed_up()) {
        flush_.start(std::chrono::milliseconds(50));
        return;
    }
    auto pending = std::move(coalesced_);
    coalesced_.clear();
    for (const auto& id : pending)
        if (const Sensor* s = channels_->sensor(id); s != nullptr && s->last()) publish_reading(*s);
}

void MqttFront::on_relay_change(const Relay& relay, const Cause& /*cause*/) {
    if (!link_ || !link_->connected() || relay.state() == RelayState::unknown) return;
    // Only the confirmed state, retained: a subscriber that comes later sees it at once.
    publish(topic("relay", relay.id(), "state"), relay.state() == RelayState::on ? "ON" : "OFF", config_.qos, true);
}

void MqttFront::on_text_line(const TextChannel& channel, const TextLine& line) {
    if (!link_ || line.direction != TextDirection::from_device) return;
    if (!link_->connected()) {
        ++counters_.dropped_disconnected;
        return;
    }
    publish(topic("text", channel.id(), "line"), line.text, config_.readings_qos, false);
}

void MqttFront::on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) {
    if (!link_ || !link_->connected()) return;
    publish(topic(front_kind(kind), id, "availability"), status.online ? "online" : "offline", config_.qos, true);
}

void MqttFront::message(const std::string& t, const std::string& payload, bool retained) {
    if (config_.discovery && t == config_.discovery_prefix + "/status") {
        // Home Assistant (re)started: it needs the configs and the current states again.
        if (payload == "online") {
            spdlog::info("mqtt: Home Assistant is online; discovery and states sent again");
            publish_everything();
        }
        return;
    }
    const std::string head = config_.prefix + "/";
    if (t.compare(0, head.size(), head) != 0) return;
    std::string rest = t.substr(head.size());
    auto slash1 = rest.find('/');
    auto slash2 = slash1 == std::string::npos ? std::string::npos : rest.find('/', slash1 + 1);
    if (slash2 == std::string::npos) return;
    std::string kind = rest.substr(0, slash1);
    std::string id = rest.substr(slash1 + 1, slash2 - slash1 - 1);
    std::string leaf = rest.substr(slash2 + 1);
    bool relay = kind == "relay" && leaf == "set";
    bool text = kind == "text" && leaf == "send";
    if ((!relay && !text) || !front_id_ok(id)) return;
    if (retained) {
        // Never switch a relay from a stale message: a retained command is old by definition.
        ++counters_.ignored;
        if (warned_retained_.insert(t).second)
            spdlog::warn("mqtt: retained command on {} ignored (commands must not be retained)", t);
        return;
    }
    auto result_topic = topic(kind, id, "result");
    if (payload.size() > config_.max_payload) {
        ++counters_.ignored;
        publish(result_topic,
                Json{{"ok", false}, {"error", "too_large"},
                     {"message", "payload of " + std::to_string(payload.size()) + " bytes; at most " +
                                     std::to_string(config_.max_payload) + " (mqtt.max_payload)"}}
                    .dump(),
                config_.qos, false);
        return;
    }
    ++counters_.commands;
    if (relay) {
        relay_command(id, payload);
    } else {
        text_command(id, payload);
    }
}

void MqttFront::relay_command(const std::string& id, const std::string& payload) {
    RelayCommand command;
    command.channel = id;
    std::string word = front_trim_upper(payload);
    std::optional<std::string> bad;
    if (word == "ON" || word == "OFF") {
        command.op = RelayCommand::Op::set;
        command.on = word == "ON";
    } else if (word == "TOGGLE") {
        command.op = RelayCommand::Op::toggle;
    } else if (!word.empty() && word.front() == '{') {
        // {"pulse_ms": 500}: on for that long, then off.
        Json j = Json::parse(payload, nullptr, false);
        if (j.is_object() && j.contains("pulse_ms") && j["pulse_ms"].is_number_integer() && j["pulse_ms"].get<std::int64_t>() > 0 &&
            j["pulse_ms"].get<std::int64_t>() <= 24LL * 3600 * 1000) {
            command.op = RelayCommand::Op::pulse;
            command.duration = Millis(j["pulse_ms"].get<std::int64_t>());
        } else {
            bad = "a JSON command must be {\"pulse_ms\": N} with 0 < N <= 86400000";
        }
    } else {
        bad = "the payload must be ON, OFF, TOGGLE or {\"pulse_ms\": N}";
    }
    auto result_topic = topic("relay", id, "result");
    if (bad) {
        ++counters_.ignored;
        // Unreadable requests still cost the requester a request (the door counts them).
        auto admitted = door_.admit(requester_, ChannelKind::relay);
        Error e = admitted.ok() ? Error{"bad_request", *bad} : admitted.error();
        publish(result_topic, Json{{"ok", false}, {"error", e.code}, {"message", e.message}}.dump(), config_.qos, false);
        return;
    }
    door_.relay(requester_, command, [this, alive = std::weak_ptr<bool>(alive_), result_topic](Result<RelayState> result) {
        auto still = alive.lock();
        if (!still || !*still) return;
        Json answer;
        if (result.ok()) {
            answer = {{"ok", true}, {"state", result.value() == RelayState::on ? "ON" : "OFF"}};
        } else {
            answer = {{"ok", false}, {"error", result.error().code}, {"message", result.error().message}};
        }
        publish(result_topic, answer.dump(), config_.qos, false);
    });
}

void MqttFront::text_command(const std::string& id, const std::string& payload) {
    std::string line = payload;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    auto result_topic = topic("text", id, "result");
    door_.text_send(requester_, id, line, "", [this, alive = std::weak_ptr<bool>(alive_), result_topic](Status status) {
        auto still = alive.lock();
        if (!still || !*still) return;
        Json answer = status.ok() ? Json{{"ok", true}}
                                  : Json{{"ok", false}, {"error", status.error().code}, {"message", status.error().message}};
        publish(result_topic, answer.dump(), config_.qos, false);
    });
}

void MqttFront::publish_discovery() {
    if (channels_ == nullptr) return;
    std::set<std::string> now;
    if (config_.discovery) {
        const std::string node = config_.node_id;
        Json device = {{"identifiers", Json::array({"hwbridge_" + node})},
                       {"name", bridge_name_},
                       {"model", "hwbridge"},
                       {"manufacturer", "hwbridge"},
                       {"sw_version", version_}};
        auto base = [&](const std::string& kind, const std::string& id, const std::string& label) {
            Json c = {{"name", label.empty() ? id : label},
                      {"unique_id", "hwbridge_" + node + "_" + id},
                      {"object_id", node + "_" + id},
                      {"availability", Json::array({Json{{"topic", config_.prefix + "/status"}},
                                                    Json{{"topic", topic(kind, id, "availability")}}})},
                      {"availability_mode", "all"},
                      {"device", device}};
            return c;
        };
        auto put = [&](const std::string& component, const std::string& id, const Json& config) {
            std::string t = config_.discovery_prefix + "/" + component + "/" + node + "/" + id + "/config";
            now.insert(t);
            publish(t, config.dump(), config_.qos, true);
        };
        for (const auto& s : channels_->sensors()) {
            Json c = base("sensor", s->id(), s->info().label);
            c["state_topic"] = topic("sensor", s->id(), "");
            if (s->info().type == SensorType::boolean) {
                c["payload_on"] = "ON";
                c["payload_off"] = "OFF";
                put("binary_sensor", s->id(), c);
            } else {
                if (!s->info().unit.empty()) c["unit_of_measurement"] = s->info().unit;
                if (const char* dc = front_device_class(s->info().unit)) c["device_class"] = dc;
                c["state_class"] = "measurement";
                put("sensor", s->id(), c);
            }
        }
        for (const auto& r : channels_->relays()) {
            Json c = base("relay", r->id(), r->info().label);
            c["state_topic"] = topic("relay", r->id(), "state");
            c["command_topic"] = topic("relay", r->id(), "set");
            c["payload_on"] = "ON";
            c["payload_off"] = "OFF";
            c["state_on"] = "ON";
            c["state_off"] = "OFF";
            c["qos"] = config_.qos;
            c["retain"] = false;
            put("switch", r->id(), c);
        }
    }
    // Channels gone since the last publication: an empty retained config makes Home Assistant
    // drop the entity; their retained state and availability go too.
    for (const auto& t : discovery_topics_) {
        if (now.count(t) != 0) continue;
        publish(t, "", config_.qos, true);
    }
    discovery_topics_ = std::move(now);
}

}  // namespace hwb::mqtt
