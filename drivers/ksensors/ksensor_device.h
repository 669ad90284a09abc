// A running iio, hwmon or w1 device: reads all its channels on its own worker thread every
// `interval`, and publishes on the loop. A missing device or file takes the channel offline at
// once; other read errors (a CRC error, EIO from a chip that did not answer) only after three in a
// row, so one noisy read does not blink the page. Everything comes back without a restart.
#pragma once

#include <memory>

#include "core/driver.h"
#include "ksensors/ksensor_config.h"
#include "ksensors/sysfs_files.h"

namespace hwb::ksensors {

// Failed reads in a row (other than a missing device) before a channel goes offline.
constexpr int failures_before_offline = 3;

std::unique_ptr<Device> create_device(Kind kind, const DeviceConfig& config, DeviceContext& context,
                                      std::shared_ptr<SysfsFiles> files);

}  // namespace hwb::ksensors
