// One gpio input behind a sensor: a boolean level (mode state) or an edge rate (mode count).
// Edges arrive through the request's event fd on the loop; nothing polls.
#pragma once

#include <memory>
#include <optional>

#include "core/event_loop.h"
#include "core/sensor.h"
#include "gpio/gpio_config.h"

namespace hwb::gpio {

class GpioInput {
public:
    // `kernel_debounce`: the backend debounces (libgpiod v2); otherwise this class does.
    GpioInput(Sensor& sensor, InputConfig config, EventLoop& loop, bool kernel_debounce);
    ~GpioInput();

    bool open() const { return request_ != nullptr; }
    // Requests the line; on failure the sensor goes offline with the reason (+ `retry_note`).
    Status start(Chip& chip, const std::string& consumer);
    void go_offline(const std::string& reason);

private:
    void on_fd(FdEvent event);
    void on_events(const std::vector<LineEvent>& events);
    void settle();        // software debounce: the level has been stable for `debounce`
    void end_window();    // mode count: publish the rate of the window that ended
    void publish_level(bool level, std::optional<std::uint64_t> timestamp_ns);

    Sensor& sensor_;
    InputConfig config_;
    EventLoop& loop_;
    bool kernel_debounce_;
    std::string what_;
    std::unique_ptr<LineRequest> request_;
    std::unique_ptr<FdWatch> watch_;
    Timer debounce_;
    Timer window_;
    std::optional<bool> published_;
    std::uint64_t edges_ = 0;
    std::optional<std::uint64_t> last_counted_ns_;
    Clock::time_point window_start_{};
};

}  // namespace hwb::gpio
