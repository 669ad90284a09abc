#include "mqttdev/mqtt_driver.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/rate_limit.h"
#include "mqttdev/json_path.h"
#include "mqttlink/mqtt_link.h"

namespace hwb {

namespace {

using Json = nlohmann::json;

constexpr RateLimit mqttdrv_complaints{1.0 / 60, 3};  // bad payloads: a few lines, then one a minute

std::vector<OptionSpec> mqttdrv_device_options() {
    return {
        {.key = "broker", .type = OptionType::choice,
         .help = "uplink: the broker of the map's mqtt: section (its host, port, username, password_file, ca, cert, key, "
                 "keepalive and protocol); own: this device's keys",
         .fallback = std::string("own"), .choices = {"own", "uplink"}},
        {.key = "host", .help = "the broker's host name or address", .fallback = std::string("127.0.0.1")},
        {.key = "port", .type = OptionType::integer, .help = "the broker's port", .fallback = std::int64_t{1883}, .min = 1,
         .max = 65535},
        {.key = "client_id", .help = "MQTT client id (default: hwbridge-dev-<device id>); unique per broker"},
        {.key = "username", .help = "user name at the broker"},
        {.key = "password_file", .help = "absolute path of a file whose first line is the password (not world-readable)"},
        {.key = "ca", .help = "CA certificate (PEM) of the broker's: turns TLS on; the broker's name is checked"},
        {.key = "cert", .help = "client certificate (PEM); needs key and ca"},
        {.key = "key", .help = "the client certificate's key (PEM; not world-readable)"},
        {.key = "keepalive", .type = OptionType::duration, .help = "MQTT keepalive (whole seconds)",
         .fallback = std::chrono::milliseconds(30000), .min = 5000, .max = 3600000},
        {.key = "qos", .type = OptionType::integer, .help = "QoS of subscriptions and commands", .fallback = std::int64_t{1},
         .min = 0, .max = 2},
        {.key = "protocol", .type = OptionType::choice, .help = "MQTT version (relays with results need 5)",
         .fallback = std::string("5"), .choices = {"5", "3.1.1"}},
        {.key = "max_payload", .type = OptionType::integer, .help = "larger messages are ignored (bytes)",
         .fallback = std::int64_t{4096}, .min = 64, .max = 65536},
        {.key = "availability_topic", .help = "topic saying whether the device is there (e.g. another hwbridge's status)"},
        {.key = "payload_available", .help = "payload of availability_topic when the device is there",
         .fallback = std::string("online")},
        {.key = "payload_not_available", .help = "payload of availability_topic when it is not",
         .fallback = std::string("offline")},
        {.key = "bridge",
         .help = "import another hwbridge by its name (bridge.name): its channels from its uplink's retained metadata"},
        {.key = "bridge_prefix", .help = "that bridge's uplink topic prefix (default hwbridge/<its name as a topic level>)"},
        {.key = "id_prefix", .help = "prefix of the ids of imported channels (default: this device's id and '_')"},
        {.key = "import", .type = OptionType::choice,
         .help = "all: every channel of the bridge; listed: only those listed on this device",
         .fallback = std::string("all"), .choices = {"all", "listed"}},
    };
}

OptionSpec mqttdrv_remote() {
    return {.key = "remote",
            .help = "on a device with 'bridge': the channel's id on that bridge (default: this id without id_prefix)"};
}

OptionSpec mqttdrv_availability() {
    return {.key = "availability_topic",
            .help = "topic saying whether this channel is there (payloads as the device's availability)"};
}

std::vector<OptionSpec> mqttdrv_sensor_options() {
    return {
        {.key = "topic", .help = "topic the readings arrive on (required unless the device has 'bridge')"},
        {.key = "value_path", .help = "where the value is in a JSON payload, e.g. sensor.temp or values[0] (default: the whole payload)"},
        {.key = "payload_on", .help = "boolean sensors: the payload that means on (also true, 1)", .fallback = std::string("ON")},
        {.key = "payload_off", .help = "boolean sensors: the payload that means off (also false, 0)", .fallback = std::string("OFF")},
        mqttdrv_availability(),
        mqttdrv_remote(),
    };
}

std::vector<OptionSpec> mqttdrv_relay_options() {
    return {
        {.key = "command_topic", .help = "topic the relay's commands are published on (required unless the device has 'bridge')"},
        {.key = "state_topic", .help = "topic on which the device confirms its state (required unless the device has 'bridge')"},
        {.key = "payload_on", .help = "command payload to switch on", .fallback = std::string("ON")},
        {.key = "payload_off", .help = "command payload to switch off", .fallback = std::string("OFF")},
        {.key = "state_on", .help = "state payload that means on (default: payload_on)"},
        {.key = "state_off", .help = "state payload that means off (default: payload_off)"},
        {.key = "state_path", .help = "where the state is in a JSON state payload, e.g. POWER"},
        {.key = "timeout", .type = OptionType::duration, .help = "how long a command waits for its confirmation",
         .fallback = std::chrono::milliseconds(5000), .min = 100, .max = 60000},
        {.key = "results", .type = OptionType::boolean,
         .help = "the device answers commands like hwbridge (MQTT 5 response topic): its refusals reach the client with their code",
         .fallback = false},
        mqttdrv_availability(),
        mqttdrv_remote(),
    };
}

std::vector<OptionSpec> mqttdrv_text_options() {
    return {
        {.key = "topic", .help = "topic the device's lines arrive on"},
        {.key = "command_topic", .help = "topic lines to the device are published on (without it: display only)"},
        mqttdrv_availability(),
        mqttdrv_remote(),
    };
}

// Empty when `topic` is a topic name hwbridge can subscribe or publish to, else why not.
std::string mqttdrv_topic_problem(const std::string& topic) {
    if (topic.empty()) return "must not be empty";
    if (topic.size() > 256) return "is longer than 256 characters";
    for (unsigned char c : topic) {
        if (c == '+' || c == '#') return "must not contain the wildcards '+' or '#' (one topic per channel)";
        if (std::iscntrl(c)) return "must not contain control characters";
    }
    return {};
}

// Device with `bridge`: the imported bridge's topic prefix, and the id prefix of its channels.
std::string mqttdrv_bridge_prefix(const DeviceConfig& device) {
    const Options& d = device.options;
    return d.has("bridge_prefix") ? d.string("bridge_prefix") : "hwbridge/" + mqtt_node_id(d.string("bridge"));
}
std::string mqttdrv_id_prefix(const DeviceConfig& device) {
    return device.options.has("id_prefix") ? device.options.string("id_prefix") : device.id + "_";
}
// A listed channel's id on the imported bridge.
std::string mqttdrv_remote_id(const DeviceConfig& device, const std::string& id, const Options& o) {
    if (o.has("remote")) return o.string("remote");
    const std::string prefix = mqttdrv_id_prefix(device);
    return id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0 ? id.substr(prefix.size()) : id;
}

// Keys of a channel that a bridge import derives from the bridge's prefix.
constexpr const char* mqttdrv_derived_keys[] = {"topic", "command_topic", "state_topic", "availability_topic",
                                                "value_path", "state_path", "results"};

std::vector<OptionProblem> mqttdrv_check(const DeviceConfig& device) {
    std::vector<OptionProblem> problems;
    auto topic = [&](ChannelKind kind, const std::string& channel, const Options& o, const char* key) {
        if (!o.has(key)) return;
        if (auto p = mqttdrv_topic_problem(o.string(key)); !p.empty())
            problems.push_back({kind, channel, key, std::string("'") + key + "' " + p});
    };
    auto path = [&](ChannelKind kind, const std::string& channel, const Options& o, const char* key) {
        if (!o.has(key)) return;
        std::string error;
        if (!mqttdev::parse_json_path(o.string(key), error))
            problems.push_back({kind, channel, key, std::string("'") + key + "' " + error});
    };
    const Options& d = device.options;
    const bool bridge = d.has("bridge");
    if (bridge) {
        if (d.string("bridge").empty() || d.string("bridge").size() > 100)
            problems.push_back({ChannelKind::sensor, "", "bridge", "'bridge' must be a bridge's name (1 to 100 characters)"});
        topic(ChannelKind::sensor, "", d, "bridge_prefix");
        if (d.has("id_prefix") && !d.string("id_prefix").empty() && !is_identifier(d.string("id_prefix"), 32))
            problems.push_back({ChannelKind::sensor, "", "id_prefix", "'id_prefix' must be up to 32 letters, digits, '_' or '-'"});
        if (d.has("availability_topic"))
            problems.push_back({ChannelKind::sensor, "", "availability_topic",
                                "'availability_topic' is the imported bridge's status topic on a device with 'bridge'"});
        if (d.string("protocol") != "5")
            problems.push_back({ChannelKind::sensor, "", "protocol",
                                "a device with 'bridge' needs protocol 5 (the remote bridge's answers to commands)"});
    } else {
        for (const char* key : {"bridge_prefix", "id_prefix", "import"})
            if (d.location(key) != nullptr)
                problems.push_back({ChannelKind::sensor, "", key, std::string("'") + key + "' needs 'bridge' on the device"});
    }
    // Per channel: on a bridge import the topics are derived, elsewhere they are required.
    auto channel_keys = [&](ChannelKind kind, const std::string& id, const Options& o,
                            std::initializer_list<const char*> required) {
        if (bridge) {
            for (const char* key : mqttdrv_derived_keys)
                if (o.location(key) != nullptr)
                    problems.push_back({kind, id, key, std::string("'") + key +
                                                           "' is derived from the bridge's prefix on a device with 'bridge'"});
            if (!is_identifier(mqttdrv_remote_id(device, id, o)))
                problems.push_back({kind, id, o.has("remote") ? "remote" : "",
                                    "'remote' must be 1 to 64 letters, digits, '_' or '-'"});
            return;
        }
        if (o.has("remote"))
            problems.push_back({kind, id, "remote", "'remote' needs 'bridge' on the device"});
        for (const char* key : required)
            if (!o.has(key))
                problems.push_back({kind, id, "", std::string(to_string(kind)) + " '" + id + "' is missing required key '" +
                                                      key + "' (or put it on a device with 'bridge')"});
    };
    for (const auto& s : device.sensors) channel_keys(ChannelKind::sensor, s.info.id, s.options, {"topic"});
    for (const auto& r : device.relays) channel_keys(ChannelKind::relay, r.info.id, r.options, {"command_topic", "state_topic"});
    for (const auto& t : device.texts) channel_keys(ChannelKind::text, t.info.id, t.options, {});
    topic(ChannelKind::sensor, "", d, "availability_topic");
    if (d.has("cert") != d.has("key"))
        problems.push_back({ChannelKind::sensor, "", d.has("cert") ? "cert" : "key", "'cert' and 'key' go together"});
    else if (d.has("cert") && !d.has("ca"))
        problems.push_back({ChannelKind::sensor, "", "cert", "a client certificate needs 'ca' (TLS to the broker)"});
    if (d.has("password_file")) {
        if (d.string("password_file").empty() || d.string("password_file").front() != '/')
            problems.push_back({ChannelKind::sensor, "", "password_file", "'password_file' must be an absolute path"});
        else if (!d.has("username"))
            problems.push_back({ChannelKind::sensor, "", "password_file", "'password_file' needs 'username'"});
    }
    for (const auto& s : device.sensors) {
        topic(ChannelKind::sensor, s.info.id, s.options, "topic");
        topic(ChannelKind::sensor, s.info.id, s.options, "availability_topic");
        path(ChannelKind::sensor, s.info.id, s.options, "value_path");
    }
    for (const auto& r : device.relays) {
        for (const char* key : {"command_topic", "state_topic", "availability_topic"})
            topic(ChannelKind::relay, r.info.id, r.options, key);
        path(ChannelKind::relay, r.info.id, r.options, "state_path");
        if (r.options.has("results") && r.options.boolean("results") && d.string("protocol") != "5")
            problems.push_back({ChannelKind::relay, r.info.id, "results", "'results' needs protocol 5 on the device"});
    }
    for (const auto& t : device.texts) {
        for (const char* key : {"topic", "command_topic", "availability_topic"}) topic(ChannelKind::text, t.info.id, t.options, key);
        if (!bridge && !t.options.has("topic") && !t.options.has("command_topic"))
            problems.push_back({ChannelKind::text, t.info.id, "", "a text channel needs 'topic', 'command_topic' or both"});
    }
    return problems;
}

// Topics of the device that belong to this bridge's own uplink (under its `mqtt.prefix`, the
// default computed by the map loader as for the uplink): the uplink takes commands there and
// publishes its states there, so a command would reach this bridge itself and a state would be
// confirmed by its own messages (docs/device-map.md, "Loops").
// The keys `broker: uplink` takes from the mqtt: section.
constexpr const char* mqttdrv_broker_keys[] = {"host", "port", "username", "password_file", "ca", "cert", "key",
                                               "keepalive", "protocol"};

// `broker: uplink`: the section's broker settings, where the device does not write its own (a key
// written anyway is reported by mqttdrv_check_uplink).
void mqttdrv_take_uplink(DeviceConfig& device, const MqttConfig& uplink) {
    Options& d = device.options;
    if (!uplink.enabled || !d.has("broker") || d.string("broker") != "uplink") return;
    auto take = [&](const char* key, OptionValue value) {
        if (d.location(key) == nullptr) d.set(key, std::move(value));
    };
    take("host", uplink.host);
    take("port", std::int64_t{uplink.port});
    take("keepalive", std::chrono::milliseconds(std::int64_t{uplink.keepalive_s} * 1000));
    take("protocol", std::string(uplink.protocol == 5 ? "5" : "3.1.1"));
    for (auto [key, value] : {std::pair{"username", &uplink.username}, std::pair{"password_file", &uplink.password_file},
                              std::pair{"ca", &uplink.ca}, std::pair{"cert", &uplink.cert}, std::pair{"key", &uplink.key}})
        if (!value->empty()) take(key, *value);
}

std::vector<OptionProblem> mqttdrv_check_uplink(const DeviceConfig& device, const MqttConfig& uplink) {
    std::vector<OptionProblem> problems;
    const Options& d = device.options;
    if (d.has("broker") && d.string("broker") == "uplink") {
        if (!uplink.enabled)
            problems.push_back({ChannelKind::sensor, "", "broker",
                                "'broker: uplink' takes the broker of the map's mqtt: section, and this map has none "
                                "(add one, or give this device its own host and port)"});
        else
            for (const char* key : mqttdrv_broker_keys)
                if (d.location(key) != nullptr)
                    problems.push_back({ChannelKind::sensor, "", key,
                                        std::string("'") + key +
                                            "' comes from the mqtt: section with 'broker: uplink'; leave it out here, "
                                            "or write 'broker: own' to give this device a broker of its own"});
    }
    if (!uplink.enabled || uplink.prefix.empty()) return problems;
    const std::string& own = uplink.prefix;
    auto under = [&](const std::string& t) { return t == own || t.rfind(own + "/", 0) == 0; };
    const std::string why = " lies under this bridge's own uplink prefix '" + own +
                            "' (mqtt.prefix): the uplink takes commands and publishes states there, so the bridge "
                            "would command or confirm itself";
    auto topic = [&](ChannelKind kind, const std::string& channel, const Options& o, const char* key) {
        if (o.has(key) && under(o.string(key)))
            problems.push_back({kind, channel, key, std::string("'") + key + "' " + o.string(key) + why});
    };
    if (d.has("bridge") && under(mqttdrv_bridge_prefix(device))) {
        const char* key = d.has("bridge_prefix") ? "bridge_prefix" : "bridge";
        problems.push_back({ChannelKind::sensor, "", key,
                            "the imported bridge's prefix " + mqttdrv_bridge_prefix(device) + why +
                                " (a bridge cannot import itself)"});
    }
    for (const auto& r : device.relays)
        for (const char* key : {"command_topic", "state_topic"}) topic(ChannelKind::relay, r.info.id, r.options, key);
    for (const auto& t : device.texts) topic(ChannelKind::text, t.info.id, t.options, "command_topic");
    return problems;
}

// A string field of a JSON message from the broker, at most `max` bytes; `fallback` when it is
// missing or not a string (anyone may publish: a wrong type is never an exception).
std::string mqttdrv_text(const Json& message, const char* key, const std::string& fallback,
                         std::size_t max = std::string::npos) {
    auto it = message.find(key);
    std::string out = it != message.end() && it->is_string() ? it->get<std::string>() : fallback;
    if (out.size() > max) out.resize(max);
    return out;
}

// A payload quoted in a log line: at most `max` bytes (40 by default), control and non-ASCII
// bytes as \xNN.
std::string mqttdrv_quote(const std::string& payload, std::size_t max = 40) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < payload.size() && i < max; ++i) {
        auto c = static_cast<unsigned char>(payload[i]);
        if (c < 0x20 || c >= 0x7f || c == '\\') {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (payload.size() > max) out += "...";
    return out;
}

std::string mqttdrv_trim(const std::string& s) {
    std::size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return s.substr(a, b - a);
}

bool mqttdrv_same_word(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

// The text at `path` of a JSON payload (a string as it is, numbers and booleans as JSON writes
// them); without a path the payload itself. nullopt: not JSON, or nothing there.
std::optional<std::string> mqttdrv_extract(const std::string& payload, const std::optional<mqttdev::JsonPath>& path) {
    if (!path) return mqttdrv_trim(payload);
    Json document = Json::parse(payload, nullptr, false);
    if (document.is_discarded()) return std::nullopt;
    const Json* at = mqttdev::follow_json_path(document, *path);
    if (at == nullptr || at->is_null() || at->is_object() || at->is_array()) return std::nullopt;
    return at->is_string() ? mqttdrv_trim(at->get<std::string>()) : at->dump();
}

std::optional<mqttdev::JsonPath> mqttdrv_path(const Options& o, const char* key) {
    if (!o.has(key)) return std::nullopt;
    std::string error;
    return mqttdev::parse_json_path(o.string(key), error);  // checked at load
}

// The options a channel of a bridge import runs with: its topics below the bridge's prefix, as
// that bridge's uplink publishes them (docs/mqtt.md, "Topics").
Options mqttdrv_effective(const DeviceConfig& device, ChannelKind kind, const std::string& id, const Options& o) {
    if (!device.options.has("bridge")) return o;
    Options out = o;
    const std::string base = mqttdrv_bridge_prefix(device) + "/" + to_string(kind) + "/" + mqttdrv_remote_id(device, id, o);
    out.set("availability_topic", base + "/availability");
    switch (kind) {
        case ChannelKind::sensor: out.set("topic", base); break;
        case ChannelKind::relay:
            out.set("command_topic", base + "/set");
            out.set("state_topic", base + "/state");
            out.set("results", true);
            break;
        case ChannelKind::text:
            out.set("topic", base + "/line");
            if (!o.has("input") || o.boolean("input")) out.set("command_topic", base + "/send");
            break;
    }
    return out;
}

// Metadata messages of a whole bridge are larger than a reading: up to this, and this many channels.
constexpr std::size_t mqttdrv_max_meta_bytes = 256 * 1024;
constexpr std::size_t mqttdrv_max_imported = 500;

class MqttDevice;
class MqttText;

// A relay whose state is what the device confirms on its state topic.
class MqttRelay final : public RelayOutput {
public:
    MqttRelay(MqttDevice& device, Relay& relay, const Options& o, EventLoop& loop, std::string response_topic);
    ~MqttRelay() override { relay_.bind(nullptr); }
    void write(bool on, Done done) override;
    void on_state(const std::string& payload);
    void on_result(const std::string& correlation, const std::string& payload);
    void connection_lost();
    Relay& relay() { return relay_; }
    const std::string& state_topic() const { return state_topic_; }
    const std::string& response_topic() const { return response_topic_; }
    bool results() const { return results_; }

private:
    void finish(RelayState actual, std::optional<Error> error);

    MqttDevice& device_;
    Relay& relay_;
    std::string command_topic_, state_topic_, payload_on_, payload_off_, state_on_, state_off_;
    std::optional<mqttdev::JsonPath> state_path_;
    Millis timeout_;
    bool results_ = false;
    std::string response_topic_;
    Timer timer_;
    Done pending_;
    bool target_ = false;
    std::uint64_t generation_ = 0;
};

class MqttText final : public TextOutput {
public:
    MqttText(MqttDevice& device, TextChannel& channel, std::string topic)
        : device_(device), channel_(channel), topic_(std::move(topic)) {}
    ~MqttText() override { channel_.bind(nullptr); }
    void send_line(const std::string& line, Done done) override;
    TextChannel& channel() { return channel_; }

private:
    MqttDevice& device_;
    TextChannel& channel_;
    std::string topic_;
};

class MqttDevice final : public Device {
public:
    MqttDevice(const DeviceConfig& config, DeviceContext& context);
    ~MqttDevice() override;
    void start() override;
    std::string describe() const override;

    mqtt::MqttLink* link() { return link_.get(); }
    int qos() const { return qos_; }
    const std::string& id() const { return id_; }
    std::string broker() const { return host_ + ":" + std::to_string(port_); }
    void complain(const std::string& what);

private:
    struct Channel {
        ChannelKind kind;
        std::string id;
        std::string availability_topic;
        std::optional<bool> available;  // from availability_topic; unknown until it says
    };
    void connected();
    void failed();
    void message(const mqtt::Incoming& in);
    void update_status();
    void subscribe_all();
    void on_meta(const std::string& payload);

    EventLoop& loop_;
    Channels& channels_;
    std::function<void(const std::string&, FoundChannels)> found_channels_;
    DeviceConfig config_;     // as the map (and earlier imports) made it
    std::string meta_topic_;  // a whole-bridge import: the bridge's metadata; empty otherwise
    std::string id_;
    std::string host_;
    int port_;
    int qos_;
    std::size_t max_payload_;
    std::string availability_topic_, available_payload_, not_available_payload_;
    std::optional<bool> available_;
    std::unique_ptr<mqtt::MqttLink> link_;
    std::string off_reason_;  // the link could not be made (a bad password file)
    std::vector<Channel> channel_states_;
    // topic -> what to do with a message on it (several channels may share a topic).
    std::multimap<std::string, std::function<void(const mqtt::Incoming&)>> handlers_;
    std::vector<std::unique_ptr<MqttRelay>> relays_;
    std::vector<std::unique_ptr<MqttText>> texts_;
    LogThrottle complaints_{mqttdrv_complaints};
};

MqttRelay::MqttRelay(MqttDevice& device, Relay& relay, const Options& o, EventLoop& loop, std::string response_topic)
    : device_(device),
      relay_(relay),
      command_topic_(o.string("command_topic")),
      state_topic_(o.string("state_topic")),
      payload_on_(o.string("payload_on")),
      payload_off_(o.string("payload_off")),
      state_on_(o.has("state_on") ? o.string("state_on") : payload_on_),
      state_off_(o.has("state_off") ? o.string("state_off") : payload_off_),
      state_path_(mqttdrv_path(o, "state_path")),
      timeout_(o.duration("timeout")),
      results_(o.boolean("results")),
      response_topic_(std::move(response_topic)),
      timer_(loop, [this] {
          finish(RelayState::unknown, Error{"timeout", "no confirmation on " + state_topic_ + " within " +
                                                           std::to_string(timeout_.count()) + " ms; state unknown"});
      }) {}

void MqttRelay::write(bool on, Done done) {
    if (pending_) finish(RelayState::unknown, Error{"busy", "superseded by a newer command"});
    auto* link = device_.link();
    if (link == nullptr || !link->connected()) {
        done(relay_.state(), Error{"offline", "the broker " + device_.broker() + " is not connected"});
        return;
    }
    pending_ = std::move(done);
    target_ = on;
    ++generation_;
    const std::string& payload = on ? payload_on_ : payload_off_;
    bool sent = results_ ? link->publish_request(command_topic_, payload, device_.qos(), response_topic_,
                                                 std::to_string(generation_))
                         : link->publish(command_topic_, payload, device_.qos(), false);
    if (!sent) {
        finish(relay_.state(), Error{"hardware", "the command could not be published to " + device_.broker()});
        return;
    }
    timer_.start(timeout_);
}

void MqttRelay::finish(RelayState actual, std::optional<Error> error) {
    timer_.cancel();
    if (!pending_) return;
    Done done = std::move(pending_);
    pending_ = nullptr;
    done(actual, std::move(error));
}

void MqttRelay::on_state(const std::string& payload) {
    // A cleared retained state (the remote bridge dropped the relay): no state, nothing to say.
    if (payload.empty()) return;
    auto text = mqttdrv_extract(payload, state_path_);
    std::optional<RelayState> state;
    if (text && mqttdrv_same_word(*text, state_on_)) state = RelayState::on;
    if (text && mqttdrv_same_word(*text, state_off_)) state = RelayState::off;
    if (!state) {
        device_.complain("relay " + relay_.id() + ": state '" + mqttdrv_quote(payload) + "' on " + state_topic_ +
                         " is neither '" + state_on_ + "' nor '" + state_off_ + "'; ignored");
        return;
    }
    if (pending_ && *state == relay_state(target_)) {
        finish(*state, std::nullopt);
        return;
    }
    // Not the awaited state (an older one still on its way, or no command of ours): the device's
    // state as it is, switched by someone else.
    if (!pending_ && *state != relay_.state()) relay_.report(*state, Cause::of(Cause::Kind::driver));
}

void MqttRelay::on_result(const std::string& correlation, const std::string& payload) {
    if (!pending_ || correlation != std::to_string(generation_)) return;
    Json answer = Json::parse(payload, nullptr, false);
    if (!answer.is_object() || !answer.contains("ok") || !answer["ok"].is_boolean()) return;
    if (answer["ok"].get<bool>()) return;  // the state topic confirms
    std::string code = mqttdrv_text(answer, "error", "hardware");
    std::string message = mqttdrv_text(answer, "message", "");
    if (code.size() > 40) code = "hardware";
    // The remote's own reason, for the client: as long as the bridge's own messages may be.
    finish(relay_.state(), Error{code, device_.id() + " answered: " + mqttdrv_quote(message, 300)});
}

void MqttRelay::connection_lost() {
    finish(RelayState::unknown, Error{"offline", "the connection to the broker " + device_.broker() +
                                                     " was lost before the state was confirmed; state unknown"});
}

void MqttText::send_line(const std::string& line, Done done) {
    auto* link = device_.link();
    if (link == nullptr || !link->connected()) {
        done(Error{"offline", "the broker " + device_.broker() + " is not connected"});
        return;
    }
    if (!link->publish(topic_, line, device_.qos(), false)) {
        done(Error{"hardware", "the line could not be published to " + device_.broker()});
        return;
    }
    done(std::nullopt);
}

MqttDevice::MqttDevice(const DeviceConfig& config, DeviceContext& context)
    : loop_(context.loop),
      channels_(context.channels),
      found_channels_(context.found_channels),
      config_(config),
      id_(config.id),
      host_(config.options.string("host")),
      port_(static_cast<int>(config.options.integer("port"))),
      qos_(static_cast<int>(config.options.integer("qos"))),
      max_payload_(static_cast<std::size_t>(config.options.integer("max_payload"))) {
    const Options& d = config.options;
    if (d.has("availability_topic")) availability_topic_ = d.string("availability_topic");
    const bool bridge = d.has("bridge");
    if (bridge) {
        // The imported bridge's last will says whether it is there.
        availability_topic_ = mqttdrv_bridge_prefix(config) + "/status";
        if (d.string("import") == "all") meta_topic_ = mqttdrv_bridge_prefix(config) + "/meta";
    }
    // A bridge's readings are plain or JSON ({"value": ...}) as its uplink is set: both are taken.
    static const std::optional<mqttdev::JsonPath> bridge_value = [] {
        std::string error;
        return mqttdev::parse_json_path("value", error);
    }();
    available_payload_ = d.string("payload_available");
    not_available_payload_ = d.string("payload_not_available");
    mqtt::LinkSettings settings;
    settings.host = host_;
    settings.port = port_;
    settings.client_id = d.has("client_id") ? d.string("client_id") : "hwbridge-dev-" + id_;
    settings.keepalive_s = static_cast<int>(d.duration("keepalive").count() / 1000);
    settings.protocol = d.string("protocol") == "5" ? 5 : 4;
    if (d.has("ca")) settings.ca = d.string("ca");
    if (d.has("cert")) settings.cert = d.string("cert");
    if (d.has("key")) settings.key = d.string("key");
    if (d.has("username")) settings.username = d.string("username");
    if (d.has("password_file")) {
        auto password = mqtt::read_password_file(d.string("password_file"), "password_file of device " + id_);
        if (password.ok()) {
            settings.password = password.value();
        } else {
            off_reason_ = password.error().message;
        }
    }
    const std::string responses = "hwbridge-results/" + settings.client_id + "/";
    auto add_channel = [&](ChannelKind kind, const std::string& id, const Options& o) {
        channel_states_.push_back({kind, id, o.has("availability_topic") ? o.string("availability_topic") : "", {}});
    };
    for (const auto& entry : config.sensors) {
        const Options options = mqttdrv_effective(config, ChannelKind::sensor, entry.info.id, entry.options);
        const auto& s = SensorConfig{entry.info, options, entry.where};
        Sensor* sensor = channels_.sensor(s.info.id);
        auto path = mqttdrv_path(s.options, "value_path");
        std::string on = s.options.string("payload_on"), off = s.options.string("payload_off");
        std::string topic = s.options.string("topic");
        handlers_.emplace(topic, [this, sensor, path, on, off, topic, bridge](const mqtt::Incoming& in) {
            auto text = mqttdrv_extract(in.payload, bridge && !in.payload.empty() && in.payload.front() == '{' ? bridge_value : path);
            std::optional<double> value;
            if (text && sensor->info().type == SensorType::boolean) {
                if (mqttdrv_same_word(*text, on) || *text == "true" || *text == "1") value = 1;
                if (mqttdrv_same_word(*text, off) || *text == "false" || *text == "0") value = 0;
            } else if (text && !text->empty()) {
                char* end = nullptr;
                double v = std::strtod(text->c_str(), &end);
                if (text->c_str() != end && *end == '\0' && std::isfinite(v)) value = v;
                if (*text == "true") value = 1;
                if (*text == "false") value = 0;
            }
            if (!value) {
                complain("sensor " + sensor->id() + ": payload '" + mqttdrv_quote(in.payload) + "' on " + topic +
                         (path ? " has no " + std::string(sensor->info().type == SensorType::boolean ? "on/off" : "number") +
                                     " at its value_path"
                               : std::string(" is not ") +
                                     (sensor->info().type == SensorType::boolean ? "an on/off payload" : "a number")) +
                         "; ignored");
                return;
            }
            sensor->publish(*value);
        });
        add_channel(ChannelKind::sensor, s.info.id, s.options);
    }
    for (const auto& entry : config.relays) {
        const Options options = mqttdrv_effective(config, ChannelKind::relay, entry.info.id, entry.options);
        const auto& r = RelayConfig{entry.info, options, entry.where};
        // Answers to a relay's commands come to a topic below the device's client id.
        auto relay = std::make_unique<MqttRelay>(*this, *channels_.relay(r.info.id), r.options, loop_, responses + r.info.id);
        MqttRelay* raw = relay.get();
        handlers_.emplace(raw->state_topic(), [raw](const mqtt::Incoming& in) { raw->on_state(in.payload); });
        if (raw->results())
            handlers_.emplace(raw->response_topic(), [raw](const mqtt::Incoming& in) { raw->on_result(in.correlation, in.payload); });
        relays_.push_back(std::move(relay));
        add_channel(ChannelKind::relay, r.info.id, r.options);
    }
    for (const auto& entry : config.texts) {
        const Options options = mqttdrv_effective(config, ChannelKind::text, entry.info.id, entry.options);
        const auto& t = TextConfig{entry.info, options, entry.where};
        TextChannel* channel = channels_.text(t.info.id);
        channel->set_accepts_lines(t.options.has("command_topic"));
        if (t.options.has("command_topic"))
            texts_.push_back(std::make_unique<MqttText>(*this, *channel, t.options.string("command_topic")));
        if (t.options.has("topic"))
            handlers_.emplace(t.options.string("topic"), [channel](const mqtt::Incoming& in) {
                std::size_t start = 0;
                // One message may hold several lines.
                while (start <= in.payload.size()) {
                    auto end = in.payload.find('\n', start);
                    if (end == std::string::npos) end = in.payload.size();
                    std::string line = in.payload.substr(start, end - start);
                    if (!line.empty() && line.back() == '\r') line.pop_back();
                    if (!line.empty() || end < in.payload.size()) channel->publish_line(std::move(line));
                    start = end + 1;
                }
            });
        add_channel(ChannelKind::text, t.info.id, t.options);
    }
    for (const auto& c : channel_states_) {
        if (c.availability_topic.empty()) continue;
        std::string topic = c.availability_topic;
        std::string id = c.id;
        ChannelKind kind = c.kind;
        handlers_.emplace(topic, [this, id, kind](const mqtt::Incoming& in) {
            for (auto& state : channel_states_) {
                if (state.id != id || state.kind != kind) continue;
                std::string p = mqttdrv_trim(in.payload);
                if (p == available_payload_) state.available = true;
                else if (p == not_available_payload_) state.available = false;
            }
            update_status();
        });
    }
    if (!availability_topic_.empty())
        handlers_.emplace(availability_topic_, [this](const mqtt::Incoming& in) {
            std::string p = mqttdrv_trim(in.payload);
            if (p == available_payload_) available_ = true;
            else if (p == not_available_payload_) available_ = false;
            update_status();
        });
    if (!meta_topic_.empty()) handlers_.emplace(meta_topic_, [this](const mqtt::Incoming& in) { on_meta(in.payload); });
    if (!off_reason_.empty()) return;
    mqtt::MqttLink::Handlers handlers;
    handlers.connected = [this] { connected(); };
    handlers.disconnected = [this] {
        for (auto& r : relays_) r->connection_lost();
    };
    handlers.failed = [this] { failed(); };
    handlers.message = [this](const mqtt::Incoming& in) { message(in); };
    try {
        link_ = std::make_unique<mqtt::MqttLink>(loop_, std::move(settings), std::move(handlers));
    } catch (const std::exception& e) {
        off_reason_ = e.what();
    }
}

MqttDevice::~MqttDevice() {
    relays_.clear();  // unbinds them from the core
    texts_.clear();
    link_.reset();
}

void MqttDevice::start() {
    for (auto& r : relays_) r->relay().bind(r.get());
    for (auto& t : texts_) t->channel().bind(t.get());
    update_status();
    if (!off_reason_.empty()) {
        spdlog::error("device {}: {}; its channels stay offline", id_, off_reason_);
        return;
    }
    if (link_) link_->start();
}

std::string MqttDevice::describe() const {
    std::set<std::string> topics;
    for (const auto& [topic, handler] : handlers_) topics.insert(topic);
    return "MQTT broker " + broker() + ", " + std::to_string(topics.size()) + " topics";
}

void MqttDevice::complain(const std::string& what) {
    auto skipped = complaints_.allow(loop_.now());
    if (!skipped) return;
    spdlog::warn("device {}: {}{}", id_, what,
                 *skipped > 0 ? " (" + std::to_string(*skipped) + " more not logged)" : std::string());
}

void MqttDevice::subscribe_all() {
    std::set<std::string> topics;
    for (const auto& [topic, handler] : handlers_) topics.insert(topic);
    for (const auto& t : topics) link_->subscribe(t, qos_);
}

void MqttDevice::connected() {
    subscribe_all();
    update_status();
}

void MqttDevice::failed() { update_status(); }

void MqttDevice::message(const mqtt::Incoming& in) {
    const std::size_t limit = in.topic == meta_topic_ ? mqttdrv_max_meta_bytes : max_payload_;
    if (in.payload.size() > limit) {
        complain("a message of " + std::to_string(in.payload.size()) + " bytes on " + in.topic + " (limit " +
                 std::to_string(limit) + "); ignored");
        return;
    }
    auto range = handlers_.equal_range(in.topic);
    for (auto it = range.first; it != range.second; ++it) it->second(in);
}

// The retained metadata of an imported bridge (docs/mqtt.md, "Metadata"): the channels it has now.
// Everything in it is checked and bounded; what cannot be imported is said (throttled) and left out.
void MqttDevice::on_meta(const std::string& payload) {
    if (!found_channels_) return;
    if (payload.empty()) return;  // a cleared retained message: the bridge is gone for good; keep what we have
    const std::string& bridge = config_.options.string("bridge");
    Json meta = Json::parse(payload, nullptr, false);
    // Anyone may publish here: every field is read with its type checked (a wrong type is not the
    // message we know, never an exception).
    auto format = meta.is_object() ? meta.find("format") : meta.end();
    if (!meta.is_object() || format == meta.end() || !format->is_number_integer() || *format != 1) {
        complain("metadata on " + meta_topic_ + " is not a hwbridge metadata message (format 1); ignored");
        return;
    }
    const std::string name = mqttdrv_text(meta, "bridge", "");
    const std::string node = mqttdrv_text(meta, "node", "");
    if (name != bridge && node != mqtt_node_id(bridge)) {
        complain("metadata on " + meta_topic_ + " belongs to bridge '" + mqttdrv_quote(name) + "', not '" + bridge +
                 "'; ignored");
        return;
    }
    // Channels listed on this device are mapped by hand: those remote ids are not imported again.
    std::set<std::string> mapped;
    for (const auto& s : config_.sensors)
        if (!s.options.has("imported")) mapped.insert("sensor/" + mqttdrv_remote_id(config_, s.info.id, s.options));
    for (const auto& r : config_.relays)
        if (!r.options.has("imported")) mapped.insert("relay/" + mqttdrv_remote_id(config_, r.info.id, r.options));
    for (const auto& t : config_.texts)
        if (!t.options.has("imported")) mapped.insert("text/" + mqttdrv_remote_id(config_, t.info.id, t.options));
    const std::string id_prefix = mqttdrv_id_prefix(config_);
    const std::string device_label = config_.label.empty() ? config_.id : config_.label;
    auto number_of = [](const Json& entry, const char* key) -> std::optional<double> {
        auto it = entry.find(key);
        if (it == entry.end() || !it->is_number() || !std::isfinite(it->get<double>())) return std::nullopt;
        return it->get<double>();
    };
    FoundChannels found;
    std::size_t count = 0, skipped = 0;
    // One entry of the metadata: its remote id, or nothing when it is not imported.
    auto accept = [&](const Json& entry, const char* kind) -> std::optional<std::string> {
        if (!entry.is_object()) return std::nullopt;
        const std::string remote = mqttdrv_text(entry, "id", "", 65);
        if (!is_identifier(remote) || !is_identifier(id_prefix + remote)) {
            ++skipped;
            return std::nullopt;
        }
        // Imported there from yet another bridge: never passed on (no chains, no loops).
        if (entry.contains("origin")) return std::nullopt;
        if (mapped.count(std::string(kind) + "/" + remote) != 0) return std::nullopt;
        if (++count > mqttdrv_max_imported) {
            ++skipped;
            return std::nullopt;
        }
        return remote;
    };
    // How the bridge shows the channel, kept on the hub: its order, hidden and compact; its group
    // within the bridge's (the hub groups each bridge's channels under the device's label).
    auto ui_of = [&](const Json& entry) {
        ChannelUi ui;
        auto it = entry.find("ui");
        if (it == entry.end() || !it->is_object()) return ui;
        if (auto order = number_of(*it, "order")) ui.order = static_cast<std::int64_t>(std::clamp(*order, -9999.0, 9999.0));
        auto flag = [&](const char* key) { return it->contains(key) && (*it)[key].is_boolean() && (*it)[key].get<bool>(); };
        ui.hidden = flag("hidden");
        ui.compact = flag("compact");
        const std::string group = mqttdrv_text(*it, "group", "", 40);
        if (!group.empty()) ui.group = device_label + " · " + group;
        return ui;
    };
    auto words_of = [&](const Json& entry) {
        ChannelWords words;
        words.device_class = mqttdrv_text(entry, "device_class", "", 16);
        words.on_text = mqttdrv_text(entry, "on_text", "", 40);
        words.off_text = mqttdrv_text(entry, "off_text", "", 40);
        return words;
    };
    // What every found channel has: its id, label, device, origin and place, and its options (the
    // driver's defaults, marked imported, with the remote id its topics are derived from).
    auto common = [&](auto& c, const Json& entry, const std::string& remote, const std::vector<OptionSpec>& specs) {
        c.info.id = id_prefix + remote;
        c.info.label = mqttdrv_text(entry, "label", remote, 200);
        c.info.device = id_;
        c.info.device_label = device_label;
        c.info.origin = bridge;
        c.info.ui = ui_of(entry);
        c.options.set("imported", true);
        c.options.set("remote", remote);
        for (const auto& spec : specs)
            if (spec.fallback) c.options.set(spec.key, *spec.fallback);
    };
    auto list = [&](const char* key) {
        auto it = meta.find(key);
        return it != meta.end() && it->is_array() ? *it : Json::array();
    };
    for (const auto& entry : list("sensors")) {
        auto remote = accept(entry, "sensor");
        if (!remote) continue;
        SensorConfig s;
        common(s, entry, *remote, mqttdrv_sensor_options());
        s.info.unit = mqttdrv_text(entry, "unit", "", 32);
        s.info.type = mqttdrv_text(entry, "kind", "number", 16) == "boolean" ? SensorType::boolean : SensorType::number;
        s.info.min = number_of(entry, "min");
        s.info.max = number_of(entry, "max");
        s.info.precision = static_cast<int>(std::clamp(number_of(entry, "precision").value_or(2), 0.0, 9.0));
        if (s.info.type == SensorType::boolean) s.info.words = words_of(entry);
        found.sensors.push_back(std::move(s));
    }
    for (const auto& entry : list("relays")) {
        auto remote = accept(entry, "relay");
        if (!remote) continue;
        RelayConfig r;
        common(r, entry, *remote, mqttdrv_relay_options());
        r.info.words = words_of(entry);
        found.relays.push_back(std::move(r));
    }
    for (const auto& entry : list("texts")) {
        auto remote = accept(entry, "text");
        if (!remote) continue;
        TextConfig t;
        common(t, entry, *remote, mqttdrv_text_options());
        t.info.max_line_bytes =
            static_cast<std::size_t>(std::clamp(number_of(entry, "max_line_bytes").value_or(4096), 16.0, 65536.0));
        auto input = entry.find("input");
        t.options.set("input", input == entry.end() || !input->is_boolean() || input->get<bool>());
        found.texts.push_back(std::move(t));
    }
    if (skipped > 0)
        complain(std::to_string(skipped) + " channel(s) of bridge '" + bridge + "' not imported (an id that is not 1 to 64 " +
                 "letters, digits, '_' or '-' with the id_prefix, or more than " + std::to_string(mqttdrv_max_imported) +
                 " channels)");
    found_channels_(id_, std::move(found));
}

void MqttDevice::update_status() {
    for (const auto& c : channel_states_) {
        ChannelStatus status{true, ""};
        if (!off_reason_.empty()) {
            status = {false, off_reason_};
        } else if (!link_ || !link_->connected()) {
            status = {false, "broker " + broker() + (link_ && !link_->last_error().empty() ? " unreachable: " + link_->last_error()
                                                                                          : " not connected yet")};
        } else if (!availability_topic_.empty() && available_ != true) {
            status = {false, available_ ? "the device says it is not available (" + availability_topic_ + ")"
                                        : "waiting for " + availability_topic_};
        } else if (!c.availability_topic.empty() && c.available != true) {
            status = {false, c.available ? "the channel says it is not available (" + c.availability_topic + ")"
                                         : "waiting for " + c.availability_topic};
        }
        switch (c.kind) {
            case ChannelKind::sensor:
                if (auto* s = channels_.sensor(c.id)) s->set_status(status);
                break;
            case ChannelKind::relay:
                if (auto* r = channels_.relay(c.id)) r->set_status(status);
                break;
            case ChannelKind::text:
                if (auto* t = channels_.text(c.id)) t->set_status(status);
                break;
        }
    }
}

}  // namespace

void register_mqtt_driver(DriverRegistry& registry) {
    registry.add(DriverInfo{
        .name = "mqtt",
        .description = "channels of MQTT devices (another hwbridge, Tasmota, ESPHome, zigbee2mqtt): one topic per channel",
        .device_options = mqttdrv_device_options(),
        .sensor_options = mqttdrv_sensor_options(),
        .relay_options = mqttdrv_relay_options(),
        .text_options = mqttdrv_text_options(),
        .check = mqttdrv_check,
        .check_against_uplink = mqttdrv_check_uplink,
        .take_from_uplink = mqttdrv_take_uplink,
        .create = [](const DeviceConfig& config, DeviceContext& context) -> std::unique_ptr<Device> {
            return std::make_unique<MqttDevice>(config, context);
        },
        .origin = [](const DeviceConfig& config) {
            return config.options.has("bridge") ? config.options.string("bridge") : std::string();
        },
    });
}

}  // namespace hwb
