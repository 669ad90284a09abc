#include "core/sensor.h"

#include "core/channels.h"

namespace hwb {

void Sensor::publish(double value) { publish(value, wall_clock_ms()); }

void Sensor::publish(double value, std::int64_t time_ms) {
    if (info_.type == SensorType::boolean) value = value != 0 ? 1 : 0;
    last_ = Reading{value, time_ms, ++seq_};
    if (info_.history_window_ms > 0 &&
        (history_.empty() || time_ms - history_.back().time_ms >= info_.history_spacing_ms)) {
        history_.push_back(*last_);
        while (history_.front().time_ms < time_ms - info_.history_window_ms) history_.pop_front();
    }
    observer_.on_reading(*this);
}

void Sensor::set_status(ChannelStatus status) {
    if (status.online == status_.online && status.reason == status_.reason) return;
    status_ = std::move(status);
    observer_.on_status(ChannelKind::sensor, info_.id, status_);
}

}  // namespace hwb
