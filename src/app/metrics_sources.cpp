#include "app/metrics_sources.h"

#include <algorithm>

namespace hwb::app {

namespace {

void outcomes(MetricsWriter& out, const char* name, const char* help, const Door::Outcomes& counts) {
    out.family(name, "counter", help);
    for (const auto& [result, n] : counts) out.sample(name, {{"result", result}}, static_cast<double>(n));
}

}  // namespace

void add_metrics_sources(metrics::MetricsFront& metrics, const Server& server, Door& door, const mqtt::MqttFront& mqtt,
                         const history::HistoryFront& history, const Bridge& bridge) {
    // One family per counter name, one sample per device that has it (families in first-seen order).
    metrics.add_source([&bridge](MetricsWriter& out) {
        struct Family {
            const char* help;
            std::vector<std::pair<std::string, std::uint64_t>> samples;
        };
        std::vector<std::pair<std::string, Family>> families;
        for (const auto& [device, counters] : bridge.device_counters())
            for (const auto& c : counters) {
                auto it = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.first == c.name; });
                if (it == families.end()) it = families.insert(families.end(), {c.name, Family{c.help, {}}});
                it->second.samples.emplace_back(device, c.value);
            }
        for (const auto& [name, family] : families) {
            out.family(name, "counter", family.help);
            for (const auto& [device, value] : family.samples) out.sample(name, {{"device", device}}, static_cast<double>(value));
        }
    });
    metrics.add_source([&server](MetricsWriter& out) {
        out.family("hwbridge_clients", "gauge", "Connected WebSocket clients per subprotocol.");
        for (ChannelKind kind : {ChannelKind::sensor, ChannelKind::relay, ChannelKind::text})
            out.sample("hwbridge_clients", {{"subprotocol", to_string(kind)}}, static_cast<double>(server.client_count(kind)));
    });
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
