// A sensor channel: the last value its driver reported, with time and sequence number.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/channel_info.h"
#include "core/channel_status.h"

namespace hwb {

class ChannelObserver;

struct Reading {
    double value = 0;           // booleans are 0 or 1
    std::int64_t time_ms = 0;   // wall clock, ms since the Unix epoch
    std::uint64_t seq = 0;      // 1, 2, 3 ... per channel; gaps tell a client it missed readings
};

class Sensor {
public:
    Sensor(SensorInfo info, ChannelObserver& observer) : info_(std::move(info)), observer_(observer) {}
    Sensor(const Sensor&) = delete;
    Sensor& operator=(const Sensor&) = delete;

    const SensorInfo& info() const { return info_; }
    const std::string& id() const { return info_.id; }
    const std::optional<Reading>& last() const { return last_; }
    // Recent readings for trend charts of new clients: at most one per `history_spacing_ms`, over
    // the last `history_window_ms`, oldest first.
    const std::deque<Reading>& history() const { return history_; }
    const ChannelStatus& status() const { return status_; }

    // Driver side: a new value measured now (or at `time_ms`). Booleans are normalised to 0/1.
    void publish(double value);
    void publish(double value, std::int64_t time_ms);
    void set_status(ChannelStatus status);
    // A map reload changed what the driver does not use (label, unit, precision, history): the
    // channel keeps its readings. The id and device stay.
    void update_info(SensorInfo info) { info_ = std::move(info); }

private:
    SensorInfo info_;
    ChannelObserver& observer_;
    std::optional<Reading> last_;
    std::deque<Reading> history_;
    std::uint64_t seq_ = 0;
    ChannelStatus status_;
};

}  // namespace hwb
