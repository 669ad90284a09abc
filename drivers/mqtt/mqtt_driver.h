// `driver: mqtt`: channels of devices that speak MQTT (another hwbridge's uplink, Tasmota,
// ESPHome, zigbee2mqtt...), one topic per channel (docs/device-map.md, "mqtt driver").
#pragma once

#include "core/driver.h"

namespace hwb {

void register_mqtt_driver(DriverRegistry& registry);

}  // namespace hwb
