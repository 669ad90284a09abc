// What the parts of the bridge add to GET /metrics besides the channels (docs/metrics.md): the
// server's clients, the door's answers, the MQTT uplink, the history store, the devices' own
// counters (Modbus timeouts, serial frames discarded).
#pragma once

#include "app/bridge.h"
#include "history/history_front.h"
#include "metrics/metrics_front.h"
#include "mqtt/mqtt_front.h"
#include "server/server.h"

namespace hwb::app {

// All references must outlive `metrics`' last render().
void add_metrics_sources(metrics::MetricsFront& metrics, const Server& server, Door& door, const mqtt::MqttFront& mqtt,
                         const history::HistoryFront& history, const Bridge& bridge);

}  // namespace hwb::app
