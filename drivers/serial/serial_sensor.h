// A sensor fed by a serial device's frames.
#pragma once

#include "core/sensor.h"
#include "serial/extract.h"
#include "serial/filters.h"

namespace hwb::serial {

class SerialSensor {
public:
    SerialSensor(Sensor& sensor, ValueExtractor extractor, FilterSpec filter)
        : sensor_(sensor), extractor_(std::move(extractor)), filter_(filter) {}

    // no_match: the frame is not for this sensor; bad_value: it is, but unreadable.
    ExtractOutcome on_frame(std::string_view frame, Clock::time_point now) {
        double value = 0;
        auto outcome = extractor_.extract(frame, value);
        if (outcome == ExtractOutcome::value) {
            if (auto out = filter_.push(value, now)) sensor_.publish(*out);
        }
        return outcome;
    }
    void reset() { filter_.reset(); }
    Sensor& sensor() { return sensor_; }

private:
    Sensor& sensor_;
    ValueExtractor extractor_;
    ValueFilter filter_;
};

}  // namespace hwb::serial
