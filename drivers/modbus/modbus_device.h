// One `driver: modbus` device: one bus (an RTU line or a TCP connection) with the units (slave
// ids) its channels name. Runs on the loop thread; all Modbus I/O happens in the Bus's thread.
//
// Polling: the sensors are merged into reads (plan.h), each with its own timer; a read still in
// flight when its timer fires again is skipped (counted), so a slow bus never piles up requests.
//
// Units: each unit counts its failures (timeouts, CRC errors, bad answers, link failures) in a
// row. After `offline_after` of them the unit is offline: its channels say so with the reason,
// its polls stop, and one probe read is sent after retry_min, doubling to retry_max, until it
// answers. So a dead unit costs one timeout per retry, and the other units of the bus keep
// their rate. An exception answer is not a failure of the unit (it answered): the channels of
// that read get the located error as their status.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "modbus/bus.h"
#include "modbus/modbus_config.h"
#include "modbus/plan.h"

namespace hwb::modbus {

class ModbusRelay;

struct Counters {
    std::uint64_t requests = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t crc_errors = 0;
    std::uint64_t bad_frames = 0;
    std::uint64_t exceptions = 0;
    std::uint64_t link_failures = 0;
    std::uint64_t skipped_polls = 0;  // a poll came due while the previous one was in flight
};

class ModbusDevice final : public Device {
public:
    ModbusDevice(const DeviceConfig& config, ModbusSettings settings, DeviceContext& context);
    ~ModbusDevice() override;

    void start() override;
    std::string describe() const override;
    DeviceCounters device_counters() const override;

    // For relays: a request whose result goes to `done` on the loop thread. Refused (nullopt
    // result with Failure::link) without touching the bus when the unit is offline.
    using Done = std::function<void(const BusResult&)>;
    // `force`: also when the unit is offline (its probe).
    void submit(BusRequest request, Done done, bool force = false);
    bool unit_online(int unit) const;
    std::string unit_reason(int unit) const;

private:
    struct Group {
        PlannedRead read;
        std::unique_ptr<Timer> timer;
        bool in_flight = false;
        std::string error;  // the located exception, while the read keeps failing with one
    };
    struct Unit {
        int id = 1;
        int failures = 0;  // in a row
        bool offline = false;
        Millis backoff{0};
        std::string reason;
        std::unique_ptr<Timer> probe;
        bool probing = false;
        std::vector<std::size_t> groups;
        std::vector<ModbusRelay*> relays;
    };

    void poll(std::size_t group);
    void on_group_result(std::size_t group, const BusResult& result);
    void on_result(BusResult result);
    // Every answer and failure of a unit passes here: it counts and switches the unit on/offline.
    void note(Unit& unit, const BusResult& result);
    void go_offline(Unit& unit, const BusResult& result);
    void come_online(Unit& unit);
    void send_probe(Unit& unit);
    void set_group_status(std::size_t group, const ChannelStatus& status);
    void set_unit_status(Unit& unit, const ChannelStatus& status);
    // What polling costs: "8 sensors in 4 reads: 0.9 requests/s while every unit answers"; empty
    // when nothing is polled.
    std::string cost() const;

    std::string id_;
    ModbusSettings settings_;
    EventLoop& loop_;
    Channels& channels_;
    std::vector<Sensor*> sensors_;  // by settings_.sensors index
    std::vector<std::string> sensor_errors_;  // the located exception a sensor's read keeps getting
    std::vector<std::unique_ptr<ModbusRelay>> relays_;
    std::vector<Group> groups_;
    std::map<int, Unit> units_;
    Counters counters_;
    struct Waiting {
        int unit = 1;
        Done done;
    };
    std::map<std::uint64_t, Waiting> waiting_;
    std::optional<Clock::time_point> last_failure_log_;
    std::uint64_t next_tag_ = 1;
    std::unique_ptr<Bus> bus_;  // last member: its thread stops first
};

std::unique_ptr<Device> create_modbus_device(const DeviceConfig& config, DeviceContext& context);

}  // namespace hwb::modbus
