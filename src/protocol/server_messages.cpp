// Encoding of server messages (docs/protocol.md). reading(), relay_state() and text_line() run
// for every value and every client, so they write the JSON text directly; metadata (hello,
// /api/channels) is built as a DOM, once per connection or request.
#include <cmath>

#include "protocol/json_writer.h"
#include "protocol/messages.h"

namespace hwb::protocol {

namespace {

const char* sensor_kind(SensorType type) { return type == SensorType::boolean ? "boolean" : "number"; }

// A sensor value as sent: true/false for boolean sensors, null for NaN and infinities
// (which JSON cannot express).
Json sensor_value(const Sensor& sensor, double value) {
    if (sensor.info().type == SensorType::boolean) return value != 0;
    if (!std::isfinite(value)) return nullptr;
    return value;
}

void add_status(Json& j, const ChannelStatus& status) {
    j["online"] = status.online;
    if (!status.online) j["reason"] = status.reason;
}

Json cause_json(const Cause& cause) {
    Json j = {{"cause", to_string(cause.kind)}};
    if (!cause.client.empty()) j["client"] = cause.client;
    if (!cause.subject.empty()) j["subject"] = cause.subject;
    return j;
}

const char* direction(TextDirection dir) { return dir == TextDirection::to_device ? "tx" : "rx"; }

void write_line_fields(ObjectWriter& w, const TextLine& line) {
    w.str("line", line.text).str("dir", direction(line.direction));
    if (line.direction == TextDirection::to_device) w.str("by", line.by);
    w.integer("time", line.time_ms).integer("seq", line.seq);
}

template <class Channel>
std::string hello(const char* subprotocol, const HelloContext& ctx,
                  const std::vector<std::unique_ptr<Channel>>& channels, Json (*to_json)(const Channel&)) {
    Json list = Json::array();
    for (const auto& c : channels) list.push_back(to_json(*c));
    return ObjectWriter(256 + 160 * channels.size())
        .str("type", "hello")
        .str("protocol", subprotocol)
        .integer("version", std::int64_t{version})
        .str("bridge", ctx.bridge)
        .str("client", ctx.client)
        .raw("channels", dump(list))
        .finish();
}

}  // namespace

// `ui` only where the map sets something; absent means order 0, no group, shown, full card.
void add_ui(Json& j, const ChannelUi& ui) {
    Json u = Json::object();
    if (ui.order != 0) u["order"] = ui.order;
    if (!ui.group.empty()) u["group"] = ui.group;
    if (ui.hidden) u["hidden"] = true;
    if (ui.compact) u["compact"] = true;
    if (!u.empty()) j["ui"] = std::move(u);
}

// The words of a two-state thing, as resolved by the loader (the class's unless the map says).
void add_words(Json& j, const ChannelWords& words) {
    if (!words.device_class.empty()) j["device_class"] = words.device_class;
    if (!words.on_text.empty()) j["on_text"] = words.on_text;
    if (!words.off_text.empty()) j["off_text"] = words.off_text;
}

// ---- channel metadata ----

Json sensor_json(const Sensor& sensor) {
    const auto& info = sensor.info();
    Json j = {{"id", info.id},
              {"label", info.label},
              {"device", info.device},
              {"device_label", info.device_label.empty() ? info.device : info.device_label},
              {"unit", info.unit},
              {"kind", sensor_kind(info.type)},
              {"precision", info.precision}};
    if (info.min) j["min"] = *info.min;
    if (info.max) j["max"] = *info.max;
    if (!info.origin.empty()) j["origin"] = info.origin;
    add_words(j, info.words);
    add_ui(j, info.ui);
    add_status(j, sensor.status());
    if (const auto& last = sensor.last()) {
        j["value"] = sensor_value(sensor, last->value);
        j["time"] = last->time_ms;
        j["seq"] = last->seq;
    } else {
        j["value"] = nullptr;
        j["time"] = nullptr;
        j["seq"] = 0;
    }
    return j;
}

Json relay_json(const Relay& relay) {
    const auto& info = relay.info();
    Json j = {{"id", info.id},
              {"label", info.label},
              {"device", info.device},
              {"device_label", info.device_label.empty() ? info.device : info.device_label},
              {"state", to_string(relay.state())},
              {"pending", relay.pending()}};
    j["safe_state"] = info.safe_state ? Json(to_string(hwb::relay_state(*info.safe_state))) : Json(nullptr);
    // Policies appear only where the map uses them.
    if (info.max_on_ms > 0) j["max_on_ms"] = info.max_on_ms;
    if (info.min_on_ms > 0) j["min_on_ms"] = info.min_on_ms;
    if (info.min_off_ms > 0) j["min_off_ms"] = info.min_off_ms;
    if (!info.interlock.empty()) j["interlock"] = info.interlock;
    if (!info.origin.empty()) j["origin"] = info.origin;
    add_words(j, info.words);
    add_ui(j, info.ui);
    j["lease"] = relay.lease() ? Json{{"client", relay.lease()->owner}, {"expires", relay.lease()->expires_ms}}
                               : Json(nullptr);
    j["auto_off"] = relay.auto_off_ms() ? Json(*relay.auto_off_ms()) : Json(nullptr);
    add_status(j, relay.status());
    // seq 0: the hardware has not reported a state yet, so there is no time of change.
    j["time"] = relay.seq() == 0 ? Json(nullptr) : Json(relay.changed_ms());
    j["seq"] = relay.seq();
    // The logbook: the last changes, oldest first, so a page opened later knows who did what.
    Json log = Json::array();
    for (const auto& entry : relay.logbook()) {
        Json e = {{"time", entry.time_ms}, {"state", to_string(entry.state)}};
        e.update(cause_json(entry.cause));
        log.push_back(std::move(e));
    }
    j["log"] = std::move(log);
    return j;
}

Json text_json(const TextChannel& channel) {
    const auto& info = channel.info();
    Json j = {{"id", info.id},
              {"label", info.label},
              {"device", info.device},
              {"device_label", info.device_label.empty() ? info.device : info.device_label}};
    add_status(j, channel.status());
    j["max_line_bytes"] = info.max_line_bytes;
    if (!channel.accepts_lines()) j["input"] = false;
    if (!info.origin.empty()) j["origin"] = info.origin;
    add_ui(j, info.ui);
    return j;
}

// ---- hello ----

std::string sensor_hello(const HelloContext& ctx, const std::vector<std::unique_ptr<Sensor>>& sensors) {
    return hello("sensor", ctx, sensors, &sensor_json);
}

std::string relay_hello(const HelloContext& ctx, const std::vector<std::unique_ptr<Relay>>& relays,
                        const std::vector<AutomationStatus>& automations) {
    if (automations.empty()) return hello("relay", ctx, relays, &relay_json);
    Json j = Json::parse(hello("relay", ctx, relays, &relay_json));
    Json list = Json::array();
    for (const auto& a : automations) list.push_back(automation_json(a));
    j["automations"] = std::move(list);
    return j.dump();
}

Json automation_json(const AutomationStatus& a) {
    Json j = {{"id", a.id}, {"label", a.label}, {"type", a.type}, {"state", a.state}, {"detail", a.detail}};
    if (!a.relay.empty()) j["relay"] = a.relay;
    if (a.setpoint) {
        j["setpoint"] = *a.setpoint;
        j["min_setpoint"] = *a.min_setpoint;
        j["max_setpoint"] = *a.max_setpoint;
    }
    j["last_fired"] = a.last_fired_ms ? Json(*a.last_fired_ms) : Json(nullptr);
    j["next_fire"] = a.next_fire_ms ? Json(*a.next_fire_ms) : Json(nullptr);
    return j;
}

std::string automation_message(const AutomationStatus& a) {
    Json j = automation_json(a);
    j["type"] = "automation";
    j["automation"] = a.id;
    j["kind"] = a.type;
    j.erase("id");
    return j.dump();
}

std::string automation_ack(const Json& id, const std::string& automation) {
    return Json{{"type", "ack"}, {"id", id}, {"automation", automation}}.dump();
}

std::string text_hello(const HelloContext& ctx, const std::vector<std::unique_ptr<TextChannel>>& texts) {
    return hello("text", ctx, texts, &text_json);
}

// ---- unsolicited ----

std::string reading(const Sensor& sensor) {
    ObjectWriter w(64 + sensor.id().size());
    w.str("type", "reading").str("channel", sensor.id());
    const auto& last = sensor.last();
    if (!last) {
        // Callers only encode sensors that have a reading; stay valid JSON if one does not.
        return std::move(w.null("value").null("time").integer("seq", std::uint64_t{0})).finish();
    }
    if (sensor.info().type == SensorType::boolean) {
        w.boolean("value", last->value != 0);
    } else {
        w.number("value", last->value);  // null when not finite
    }
    return std::move(w.integer("time", last->time_ms).integer("seq", last->seq)).finish();
}

std::string relay_state(const Relay& relay, const Cause& cause) {
    ObjectWriter w(96 + relay.id().size() + cause.client.size() + cause.subject.size());
    w.str("type", "state")
        .str("channel", relay.id())
        .str("state", to_string(relay.state()))
        .integer("time", relay.changed_ms())
        .integer("seq", relay.seq())
        .str("cause", to_string(cause.kind));
    if (!cause.client.empty()) w.str("client", cause.client);
    if (!cause.subject.empty()) w.str("subject", cause.subject);
    if (const auto& lease = relay.lease()) {
        ObjectWriter l(64);
        l.str("client", lease->owner).integer("expires", lease->expires_ms);
        w.raw("lease", std::move(l).finish());
    } else {
        w.null("lease");
    }
    if (relay.auto_off_ms()) {
        w.integer("auto_off", *relay.auto_off_ms());
    } else {
        w.null("auto_off");
    }
    return std::move(w).finish();
}

std::string uplink(const UplinkStatus& status) {
    ObjectWriter w(128 + status.target.size() + status.detail.size());
    w.str("type", "uplink").str("name", status.name).str("state", status.state.empty() ? "removed" : status.state);
    if (!status.state.empty()) {
        w.str("target", status.target);
        if (!status.detail.empty()) w.str("detail", status.detail);
        w.integer("dropped", static_cast<std::int64_t>(status.dropped)).integer("since", status.since_ms);
    }
    return w.finish();
}

std::string status(const std::string& channel, const ChannelStatus& status) {
    ObjectWriter w(64 + channel.size() + status.reason.size());
    w.str("type", "status").str("channel", channel).boolean("online", status.online);
    if (!status.online) w.str("reason", status.reason);
    return std::move(w).finish();
}

std::string text_line(const std::string& channel, const TextLine& line) {
    ObjectWriter w(96 + channel.size() + line.text.size() + line.by.size());
    w.str("type", "line").str("channel", channel);
    write_line_fields(w, line);
    return std::move(w).finish();
}

// ---- answers ----

std::string subscribe_ack(const Json& id, const std::optional<std::vector<std::string>>& channels,
                          std::optional<double> max_rate_hz) {
    ObjectWriter w;
    w.str("type", "ack").json("id", id);
    if (channels) {
        std::string list = "[";
        for (const auto& c : *channels) {
            if (list.size() > 1) list += ',';
            append_json_string(list, c);
        }
        list += ']';
        w.raw("channels", list);
    } else {
        w.null("channels");
    }
    if (max_rate_hz) {
        w.number("max_rate_hz", *max_rate_hz);
    } else {
        w.null("max_rate_hz");
    }
    return std::move(w).finish();
}

std::string history_ack(const Json& id, const Sensor& sensor) {
    const bool boolean = sensor.info().type == SensorType::boolean;
    std::string list = "[";
    list.reserve(2 + sensor.history().size() * 24);
    for (const auto& r : sensor.history()) {
        if (list.size() > 1) list += ',';
        list += '[';
        list += std::to_string(r.time_ms);
        list += ',';
        if (boolean) {
            list += r.value != 0 ? "true" : "false";
        } else {
            append_json_number(list, r.value);
        }
        list += ']';
    }
    list += ']';
    return ObjectWriter(list.size() + 64).str("type", "ack").json("id", id).str("channel", sensor.id()).raw("readings", list).finish();
}

std::string lease_ack(const Json& id, const std::string& channel, const Lease& lease) {
    return ObjectWriter()
        .str("type", "ack")
        .json("id", id)
        .str("channel", channel)
        .integer("lease_expires", lease.expires_ms)
        .finish();
}

std::string relay_ack(const Json& id, const std::string& channel, RelayState state) {
    return ObjectWriter().str("type", "ack").json("id", id).str("channel", channel).str("state", to_string(state)).finish();
}

std::string text_open_ack(const Json& id, const TextChannel& channel) {
    std::string history = "[";
    for (const auto& line : channel.history()) {
        if (history.size() > 1) history += ',';
        ObjectWriter w(64 + line.text.size() + line.by.size());
        write_line_fields(w, line);
        history += std::move(w).finish();
    }
    history += ']';
    return ObjectWriter(64 + channel.id().size() + history.size())
        .str("type", "ack")
        .json("id", id)
        .str("channel", channel.id())
        .raw("history", history)
        .finish();
}

std::string text_ack(const Json& id, const std::string& channel) {
    return ObjectWriter().str("type", "ack").json("id", id).str("channel", channel).finish();
}

std::string error(const Json& id, const std::string& channel, const Error& error) {
    ObjectWriter w(96 + channel.size() + error.message.size());
    w.str("type", "error").json("id", id);
    if (!channel.empty()) w.str("channel", channel);
    return std::move(w.str("code", error.code).str("message", error.message)).finish();
}

// ---- HTTP ----

std::string channels_document(const std::string& bridge, const Channels& channels) {
    auto list = [](const auto& items, auto to_json) {
        Json a = Json::array();
        for (const auto& c : items) a.push_back(to_json(*c));
        return dump(a);
    };
    return ObjectWriter(1024)
        .str("bridge", bridge)
        .integer("version", std::int64_t{version})
        .raw("sensors", list(channels.sensors(), &sensor_json))
        .raw("relays", list(channels.relays(), &relay_json))
        .raw("texts", list(channels.texts(), &text_json))
        .finish();
}

}  // namespace hwb::protocol
