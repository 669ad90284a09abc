// A gpio device: one chip, its inputs (sensors) and outputs (relays). A missing chip or a busy line
// does not stop hwbridge: the channels concerned go offline and are retried every `retry`.
#pragma once

#include <memory>

#include "core/driver.h"
#include "gpio/gpio_backend.h"

namespace hwb::gpio {

std::unique_ptr<Device> create_gpio_device(const DeviceConfig& config, DeviceContext& context,
                                           std::shared_ptr<Backend> backend);

}  // namespace hwb::gpio
