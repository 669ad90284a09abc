// A sensor fed by a serial device's frames: extract, check against the sensor's range, filter,
// publish (a value the throttle held back is published at the end of its interval).
#pragma once

#include <string>

#include "core/event_loop.h"
#include "core/sensor.h"
#include "serial/extract.h"
#include "serial/filters.h"
#include "serial/serial_config.h"

namespace hwb::serial {

enum class SensorOutcome : std::uint8_t {
    used,          // a value was taken (published now, later, or held back by delta)
    no_match,      // the frame is not for this sensor
    bad_value,     // it is, but the value is not a number / boolean
    out_of_range,  // it is, the value is outside the range: dropped (out_of_range: drop)
    clamped,       // ... clamped to the range and used
    flagged,       // ... published as it is (out_of_range: publish)
};

class SerialSensor {
public:
    SerialSensor(Sensor& sensor, ValueExtractor extractor, const SensorSettings& settings, EventLoop& loop);

    // `value` is set to the extracted value (after scale/offset) for the range outcomes.
    SensorOutcome on_frame(std::string_view frame, Clock::time_point now, double& value);
    // The port was reopened: old values say nothing about the new ones (a held value is dropped).
    void reset();
    Sensor& sensor() { return sensor_; }
    // "[0, 100]", for messages.
    std::string range_text() const;

private:
    void take(double value, Clock::time_point now);
    void release_held();

    Sensor& sensor_;
    ValueExtractor extractor_;
    ValueFilter filter_;
    std::optional<double> min_;
    std::optional<double> max_;
    OutOfRange out_of_range_;
    EventLoop& loop_;
    Timer held_;
};

}  // namespace hwb::serial
