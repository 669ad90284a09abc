// What relays and text channels of a serial device may do with its port: queue bytes.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace hwb::serial {

class PortWriter {
public:
    using Done = std::function<void(std::optional<Error> error)>;
    virtual ~PortWriter() = default;
    // Queues `bytes`; `done` runs once they were all handed to the port (or with an Error:
    // offline, disconnected, output full). Never blocks; `done` may run before this returns.
    virtual void send(std::string_view bytes, Done done) = 0;
};

}  // namespace hwb::serial
