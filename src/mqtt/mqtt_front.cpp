#include "mqtt/mqtt_front.h"

#include <sys/stat.h>

#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "core/channel_info.h"
#include "mqttlink/mqtt_link.h"
#include "protocol/messages.h"

namespace hwb::mqtt {

namespace {

// The map's device_class of a boolean sensor as Home Assistant's binary_sensor knows it (a valve
// is an `opening` there); nullptr: none.
const char* front_binary_class(const std::string& device_class) {
    for (const char* same : {"door", "window", "lock", "moisture", "motion", "power", "running", "light", "heat"})
        if (device_class == same) return same;
    if (device_class == "valve") return "opening";
    return nullptr;
}

// Channels imported from another hwbridge (mqtt driver, `bridge:`) are that bridge's to publish:
// the uplink leaves them out, so no broker sees a channel twice and imports cannot loop.
template <class Channel>
bool front_local(const Channel& channel) {
    return channel.info().origin.empty();
}

// The bridge a channel was imported from; empty for one of this bridge's own (or no such channel).
std::string front_origin(const Channels& channels, ChannelKind kind, const std::string& id) {
    switch (kind) {
        case ChannelKind::sensor:
            if (const Sensor* s = channels.sensor(id)) return s->info().origin;
            break;
        case ChannelKind::relay:
            if (const Relay* r = channels.relay(id)) return r->info().origin;
            break;
        case ChannelKind::text:
            if (const TextChannel* t = channels.text(id)) return t->info().origin;
            break;
    }
    return {};
}

using Json = nlohmann::json;

std::string front_trim_upper(const std::string& s) {
    std::size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    std::string out = s.substr(a, b - a);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// Home Assistant's sensor device_class where the unit makes it clear, with the state_class Home
// Assistant allows for it: energy in Wh is a meter's count, `total_increasing` (Home Assistant
// refuses `measurement` for energy and takes a decrease as a new meter cycle); the others are
// values in present time, `measurement` (the only class it allows for them).
struct FrontSensorClass {
    const char* device_class = nullptr;  // nullptr: none
    const char* state_class = "measurement";
};

FrontSensorClass front_sensor_class(const std::string& unit) {
    auto measured = [](const char* device_class) { return FrontSensorClass{device_class, "measurement"}; };
    if (unit == "°C" || unit == "°F" || unit == "K") return measured("temperature");
    if (unit == "V" || unit == "mV") return measured("voltage");
    if (unit == "A" || unit == "mA") return measured("current");
    if (unit == "W" || unit == "kW") return measured("power");
    if (unit == "Wh" || unit == "kWh" || unit == "MWh") return {"energy", "total_increasing"};
    if (unit == "hPa" || unit == "Pa" || unit == "kPa" || unit == "bar" || unit == "mbar") return measured("pressure");
    if (unit == "lx") return measured("illuminance");
    if (unit == "Hz") return measured("frequency");
    return {};
}

// Where Home Assistant finds an entity's discovery config.
std::string front_discovery_topic(const MqttConfig& config, const std::string& node, const char* component,
                                  const std::string& id) {
    return config.discovery_prefix + "/" + component + "/" + node + "/" + id + "/config";
}

// The retained topics of one channel (`kind` and `id`) under `config`: its availability, a relay's
// state and, with discovery, the config of its entity (`component`; nullptr: it has none).
void front_retained_of(const MqttConfig& config, const std::string& node, const std::string& kind, const std::string& id,
                       const char* component, std::set<std::string>& into) {
    const std::string base = config.prefix + "/" + kind + "/" + id + "/";
    into.insert(base + "availability");
    if (kind == "relay") into.insert(base + "state");
    if (config.discovery && component != nullptr) into.insert(front_discovery_topic(config, node, component, id));
}

constexpr std::int64_t front_max_duration_ms = 24LL * 3600 * 1000;

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
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
    devices_.clear();
    for (const auto& d : map.devices) devices_.emplace_back(d.id, d.label.empty() ? d.id : d.label);
    bool same = map.mqtt == config_ && map.bridge.name == bridge_name_ && link_;
    if (same) {
        // Channels may have changed: new discovery configs, cleared ones for removed channels.
        if (link_->connected()) publish_everything();
        return;
    }
    if (link_) {
        door_.leave(requester_);
        // What the new settings will not publish again on this broker under the same name (all of
        // it when they name another broker, none or discovery off, another prefix): cleared
        // before the old connection closes, or it would stay retained there for good.
        if (link_->connected()) {
            const bool same_broker = map.mqtt.enabled && map.mqtt.host == config_.host && map.mqtt.port == config_.port;
            clear_retained(retained_, same_broker ? retained_topics(map.mqtt) : std::set<std::string>{});
        }
        link_->close(config_.prefix + "/status", "offline", config_.qos, std::chrono::milliseconds(200));
        link_.reset();
        spdlog::info("mqtt: disconnected from {}:{} (the map's mqtt section changed)", config_.host, config_.port);
    }
    config_ = map.mqtt;
    bridge_name_ = map.bridge.name;
    off_reason_.clear();
    retained_.clear();
    coalesced_.clear();
    if (!config_.enabled) {
        report_state();
        return;
    }

    LinkSettings settings;
    settings.host = config_.host;
    settings.port = config_.port;
    settings.client_id = config_.client_id;
    settings.username = config_.username;
    if (!config_.password_file.empty()) {
        auto password = read_password_file(config_.password_file, "mqtt.password_file");
        if (!password.ok()) {
            stay_off(password.error().message);
            return;
        }
        settings.password = password.value();
    }
    settings.keepalive_s = config_.keepalive_s;
    settings.will_topic = config_.prefix + "/status";
    settings.will_payload = "offline";
    settings.will_qos = config_.qos;
    settings.protocol = config_.protocol;
    settings.ca = config_.ca;
    settings.cert = config_.cert;
    settings.key = config_.key;
    if (!config_.key.empty()) {
        struct stat st {};
        if (::stat(config_.key.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
            stay_off("mqtt.key " + config_.key + " is readable by everyone; chmod o-r it");
            return;
        }
    }

    requester_ = Requester("mqtt", config_.host + ":" + std::to_string(config_.port), config_.client_id);
    requester_.identity.role = config_.role;
    requester_.identity.subject = "mqtt:" + config_.client_id;
    requester_.identity.method = "mqtt";

    MqttLink::Handlers handlers;
    handlers.connected = [this] { connected(); };
    handlers.disconnected = [this] { disconnected(); };
    handlers.message = [this](const Incoming& in) { message(in); };
    handlers.failed = [this] { report_state(); };
    try {
        link_ = std::make_unique<MqttLink>(loop_, std::move(settings), std::move(handlers));
    } catch (const std::exception& e) {
        stay_off(e.what());
        return;
    }
    spdlog::info("mqtt: uplink to {}{}:{} as {} (MQTT {}), topics under {}/, discovery {}", config_.ca.empty() ? "" : "TLS ",
                 config_.host, config_.port, config_.client_id, config_.protocol == 5 ? "5" : "3.1.1", config_.prefix,
                 config_.discovery ? "under " + config_.discovery_prefix + "/" : "off");
    link_->start();
    report_state();
}

void MqttFront::stay_off(const std::string& why) {
    spdlog::error("mqtt: {}; the uplink stays off", why);
    off_reason_ = why;
    report_state();
}

void MqttFront::report_state() {
    if (channels_ == nullptr) return;
    if (!config_.enabled) {
        channels_->remove_uplink("mqtt");
        return;
    }
    UplinkStatus status;
    status.name = "mqtt";
    status.target = config_.host + ":" + std::to_string(config_.port);
    status.dropped = counters_.dropped_disconnected;
    if (!link_) {
        status.state = "off";
        status.detail = off_reason_;
    } else if (link_->connected()) {
        status.state = "connected";
    } else if (!link_->last_error().empty()) {
        status.state = "disconnected";
        status.detail = link_->last_error();
    } else {
        status.state = "connecting";
    }
    // Only a change of state (or of its reason) moves `since`; the drop count rides along.
    for (const auto& u : channels_->uplinks())
        if (u.name == "mqtt" && u.state == status.state && u.detail == status.detail && u.target == status.target)
            status.since_ms = u.since_ms;
    if (status.since_ms == 0) status.since_ms = wall_ms();
    channels_->set_uplink(status);
}

bool MqttFront::broker_connected() const { return link_ && link_->connected(); }

Status MqttFront::publish_message(const std::string& t, const std::string& payload, int qos, bool retain) {
    if (!broker_connected())
        return Error{"mqtt_offline", off_reason_.empty() ? "the MQTT broker is not connected" : "the MQTT uplink is off: " + off_reason_};
    if (!link_->publish(t, payload, qos, retain)) return Error{"mqtt_offline", "the MQTT broker did not take the message"};
    ++counters_.published;
    return {};
}

void MqttFront::stop() {
    flush_.cancel();
    if (!link_) return;
    link_->close(config_.prefix + "/status", "offline", config_.qos, std::chrono::milliseconds(500));
}

void MqttFront::publish(const std::string& t, const std::string& payload, int qos, bool retain) {
    if (link_ && link_->publish(t, payload, qos, retain)) ++counters_.published;
}

void MqttFront::connected() {
    report_state();
    publish(config_.prefix + "/status", "online", config_.qos, true);
    link_->subscribe(config_.prefix + "/relay/+/set", config_.qos);
    link_->subscribe(config_.prefix + "/text/+/send", config_.qos);
    if (config_.discovery) link_->subscribe(config_.discovery_prefix + "/status", config_.qos);
    // Before the new metadata goes out: the broker answers with the one retained from before.
    link_->subscribe(config_.prefix + "/meta", config_.qos);
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
        if (!front_local(*s)) continue;
        availability("sensor", s->id(), s->status());
        if (s->last()) publish_reading(*s);
    }
    for (const auto& r : channels_->relays()) {
        if (!front_local(*r)) continue;
        availability("relay", r->id(), r->status());
        if (r->state() != RelayState::unknown)
            publish(topic("relay", r->id(), "state"), r->state() == RelayState::on ? "ON" : "OFF", config_.qos, true);
    }
    for (const auto& t : channels_->texts())
        if (front_local(*t)) availability("text", t->id(), t->status());
    publish_meta();
    publish_discovery();
    // Channels gone since the last publication (a reload removed them, or discovery was turned
    // off): an empty retained config makes Home Assistant drop the entity, and their retained
    // availability and state go too, so no subscriber finds them later.
    std::set<std::string> now = retained_topics(config_);
    clear_retained(retained_, now);
    retained_ = std::move(now);
}

std::set<std::string> MqttFront::retained_topics(const MqttConfig& config) const {
    std::set<std::string> topics{config.prefix + "/meta"};
    if (channels_ == nullptr) return topics;
    for (const auto& s : channels_->sensors())
        if (front_local(*s))
            front_retained_of(config, config.node_id, "sensor", s->id(),
                              s->info().type == SensorType::boolean ? "binary_sensor" : "sensor", topics);
    for (const auto& r : channels_->relays())
        if (front_local(*r)) front_retained_of(config, config.node_id, "relay", r->id(), "switch", topics);
    for (const auto& t : channels_->texts())
        if (front_local(*t))
            front_retained_of(config, config.node_id, "text", t->id(), t->accepts_lines() ? "text" : nullptr, topics);
    return topics;
}

void MqttFront::clear_retained(const std::set<std::string>& before, const std::set<std::string>& now) {
    for (const auto& t : before)
        if (now.count(t) == 0) publish(t, "", config_.qos, true);
}

void MqttFront::clear_after_previous_run(const std::string& payload) {
    // Anyone may have published it: every field is checked for its type (Json::value would throw).
    const Json meta = Json::parse(payload, nullptr, false);
    auto member = [](const Json& object, const char* key) -> const Json& {
        static const Json none;
        auto it = object.find(key);
        return it == object.end() ? none : *it;
    };
    if (!meta.is_object() || member(meta, "format") != 1) return;
    // The previous run's discovery settings: its metadata names its discovery prefix (none: it
    // had discovery off); one from a version that did not say is taken as the current prefix.
    MqttConfig before = config_;
    before.discovery = true;
    if (meta.contains("discovery_prefix")) {
        const Json& prefix = member(meta, "discovery_prefix");
        before.discovery = prefix.is_string() && !prefix.get<std::string>().empty();
        if (before.discovery) before.discovery_prefix = prefix.get<std::string>();
    }
    // Topic levels only (a node as mqtt_node_id makes it, a prefix without wildcards): nothing
    // read here may name topics outside this bridge's.
    if (before.discovery_prefix.find_first_of("+#") != std::string::npos) before.discovery = false;
    const Json& node_of = member(meta, "node");
    const std::string node = node_of.is_string() ? node_of.get<std::string>() : config_.node_id;
    if (!is_identifier(node, 200)) before.discovery = false;
    std::set<std::string> old;
    auto each = [&](const char* list, const char* kind, auto component_of) {
        const Json& entries = member(meta, list);
        if (!entries.is_array()) return;
        for (const auto& entry : entries) {
            if (!entry.is_object() || !member(entry, "id").is_string()) continue;
            const std::string id = member(entry, "id").get<std::string>();
            if (is_identifier(id)) front_retained_of(before, node, kind, id, component_of(entry), old);
        }
    };
    each("sensors", "sensor",
         [&](const Json& e) { return member(e, "kind") == "boolean" ? "binary_sensor" : "sensor"; });
    each("relays", "relay", [](const Json&) { return "switch"; });
    each("texts", "text", [&](const Json& e) -> const char* { return member(e, "input") == true ? "text" : nullptr; });
    const std::set<std::string> now = retained_topics(config_);
    std::size_t gone = 0;
    for (const auto& t : old) gone += now.count(t) == 0 ? 1 : 0;
    if (gone == 0) return;
    spdlog::info("mqtt: {} retained message(s) of channels the previous run had and this map has not cleared", gone);
    clear_retained(old, now);
}

// What `hello` tells a WebSocket client, for programs on the broker (another bridge importing this
// one, a dashboard): retained, so a subscriber that comes later learns the channels at once. No
// values: those have their own topics.
void MqttFront::publish_meta() {
    Json devices = Json::array();
    for (const auto& [id, label] : devices_) devices.push_back({{"id", id}, {"label", label}});
    Json sensors = Json::array(), relays = Json::array(), texts = Json::array();
    for (const auto& s : channels_->sensors()) {
        if (!front_local(*s)) continue;
        const auto& i = s->info();
        Json j = {{"id", i.id},     {"label", i.label},
                  {"device", i.device}, {"unit", i.unit},
                  {"kind", i.type == SensorType::boolean ? "boolean" : "number"}, {"precision", i.precision}};
        if (i.min) j["min"] = *i.min;
        if (i.max) j["max"] = *i.max;
        protocol::add_ui(j, i.ui);
        protocol::add_words(j, i.words);
        sensors.push_back(std::move(j));
    }
    for (const auto& r : channels_->relays()) {
        if (!front_local(*r)) continue;
        const auto& i = r->info();
        Json j = {{"id", i.id}, {"label", i.label}, {"device", i.device}};
        j["safe_state"] = i.safe_state ? Json(*i.safe_state ? "ON" : "OFF") : Json(nullptr);
        if (i.max_on_ms > 0) j["max_on_ms"] = i.max_on_ms;
        if (i.min_on_ms > 0) j["min_on_ms"] = i.min_on_ms;
        if (i.min_off_ms > 0) j["min_off_ms"] = i.min_off_ms;
        if (!i.interlock.empty()) j["interlock"] = i.interlock;
        protocol::add_ui(j, i.ui);
        protocol::add_words(j, i.words);
        relays.push_back(std::move(j));
    }
    for (const auto& t : channels_->texts()) {
        if (!front_local(*t)) continue;
        const auto& i = t->info();
        Json j = {{"id", i.id},
                  {"label", i.label},
                  {"device", i.device},
                  {"max_line_bytes", i.max_line_bytes},
                  {"input", t->accepts_lines()}};
        protocol::add_ui(j, i.ui);
        texts.push_back(std::move(j));
    }
    Json meta = {{"format", 1},
                 {"bridge", bridge_name_},
                 {"node", config_.node_id},
                 {"version", version_},
                 {"prefix", config_.prefix},
                 {"readings", config_.json_readings ? "json" : "plain"},
                 {"discovery_prefix", config_.discovery ? config_.discovery_prefix : ""},
                 {"devices", std::move(devices)},
                 {"sensors", std::move(sensors)},
                 {"relays", std::move(relays)},
                 {"texts", std::move(texts)}};
    publish(config_.prefix + "/meta", meta.dump(-1, ' ', false, Json::error_handler_t::replace), config_.qos, true);
}

void MqttFront::publish_reading(const Sensor& sensor) {
    const Reading& r = *sensor.last();
    bool boolean = sensor.info().type == SensorType::boolean;
    std::string value = boolean ? std::string(r.value != 0 ? "ON" : "OFF")
                                : fmt::format("{:.{}f}", r.value, std::max(0, std::min(sensor.info().precision, 9)));
    if (boolean && config_.json_readings) value = r.value != 0 ? "true" : "false";
    // Not finite (a sensor reporting NaN): JSON has no such number, and a plain "nan" would be
    // graphed by some consumers; null / an empty payload says "no value" in both forms.
    if (!boolean && !std::isfinite(r.value)) value = config_.json_readings ? "null" : "";
    // Written directly: this runs for every reading (the JSON form costs one format call).
    std::string payload = config_.json_readings
                              ? fmt::format("{{\"value\":{},\"unit\":{},\"time\":{},\"seq\":{}}}", value,
                                            Json(sensor.info().unit).dump(-1, ' ', false, Json::error_handler_t::replace),
                                            r.time_ms, r.seq)
                              : value;
    publish(topic("sensor", sensor.id(), ""), payload, config_.readings_qos, false);
}

void MqttFront::on_reading(const Sensor& sensor) {
    if (!link_ || !front_local(sensor)) return;
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
    if (!link_ || !link_->connected() || relay.state() == RelayState::unknown || !front_local(relay)) return;
    // Only the confirmed state, retained: a subscriber that comes later sees it at once.
    publish(topic("relay", relay.id(), "state"), relay.state() == RelayState::on ? "ON" : "OFF", config_.qos, true);
}

void MqttFront::on_text_line(const TextChannel& channel, const TextLine& line) {
    if (!link_ || line.direction != TextDirection::from_device || !front_local(channel)) return;
    if (!link_->connected()) {
        ++counters_.dropped_disconnected;
        return;
    }
    publish(topic("text", channel.id(), "line"), line.text, config_.readings_qos, false);
}

void MqttFront::on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) {
    if (!link_ || !link_->connected() || channels_ == nullptr) return;
    if (!front_origin(*channels_, kind, id).empty()) return;  // imported: not this bridge's to publish
    publish(topic(front_kind(kind), id, "availability"), status.online ? "online" : "offline", config_.qos, true);
}

namespace {

// A response topic named by an MQTT 5 request: a usable topic name that is not a command topic
// (an answer must never become a command to some bridge).
bool front_response_topic_ok(const std::string& t) {
    if (t.empty() || t.size() > 256) return false;
    for (unsigned char c : t)
        if (c == '+' || c == '#' || std::iscntrl(c)) return false;
    auto ends = [&](const char* leaf) {
        std::string l(leaf);
        return t.size() >= l.size() && t.compare(t.size() - l.size(), l.size(), l) == 0;
    };
    return !ends("/set") && !ends("/send");
}

}  // namespace

void MqttFront::answer(const Reply& reply, const Json& body) {
    // Replace, not throw, should a message quote bytes that are not UTF-8.
    if (link_ && link_->publish_reply(reply, body.dump(-1, ' ', false, Json::error_handler_t::replace), config_.qos))
        ++counters_.published;
}

void MqttFront::message(const Incoming& in) {
    const std::string& t = in.topic;
    if (config_.discovery && t == config_.discovery_prefix + "/status") {
        // Home Assistant (re)started: it needs the configs and the current states again.
        if (in.payload == "online") {
            spdlog::info("mqtt: Home Assistant is online; discovery and states sent again");
            publish_everything();
        }
        return;
    }
    if (t == config_.prefix + "/meta") {
        // Only the retained one (the previous run's, sent at subscription); ours come back live.
        if (in.retained) clear_after_previous_run(in.payload);
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
    if ((!relay && !text) || !is_identifier(id)) return;
    if (in.retained) {
        // Never switch a relay from a stale message: a retained command is old by definition.
        ++counters_.ignored;
        if (warned_retained_.insert(t).second)
            spdlog::warn("mqtt: retained command on {} ignored (commands must not be retained)", t);
        return;
    }
    Reply reply{topic(kind, id, "result"), in.correlation};
    if (!in.response_topic.empty()) {
        if (!front_response_topic_ok(in.response_topic)) {
            ++counters_.ignored;
            answer(reply, Json{{"ok", false},
                               {"error", "bad_request"},
                               {"message", "the response topic must be a topic name of at most 256 bytes, without "
                                           "wildcards, not ending in /set or /send"}});
            return;
        }
        reply.topic = in.response_topic;
    }
    if (in.payload.size() > config_.max_payload) {
        ++counters_.ignored;
        answer(reply, Json{{"ok", false},
                           {"error", "too_large"},
                           {"message", "payload of " + std::to_string(in.payload.size()) + " bytes; at most " +
                                           std::to_string(config_.max_payload) + " (mqtt.max_payload)"}});
        return;
    }
    ++counters_.commands;
    if (channels_ != nullptr) {
        const std::string origin = front_origin(*channels_, relay ? ChannelKind::relay : ChannelKind::text, id);
        if (!origin.empty()) {
            answer(reply, Json{{"ok", false},
                               {"error", "unknown_channel"},
                               {"message", kind + " " + id + " is imported from bridge " + origin +
                                               "; send its commands to that bridge's topics"}});
            return;
        }
    }
    if (relay) {
        relay_command(id, in.payload, reply);
    } else {
        text_command(id, in.payload, reply);
    }
}

// The commands a relay takes (docs/mqtt.md, "Commands"): a word, or a JSON object.
std::optional<std::string> MqttFront::read_relay_command(const std::string& payload, RelayCommand& command,
                                                         std::optional<Millis>& renew) const {
    std::string word = front_trim_upper(payload);
    if (word == "ON" || word == "OFF") {
        command.op = RelayCommand::Op::set;
        command.on = word == "ON";
        return std::nullopt;
    }
    if (word == "TOGGLE") {
        command.op = RelayCommand::Op::toggle;
        return std::nullopt;
    }
    const std::string usage =
        "the payload must be ON, OFF, TOGGLE or a JSON object: {\"state\": \"ON\"|\"OFF\"|\"TOGGLE\", \"lease_ms\": N}, "
        "{\"pulse_ms\": N} or {\"renew_ms\": N}, each with an optional \"time\" (ms since the epoch)";
    if (word.empty() || word.front() != '{') return usage;
    Json j = Json::parse(payload, nullptr, false);
    if (!j.is_object()) return usage;
    auto whole_ms = [&](const char* key, std::int64_t low) -> std::optional<Millis> {
        const auto& v = j[key];
        if (!v.is_number_integer()) return std::nullopt;
        auto ms = v.get<std::int64_t>();
        if (ms < low || ms > front_max_duration_ms) return std::nullopt;
        return Millis(ms);
    };
    const std::string range = " must be whole milliseconds, 1000 to 86400000 for leases, 1 to 86400000 for pulses";
    for (const auto& [key, value] : j.items()) {
        (void)value;
        if (key != "state" && key != "lease_ms" && key != "pulse_ms" && key != "renew_ms" && key != "time")
            return "unknown key '" + key.substr(0, 40) + "'; " + usage;
    }
    if (j.contains("time")) {
        if (!j["time"].is_number_integer()) return std::string("'time' must be whole milliseconds since the Unix epoch");
        std::int64_t age = wall_ms() - j["time"].get<std::int64_t>();
        if (age > config_.max_command_age_ms || -age > config_.max_command_age_ms)
            return std::string("stale:") + "the command is " + std::to_string(age / 1000) +
                   " s old (its 'time'); at most mqtt.max_command_age (" +
                   std::to_string(config_.max_command_age_ms / 1000) + " s) either way";
    }
    int forms = int(j.contains("state")) + int(j.contains("pulse_ms")) + int(j.contains("renew_ms"));
    if (forms != 1) return "exactly one of 'state', 'pulse_ms' and 'renew_ms'; " + usage;
    if (j.contains("pulse_ms")) {
        auto ms = whole_ms("pulse_ms", 1);
        if (!ms) return "'pulse_ms'" + range;
        command.op = RelayCommand::Op::pulse;
        command.duration = *ms;
        return std::nullopt;
    }
    if (j.contains("renew_ms")) {
        renew = whole_ms("renew_ms", 1000);
        if (!renew) return "'renew_ms'" + range;
        return std::nullopt;
    }
    std::string state = j["state"].is_string() ? front_trim_upper(j["state"].get<std::string>()) : "";
    if (state == "ON" || state == "OFF") {
        command.op = RelayCommand::Op::set;
        command.on = state == "ON";
    } else if (state == "TOGGLE") {
        command.op = RelayCommand::Op::toggle;
    } else {
        return "'state' must be \"ON\", \"OFF\" or \"TOGGLE\"";
    }
    if (j.contains("lease_ms")) {
        command.lease = whole_ms("lease_ms", 1000);
        if (!command.lease) return "'lease_ms'" + range;
    }
    return std::nullopt;
}

void MqttFront::relay_command(const std::string& id, const std::string& payload, const Reply& reply) {
    RelayCommand command;
    command.channel = id;
    std::optional<Millis> renew;
    if (auto bad = read_relay_command(payload, command, renew)) {
        ++counters_.ignored;
        // Unreadable requests still cost the requester a request (the door counts them).
        auto admitted = door_.admit(requester_, ChannelKind::relay);
        std::string code = "bad_request";
        std::string message = *bad;
        if (message.rfind("stale:", 0) == 0) {
            code = "stale";
            message = message.substr(6);
        }
        Error e = admitted.ok() ? Error{code, message} : admitted.error();
        answer(reply, Json{{"ok", false}, {"error", e.code}, {"message", e.message}});
        return;
    }
    if (renew) {
        auto lease = door_.renew_lease(requester_, id, *renew);
        answer(reply, lease.ok() ? Json{{"ok", true}, {"lease", {{"expires", lease.value().expires_ms}}}}
                                 : Json{{"ok", false}, {"error", lease.error().code}, {"message", lease.error().message}});
        return;
    }
    door_.relay(requester_, command, [this, alive = std::weak_ptr<bool>(alive_), reply](Result<RelayState> result) {
        auto still = alive.lock();
        if (!still || !*still) return;
        Json body;
        if (result.ok()) {
            body = {{"ok", true}, {"state", result.value() == RelayState::on ? "ON" : "OFF"}};
        } else {
            body = {{"ok", false}, {"error", result.error().code}, {"message", result.error().message}};
        }
        answer(reply, body);
    });
}

void MqttFront::text_command(const std::string& id, const std::string& payload, const Reply& reply) {
    std::string line = payload;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    door_.text_send(requester_, id, line, "", [this, alive = std::weak_ptr<bool>(alive_), reply](Status status) {
        auto still = alive.lock();
        if (!still || !*still) return;
        answer(reply, status.ok() ? Json{{"ok", true}}
                                  : Json{{"ok", false}, {"error", status.error().code}, {"message", status.error().message}});
    });
}

void MqttFront::publish_discovery() {
    if (channels_ == nullptr || !config_.discovery) return;
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
    auto put = [&](const char* component, const std::string& id, const Json& config) {
        publish(front_discovery_topic(config_, node, component, id), config.dump(), config_.qos, true);
    };
    for (const auto& s : channels_->sensors()) {
        if (!front_local(*s)) continue;
        Json c = base("sensor", s->id(), s->info().label);
        c["state_topic"] = topic("sensor", s->id(), "");
        if (s->info().type == SensorType::boolean) {
            c["payload_on"] = "ON";
            c["payload_off"] = "OFF";
            if (const char* dc = front_binary_class(s->info().words.device_class)) c["device_class"] = dc;
            if (config_.json_readings) c["value_template"] = "{{ 'ON' if value_json.value else 'OFF' }}";
            put("binary_sensor", s->id(), c);
        } else {
            if (!s->info().unit.empty()) c["unit_of_measurement"] = s->info().unit;
            const FrontSensorClass classes = front_sensor_class(s->info().unit);
            if (classes.device_class != nullptr) c["device_class"] = classes.device_class;
            c["state_class"] = classes.state_class;
            if (config_.json_readings) c["value_template"] = "{{ value_json.value }}";
            put("sensor", s->id(), c);
        }
    }
    for (const auto& r : channels_->relays()) {
        if (!front_local(*r)) continue;
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
    // A text channel that takes lines is a `text` entity: what it sends is set from Home
    // Assistant, the device's last line is its state. Display-only channels have no entity
    // (a `sensor` with text states would be graphed as numbers by nothing and stored forever).
    for (const auto& t : channels_->texts()) {
        if (!t->accepts_lines() || !front_local(*t)) continue;
        Json c = base("text", t->id(), t->info().label);
        c["command_topic"] = topic("text", t->id(), "send");
        c["state_topic"] = topic("text", t->id(), "line");
        c["max"] = static_cast<std::int64_t>(std::min<std::size_t>(t->info().max_line_bytes, 255));
        c["mode"] = "text";
        c["qos"] = config_.qos;
        c["retain"] = false;
        put("text", t->id(), c);
    }
}

}  // namespace hwb::mqtt
