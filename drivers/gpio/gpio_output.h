// One gpio output behind a relay. The initial state is part of the line request (no glitch at
// start-up); every write is read back, and a line that does not follow is reported as an error.
#pragma once

#include <memory>

#include "core/relay.h"
#include "gpio/gpio_config.h"

namespace hwb::gpio {

class GpioOutput final : public RelayOutput {
public:
    GpioOutput(Relay& relay, OutputConfig config);
    ~GpioOutput() override;

    bool open() const { return request_ != nullptr; }
    Status start(Chip& chip, const std::string& consumer);
    void go_offline(const std::string& reason);

    void write(bool on, Done done) override;

private:
    Relay& relay_;
    OutputConfig config_;
    std::string what_;
    std::unique_ptr<LineRequest> request_;
    bool started_ = false;  // requested once already: a later request follows a failure
};

}  // namespace hwb::gpio
