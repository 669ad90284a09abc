// The modbus driver's keys in the device map (docs/device-map.md, "modbus"; docs/modbus.md), their
// specs, and the typed settings built from them. Building the settings is also the cross-key
// check run by --check, so the two can never disagree.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "modbus/codec.h"
#include "modbus/plan.h"
#include "serial/port_finder.h"

namespace hwb::modbus {

std::vector<OptionSpec> device_option_specs();
std::vector<OptionSpec> sensor_option_specs();
std::vector<OptionSpec> relay_option_specs();

struct BusSettings {
    // RTU: a path or a USB match (looked up at each connect); TCP: host and port.
    std::optional<std::string> path;
    std::optional<serial::UsbMatch> usb;
    std::optional<std::string> host;
    int tcp_port = 502;
    int baud = 9600;
    char parity = 'N';
    int data_bits = 8;
    int stop_bits = 1;
    bool rs485 = false;
    Millis timeout{500};    // for one answer
    Millis frame_gap{0};    // silence between two requests on the bus; 0: 3.5 character times (RTU)
    int offline_after = 3;  // failures in a row before a unit counts as offline
    Millis retry_min{1000};
    Millis retry_max{30000};
    std::uint16_t max_gap = 8;
    bool tcp() const { return host.has_value(); }
    std::string name() const;  // "/dev/ttyUSB0 at 9600 8N1", "tcp 10.0.0.5:502"
    Millis effective_gap() const;
};

struct SensorSettings {
    std::string id;
    SourceLocation where;
    int unit = 1;
    Table table = Table::holding;
    std::uint16_t address = 0;
    DataType type = DataType::uint16;
    WordOrder order = WordOrder::abcd;
    double scale = 1;
    double offset = 0;
    Millis interval{1000};
    int count() const { return is_bit(table) ? 1 : register_count(type); }
};

struct RelaySettings {
    std::string id;
    SourceLocation where;
    int unit = 1;
    Table table = Table::coil;  // coil (05 / 01) or holding (06 / 03)
    std::uint16_t address = 0;
    std::uint16_t on_value = 1;  // holding registers only
    std::uint16_t off_value = 0;
    Millis confirm_timeout{1000};
    Millis interval{0};  // read back this often (0: only after writes and when the unit returns)
    // The board's own timed pulse for this relay (coils only): function 05 to this address with
    // the time in board_pulse_unit counts as the value (Waveshare kind: 0x0200 + relay, 100 ms).
    std::optional<std::uint16_t> board_pulse;
    Millis board_pulse_unit{100};
    static constexpr std::int64_t board_pulse_max_counts = 65535;
};

struct ModbusSettings {
    BusSettings bus;
    std::vector<SensorSettings> sensors;
    std::vector<RelaySettings> relays;
};

struct ParsedSettings {
    ModbusSettings settings;
    std::vector<OptionProblem> problems;  // empty: valid
};

ParsedSettings parse_settings(const DeviceConfig& config);
std::vector<OptionProblem> check_settings(const DeviceConfig& config);

}  // namespace hwb::modbus
