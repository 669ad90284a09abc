#include "serial/serial_sensor.h"

#include <cstdio>

namespace hwb::serial {

namespace {

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace

SerialSensor::SerialSensor(Sensor& sensor, ValueExtractor extractor, const SensorSettings& settings, EventLoop& loop)
    : sensor_(sensor), extractor_(std::move(extractor)), filter_(settings.filter), min_(settings.min), max_(settings.max),
      out_of_range_(settings.out_of_range), loop_(loop), held_(loop, [this] { release_held(); }) {}

std::string SerialSensor::range_text() const {
    return "[" + (min_ ? number_text(*min_) : std::string("-inf")) + ", " + (max_ ? number_text(*max_) : std::string("inf")) + "]";
}

SensorOutcome SerialSensor::on_frame(std::string_view frame, Clock::time_point now, double& value) {
    auto outcome = extractor_.extract(frame, value);
    if (outcome == ExtractOutcome::no_match) return SensorOutcome::no_match;
    if (outcome == ExtractOutcome::bad_value) return SensorOutcome::bad_value;
    bool below = min_ && value < *min_;
    bool above = max_ && value > *max_;
    if (!below && !above) {
        take(value, now);
        return SensorOutcome::used;
    }
    switch (out_of_range_) {
        case OutOfRange::drop: return SensorOutcome::out_of_range;
        case OutOfRange::clamp: take(below ? *min_ : *max_, now); return SensorOutcome::clamped;
        case OutOfRange::publish: take(value, now); return SensorOutcome::flagged;
    }
    return SensorOutcome::out_of_range;
}

void SerialSensor::take(double value, Clock::time_point now) {
    if (auto out = filter_.push(value, now)) {
        held_.cancel();
        sensor_.publish(*out);
        return;
    }
    if (auto due = filter_.held_until(); due && !held_.active())
        held_.start(std::chrono::duration_cast<std::chrono::microseconds>(*due - now));
}

void SerialSensor::release_held() {
    auto now = loop_.now();
    if (auto out = filter_.release(now)) {
        sensor_.publish(*out);
    } else if (auto due = filter_.held_until()) {
        held_.start(std::max(std::chrono::microseconds(1000), std::chrono::duration_cast<std::chrono::microseconds>(*due - now)));
    }
}

void SerialSensor::reset() {
    held_.cancel();
    filter_.reset();
}

}  // namespace hwb::serial
