#include "modbus/modbus_driver.h"

#include <cstdio>
#include <ostream>

#include "modbus/bus.h"
#include "modbus/modbus_config.h"
#include "modbus/modbus_device.h"

namespace hwb {

void register_modbus_driver(DriverRegistry& registry) {
    registry.add(DriverInfo{
        .name = "modbus",
        .description = "Modbus RTU (serial, RS-485) and Modbus TCP units: sensors from registers and bits, relays on coils or registers (libmodbus)",
        .device_options = modbus::device_option_specs(),
        .sensor_options = modbus::sensor_option_specs(),
        .relay_options = modbus::relay_option_specs(),
        .text_options = {},
        .check = modbus::check_settings,
        .create = modbus::create_modbus_device,
    });
}

int run_modbus_read(const ModbusReadOptions& o, std::ostream& out, std::ostream& err) {
    using namespace modbus;
    BusSettings bus;
    if (o.port.empty() == o.tcp.empty()) {
        err << "hwbridge modbus read: give --port PATH (RTU) or --tcp HOST:PORT\n";
        return 1;
    }
    if (!o.tcp.empty()) {
        auto colon = o.tcp.rfind(':');
        bus.host = colon == std::string::npos ? o.tcp : o.tcp.substr(0, colon);
        if (colon != std::string::npos) {
            try {
                bus.tcp_port = std::stoi(o.tcp.substr(colon + 1));
            } catch (const std::exception&) {
                err << "hwbridge modbus read: --tcp " << o.tcp << ": the port is not a number\n";
                return 1;
            }
        }
    } else {
        bus.path = o.port;
    }
    bus.baud = o.baud;
    bus.parity = o.parity == "even" ? 'E' : o.parity == "odd" ? 'O' : 'N';
    bus.data_bits = o.data_bits;
    bus.stop_bits = o.stop_bits;
    bus.timeout = Millis(o.timeout_ms);
    Table table = o.table == "coil" ? Table::coil : o.table == "discrete" ? Table::discrete : o.table == "input" ? Table::input : Table::holding;
    auto type = parse_data_type(o.type);
    auto order = parse_word_order(o.word_order);
    if (!type || !order) {
        err << "hwbridge modbus read: unknown --type or --word-order\n";
        return 1;
    }
    int per_value = is_bit(table) ? 1 : register_count(*type);
    int total = o.count * per_value;
    if (o.address + total > 65536 || total > max_read(table)) {
        err << "hwbridge modbus read: at most " << max_read(table) << (is_bit(table) ? " bits" : " registers")
            << " per read, within addresses 0..65535\n";
        return 1;
    }
    BusRequest r{.kind = BusRequest::Kind::read, .unit = o.unit, .table = table, .address = static_cast<std::uint16_t>(o.address),
                 .count = static_cast<std::uint16_t>(total)};
    BusResult result = Bus::read_once(bus, r);
    if (result.failure != Failure::none) {
        err << "unit " << o.unit << " " << to_string(table) << " " << o.address << " (function 0" << read_function(table) << ")";
        if (result.failure != Failure::link) err << " on " << bus.name();
        err << ": " << result.message;
        if (result.failure == Failure::exception) err << " (exception " << result.exception << ")";
        err << "\n";
        return 1;
    }
    for (int i = 0; i < o.count; ++i) {
        int address = o.address + i * per_value;
        char head[64];
        std::snprintf(head, sizeof head, "%5d (0x%04X): ", address, static_cast<unsigned>(address));
        out << head;
        if (is_bit(table)) {
            out << (result.values[static_cast<std::size_t>(i)] != 0 ? 1 : 0) << "\n";
            continue;
        }
        std::span<const std::uint16_t> regs(result.values.data() + i * per_value, static_cast<std::size_t>(per_value));
        char value[64];
        std::snprintf(value, sizeof value, "%.10g", decode(regs, *type, *order));
        out << value << "  [";
        for (std::size_t k = 0; k < regs.size(); ++k) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "%s%04X", k == 0 ? "" : " ", regs[k]);
            out << hex;
        }
        out << "]\n";
    }
    return 0;
}

}  // namespace hwb
