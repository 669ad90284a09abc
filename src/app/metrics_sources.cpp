#include "app/metrics_sources.h"

#include <algorithm>
#include <map>

namespace hwb::app {

namespace {

void outcomes(MetricsWriter& out, const char* name, const char* help, const Door::Outcomes& counts) {
    out.family(name, "counter", help);
    for (const auto& [result, n] : counts) out.sample(name, {{"result", result}}, static_cast<double>(n));
}

constexpr ChannelKind subprotocols[] = {ChannelKind::sensor, ChannelKind::relay, ChannelKind::text};

// What the WebSocket clients were sent: per subprotocol, and per sensor what its readings became.
void write_server_traffic(MetricsWriter& out, const Server& server, const Channels& channels) {
    out.family("hwbridge_messages_sent_total", "counter", "WebSocket messages written to clients, per subprotocol.");
    for (ChannelKind kind : subprotocols)
        out.sample("hwbridge_messages_sent_total", {{"subprotocol", to_string(kind)}},
                   static_cast<double>(server.sent(kind).messages));
    out.family("hwbridge_sent_bytes_total", "counter",
               "Bytes written to WebSocket clients (framing included), per subprotocol.");
    for (ChannelKind kind : subprotocols)
        out.sample("hwbridge_sent_bytes_total", {{"subprotocol", to_string(kind)}}, static_cast<double>(server.sent(kind).bytes));
    struct Family {
        const char* name;
        const char* help;
        std::uint64_t ReadingTraffic::*count;
    };
    constexpr Family families[] = {
        {"hwbridge_sensor_readings_published_total", "Readings put on their way to sensor clients, summed over clients.",
         &ReadingTraffic::published},
        {"hwbridge_sensor_readings_coalesced_total",
         "Readings replaced by a newer one before a slow or rate-capped client took them, summed over clients.",
         &ReadingTraffic::coalesced},
        {"hwbridge_sensor_readings_dropped_total",
         "Readings still waiting for a client when it unsubscribed or went away, summed over clients.",
         &ReadingTraffic::dropped},
    };
    std::vector<ReadingTraffic> traffic;
    traffic.reserve(channels.sensors().size());
    for (const auto& s : channels.sensors()) traffic.push_back(server.reading_traffic(*s));
    for (const auto& family : families) {
        out.family(family.name, "counter", family.help);
        for (std::size_t i = 0; i < traffic.size(); ++i)
            out.sample(family.name, {{"channel", channels.sensors()[i]->id()}}, static_cast<double>(traffic[i].*family.count));
    }
}

// Per device: online (all its channels reachable), and what its driver counts (DeviceCounters:
// reconnects, unusable input or I/O by kind, and totals of its own such as Modbus requests).
void write_devices(MetricsWriter& out, const Bridge& bridge, const Channels& channels) {
    std::map<std::string_view, bool> online;
    for (const auto& device : bridge.map().devices) online.emplace(device.id, true);
    auto note = [&](const std::string& device, const ChannelStatus& status) {
        auto it = online.find(device);
        if (it != online.end() && !status.online) it->second = false;
    };
    for (const auto& s : channels.sensors()) note(s->info().device, s->status());
    for (const auto& r : channels.relays()) note(r->info().device, r->status());
    for (const auto& t : channels.texts()) note(t->info().device, t->status());
    out.family("hwbridge_device_online", "gauge", "1 while every channel of the device is reachable, else 0.");
    for (const auto& device : bridge.map().devices)
        out.sample("hwbridge_device_online", {{"device", device.id}, {"driver", device.driver}}, online[device.id] ? 1 : 0);
    std::vector<DeviceCounters> counters;
    counters.reserve(bridge.map().devices.size());
    for (const auto& device : bridge.map().devices) counters.push_back(bridge.device_counters(device.id));
    const auto& devices = bridge.map().devices;
    out.family("hwbridge_device_reconnects_total", "counter",
               "Times a device came back after it had been online and was lost (drivers that count them).");
    for (std::size_t i = 0; i < devices.size(); ++i)
        if (counters[i].reconnects)
            out.sample("hwbridge_device_reconnects_total", {{"device", devices[i].id}, {"driver", devices[i].driver}},
                       static_cast<double>(*counters[i].reconnects));
    out.family("hwbridge_device_errors_total", "counter",
               "Input or I/O a device could not use, by kind (drivers that count them).");
    for (std::size_t i = 0; i < devices.size(); ++i)
        for (const auto& [kind, n] : counters[i].errors)
            out.sample("hwbridge_device_errors_total", {{"device", devices[i].id}, {"driver", devices[i].driver}, {"kind", kind}},
                       static_cast<double>(n));
    // The drivers' own totals: one family per name (in first-seen order), one sample per device.
    std::vector<std::string_view> names;
    for (const auto& c : counters)
        for (const auto& total : c.totals)
            if (std::find(names.begin(), names.end(), total.name) == names.end()) names.push_back(total.name);
    for (std::string_view name : names) {
        bool described = false;
        for (std::size_t i = 0; i < devices.size(); ++i)
            for (const auto& total : counters[i].totals) {
                if (name != total.name) continue;
                if (!described) out.family(total.name, "counter", total.help);
                described = true;
                out.sample(total.name, {{"device", devices[i].id}, {"driver", devices[i].driver}}, static_cast<double>(total.value));
            }
    }
}

}  // namespace

void add_metrics_sources(metrics::MetricsFront& metrics, Bridge& bridge, const Server& server, Door& door,
                         const mqtt::MqttFront& mqtt, const history::HistoryFront& history) {
    metrics.add_source([&server, &bridge](MetricsWriter& out) {
        out.family("hwbridge_clients", "gauge", "Connected WebSocket clients per subprotocol.");
        for (ChannelKind kind : subprotocols)
            out.sample("hwbridge_clients", {{"subprotocol", to_string(kind)}}, static_cast<double>(server.client_count(kind)));
        write_server_traffic(out, server, bridge.channels());
        out.family("hwbridge_http_refusals_total", "counter",
                   "Connections, WebSocket upgrades and HTTP requests the server refused, by code.");
        for (const auto& [code, n] : server.refusals())
            out.sample("hwbridge_http_refusals_total", {{"code", code}}, static_cast<double>(n));
    });
    metrics.add_source([&bridge](MetricsWriter& out) { write_devices(out, bridge, bridge.channels()); });
    metrics.add_source([&door](MetricsWriter& out) {
        outcomes(out, "hwbridge_relay_requests_total", "Relay requests of all fronts by answer: ok or the error code.",
                 door.relay_outcomes());
        outcomes(out, "hwbridge_text_requests_total", "Text send requests of all fronts by answer: ok or the error code.",
                 door.text_outcomes());
    });
    metrics.add_source([&mqtt](MetricsWriter& out) {
        const auto& c = mqtt.counters();
        out.family("hwbridge_mqtt_connected", "gauge", "1 while the MQTT broker is connected, else 0.")
            .sample("hwbridge_mqtt_connected", mqtt.broker_connected() ? 1 : 0);
        out.family("hwbridge_mqtt_published_total", "counter", "Messages published to the MQTT broker.")
            .sample("hwbridge_mqtt_published_total", static_cast<double>(c.published));
        out.family("hwbridge_mqtt_readings_dropped_total", "counter", "Readings not published while the broker was away.")
            .sample("hwbridge_mqtt_readings_dropped_total", static_cast<double>(c.dropped_disconnected));
        out.family("hwbridge_mqtt_readings_coalesced_total", "counter",
                   "Readings replaced by a newer one while the broker was slow.")
            .sample("hwbridge_mqtt_readings_coalesced_total", static_cast<double>(c.coalesced));
        out.family("hwbridge_mqtt_commands_total", "counter", "Relay and text commands received from the broker.")
            .sample("hwbridge_mqtt_commands_total", static_cast<double>(c.commands));
    });
    metrics.add_source([&history](MetricsWriter& out) {
        const auto& c = history.counters();
        out.family("hwbridge_history_up", "gauge", "1 while the history database is in use, else 0 (off or failed).")
            .sample("hwbridge_history_up", history.active() ? 1 : 0);
        out.family("hwbridge_history_readings_recorded_total", "counter", "Readings put into a history batch.")
            .sample("hwbridge_history_readings_recorded_total", static_cast<double>(c.recorded));
        out.family("hwbridge_history_readings_dropped_total", "counter",
                   "Readings lost to history: the writer was behind, or a batch failed.")
            .sample("hwbridge_history_readings_dropped_total", static_cast<double>(c.dropped));
        out.family("hwbridge_history_batches_total", "counter", "History batches written.")
            .sample("hwbridge_history_batches_total", static_cast<double>(c.batches));
        out.family("hwbridge_history_write_errors_total", "counter", "History batches that could not be written.")
            .sample("hwbridge_history_write_errors_total", static_cast<double>(c.write_errors));
        out.family("hwbridge_history_database_bytes", "gauge", "Bytes the history data takes in its database file.")
            .sample("hwbridge_history_database_bytes", static_cast<double>(c.used_bytes));
        out.family("hwbridge_history_last_batch_seconds", "gauge",
                   "Time the writer thread took for the last batch and its upkeep, in seconds.")
            .sample("hwbridge_history_last_batch_seconds", static_cast<double>(c.last_batch_us) / 1e6);
    });
}

}  // namespace hwb::app
