// The `sim` driver: simulated sensors (waveforms with noise), relays (with a switching delay and
// optional failures) and text channels (an echo console, a periodic status display).
// It needs no hardware, so `hwbridge config/demo.yaml` runs anywhere, and tests use it.
#pragma once

#include "core/driver.h"

namespace hwb {

// Registers the driver under the name "sim".
void register_sim_driver(DriverRegistry& registry);

}  // namespace hwb
