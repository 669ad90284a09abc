#include "modbus/modbus_device.h"

#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "modbus/modbus_relay.h"

namespace hwb::modbus {

namespace {

constexpr Millis failure_log_interval{10000};

std::string seconds_text(Millis d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

std::string span_text(const PlannedRead& r) {
    std::string out = std::string(to_string(r.table)) + (r.count > 1 ? "s " : " ") + std::to_string(r.address);
    if (r.count > 1) out += ".." + std::to_string(r.address + r.count - 1);
    char fc[8];
    std::snprintf(fc, sizeof fc, "%02d", read_function(r.table));
    return out + " (function " + fc + ")";
}

}  // namespace

ModbusDevice::ModbusDevice(const DeviceConfig& config, ModbusSettings settings, DeviceContext& context)
    : id_(config.id), settings_(std::move(settings)), loop_(context.loop), channels_(context.channels) {
    std::vector<PlanItem> items;
    for (std::size_t i = 0; i < settings_.sensors.size(); ++i) {
        const auto& s = settings_.sensors[i];
        sensors_.push_back(channels_.sensor(s.id));
        sensor_errors_.emplace_back();
        items.push_back(PlanItem{s.unit, s.table, s.address, static_cast<std::uint16_t>(s.count()), s.interval, i});
        units_[s.unit].id = s.unit;
    }
    for (auto& read : plan_reads(items, settings_.bus.max_gap)) {
        std::size_t g = groups_.size();
        units_[read.unit].groups.push_back(g);
        groups_.push_back(Group{std::move(read), std::make_unique<Timer>(loop_, [this, g] { poll(g); }), false, {}});
    }
    for (const auto& r : settings_.relays) {
        relays_.push_back(std::make_unique<ModbusRelay>(*channels_.relay(r.id), r, *this, loop_));
        auto& unit = units_[r.unit];
        unit.id = r.unit;
        unit.relays.push_back(relays_.back().get());
    }
    for (auto& [id, unit] : units_) {
        Unit* u = &unit;
        unit.backoff = settings_.bus.retry_min;
        unit.probe = std::make_unique<Timer>(loop_, [this, u] { send_probe(*u); });
    }
    bus_ = std::make_unique<Bus>(id_, settings_.bus, loop_, [this](BusResult r) { on_result(std::move(r)); });
}

ModbusDevice::~ModbusDevice() {
    bus_.reset();  // no more results
    relays_.clear();
}

std::string ModbusDevice::cost() const {
    std::vector<PlannedRead> reads;
    for (const auto& g : groups_) reads.push_back(g.read);
    double rate = requests_per_second(reads);
    std::size_t polled = 0;  // relays read back every `interval`
    for (const auto& r : settings_.relays)
        if (r.interval.count() > 0) {
            ++polled;
            rate += 1000.0 / static_cast<double>(r.interval.count());
        }
    if (reads.empty() && polled == 0) return {};
    std::string out;
    if (!reads.empty())
        out = fmt::format("{} sensor{} in {} read{}", settings_.sensors.size(), settings_.sensors.size() == 1 ? "" : "s",
                          reads.size(), reads.size() == 1 ? "" : "s");
    if (polled > 0) out += fmt::format("{}{} relay{} read back periodically", out.empty() ? "" : ", ", polled, polled == 1 ? "" : "s");
    return out + fmt::format(": {:.3g} requests/s while every unit answers", rate);
}

void ModbusDevice::start() {
    if (auto c = cost(); !c.empty()) spdlog::info("device {}: {}", id_, c);
    for (auto& r : relays_) r->start();
    for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].timer->start(Millis(0));
}

std::string ModbusDevice::describe() const {
    std::string out = "modbus " + std::string(settings_.bus.tcp() ? "" : "RTU ") + settings_.bus.name() + ", unit";
    out += units_.size() == 1 ? " " : "s ";
    bool first = true;
    for (const auto& [id, unit] : units_) {
        out += (first ? "" : ", ") + std::to_string(id);
        first = false;
    }
    auto c = cost();
    return c.empty() ? out : out + "; " + c;
}

DeviceCounters ModbusDevice::device_counters() const {
    const Counters& c = counters_;
    DeviceCounters out;
    out.errors = {{"timeout", c.timeouts},           {"crc_error", c.crc_errors},
                  {"bad_answer", c.bad_frames},      {"exception", c.exceptions},
                  {"link_failure", c.link_failures}};
    out.totals = {
        {"hwbridge_modbus_requests_total", "Modbus requests done on the bus (answered or failed), per device.", c.requests},
        {"hwbridge_modbus_skipped_polls_total", "Modbus polls skipped because the previous read was still in flight, per device.",
         c.skipped_polls},
    };
    return out;
}

bool ModbusDevice::unit_online(int unit) const {
    auto it = units_.find(unit);
    return it == units_.end() || !it->second.offline;
}

std::string ModbusDevice::unit_reason(int unit) const {
    auto it = units_.find(unit);
    return it == units_.end() ? std::string() : it->second.reason;
}

void ModbusDevice::submit(BusRequest request, Done done, bool force) {
    if (!force && !unit_online(request.unit)) {
        BusResult refused;
        refused.failure = Failure::link;
        refused.message = unit_reason(request.unit);
        done(refused);
        return;
    }
    request.tag = next_tag_++;
    waiting_[request.tag] = Waiting{request.unit, std::move(done)};
    bus_->submit(request);
}

void ModbusDevice::on_result(BusResult result) {
    auto it = waiting_.find(result.tag);
    if (it == waiting_.end()) return;
    Waiting waiting = std::move(it->second);
    waiting_.erase(it);
    auto unit = units_.find(waiting.unit);
    if (unit != units_.end()) note(unit->second, result);
    waiting.done(result);
}

void ModbusDevice::note(Unit& unit, const BusResult& result) {
    ++counters_.requests;
    bool probe = unit.probing;
    unit.probing = false;
    switch (result.failure) {
        case Failure::none:
        case Failure::exception:
            if (result.failure == Failure::exception) ++counters_.exceptions;
            unit.failures = 0;
            if (unit.offline) come_online(unit);
            return;
        case Failure::timeout: ++counters_.timeouts; break;
        case Failure::crc: ++counters_.crc_errors; break;
        case Failure::bad_frame: ++counters_.bad_frames; break;
        case Failure::link: ++counters_.link_failures; break;
    }
    ++unit.failures;
    if (unit.offline) {
        if (probe) {
            unit.backoff = std::min(unit.backoff * 2, settings_.bus.retry_max);
            go_offline(unit, result);
        }
        return;
    }
    // Told once per streak, and at most every 10 s per bus: a noisy line must not flood the log.
    auto now = loop_.now();
    bool tell = unit.failures == 1 && (!last_failure_log_ || now - *last_failure_log_ >= failure_log_interval);
    if (tell) last_failure_log_ = now;
    std::string line = fmt::format("device {}: unit {}: {} ({}); so far on this bus: {} timeouts, {} CRC errors, {} bad answers",
                                   id_, unit.id, to_string(result.failure), result.message, counters_.timeouts,
                                   counters_.crc_errors, counters_.bad_frames);
    if (tell) {
        spdlog::warn("{}", line);
    } else {
        spdlog::debug("{}", line);
    }
    if (unit.failures >= settings_.bus.offline_after) go_offline(unit, result);
}

void ModbusDevice::go_offline(Unit& unit, const BusResult& result) {
    bool was = unit.offline;
    unit.offline = true;
    std::string why = result.failure == Failure::link ? result.message
                      : "unit " + std::to_string(unit.id) + " on " + settings_.bus.name() + ": " + to_string(result.failure) +
                            " (" + result.message + "), " + std::to_string(unit.failures) + " failed requests in a row";
    unit.reason = why + "; retrying in " + seconds_text(unit.backoff);
    if (!was) {
        spdlog::warn("device {}: unit {} offline: {}", id_, unit.id, unit.reason);
    } else {
        spdlog::debug("device {}: unit {} still offline: {}", id_, unit.id, unit.reason);
    }
    set_unit_status(unit, ChannelStatus{false, unit.reason});
    unit.probe->start(unit.backoff);
}

void ModbusDevice::come_online(Unit& unit) {
    unit.offline = false;
    unit.failures = 0;
    unit.backoff = settings_.bus.retry_min;
    unit.reason.clear();
    unit.probe->cancel();
    spdlog::info("device {}: unit {} answers again", id_, unit.id);
    // Relays read their state back (no write: the bus was down, the relays need not have changed).
    for (auto* r : unit.relays) r->on_unit_online();
    set_unit_status(unit, ChannelStatus{true, ""});
}

void ModbusDevice::send_probe(Unit& unit) {
    if (!unit.offline) return;
    unit.probing = true;
    for (std::size_t g : unit.groups) {
        if (groups_[g].in_flight) continue;
        groups_[g].in_flight = true;
        const auto& r = groups_[g].read;
        submit(BusRequest{.kind = BusRequest::Kind::read, .unit = r.unit, .table = r.table, .address = r.address, .count = r.count},
               [this, g](const BusResult& result) { on_group_result(g, result); }, true);
        return;
    }
    if (!unit.relays.empty()) {
        unit.relays.front()->read_state(true);
        return;
    }
    unit.probing = false;
    unit.probe->start(unit.backoff);  // everything of the unit is in flight: its answer decides
}

void ModbusDevice::poll(std::size_t g) {
    auto& group = groups_[g];
    group.timer->start(group.read.interval);
    if (!unit_online(group.read.unit)) return;  // the unit's probe asks for it
    if (group.in_flight) {
        ++counters_.skipped_polls;
        return;
    }
    group.in_flight = true;
    const auto& r = group.read;
    submit(BusRequest{.kind = BusRequest::Kind::read, .unit = r.unit, .table = r.table, .address = r.address, .count = r.count},
           [this, g](const BusResult& result) { on_group_result(g, result); });
}

void ModbusDevice::on_group_result(std::size_t g, const BusResult& result) {
    auto& group = groups_[g];
    group.in_flight = false;
    const auto& read = group.read;
    if (result.failure == Failure::exception) {
        // The unit answered "no": a located, readable error on each sensor of the read.
        for (std::size_t i : read.items) {
            const auto& s = settings_.sensors[i];
            std::string reason = "unit " + std::to_string(read.unit) + " " + span_text(read) + ": " + result.message +
                                 " (exception " + std::to_string(result.exception) + ")" + "; sensor '" + s.id + "' at " +
                                 s.where.str();
            if (read.items.size() > 1)
                reason += " (read together with " + std::to_string(read.items.size() - 1) +
                          " other sensors; max_gap: 0 reads only adjacent registers together)";
            if (sensor_errors_[i] != reason) spdlog::warn("device {}: {}", id_, reason);
            sensor_errors_[i] = reason;
            group.error = reason;
            sensors_[i]->set_status(ChannelStatus{false, reason});
        }
        return;
    }
    if (result.failure != Failure::none) return;  // counted by note(); the unit goes offline if it persists
    if (!group.error.empty()) {
        group.error.clear();
        for (std::size_t i : read.items) sensor_errors_[i].clear();
        set_group_status(g, ChannelStatus{true, ""});
    }
    for (std::size_t i : read.items) {
        const auto& s = settings_.sensors[i];
        std::size_t at = s.address - read.address;
        auto n = static_cast<std::size_t>(s.count());
        if (at + n > result.values.size()) continue;
        double raw = is_bit(s.table) ? (result.values[at] != 0 ? 1.0 : 0.0)
                                     : decode(std::span<const std::uint16_t>(result.values).subspan(at, n), s.type, s.order);
        double value = raw * s.scale + s.offset;
        if (!std::isfinite(value)) {
            spdlog::debug("device {}: sensor {}: not a finite number, not published", id_, s.id);
            continue;
        }
        sensors_[i]->publish(value);
    }
}

void ModbusDevice::set_group_status(std::size_t g, const ChannelStatus& status) {
    for (std::size_t i : groups_[g].read.items) sensors_[i]->set_status(status);
}

void ModbusDevice::set_unit_status(Unit& unit, const ChannelStatus& status) {
    for (std::size_t g : unit.groups) {
        for (std::size_t i : groups_[g].read.items)
            sensors_[i]->set_status(status.online && !sensor_errors_[i].empty() ? ChannelStatus{false, sensor_errors_[i]} : status);
    }
    for (auto* r : unit.relays) r->relay().set_status(status);
}

std::unique_ptr<Device> create_modbus_device(const DeviceConfig& config, DeviceContext& context) {
    auto parsed = parse_settings(config);
    if (!parsed.problems.empty()) throw std::logic_error("modbus device " + config.id + ": " + parsed.problems.front().message);
    return std::make_unique<ModbusDevice>(config, std::move(parsed.settings), context);
}

}  // namespace hwb::modbus
