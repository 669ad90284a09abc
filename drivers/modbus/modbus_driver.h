// `driver: modbus`: Modbus RTU and TCP devices through libmodbus (docs/modbus.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "core/driver.h"

namespace hwb {

void register_modbus_driver(DriverRegistry& registry);

// `hwbridge modbus read`: one read from the command line, to find a new device's addresses.
struct ModbusReadOptions {
    std::string port;   // RTU
    std::string tcp;    // HOST:PORT
    int baud = 9600;
    std::string parity = "none";
    int data_bits = 8;
    int stop_bits = 1;
    int unit = 1;
    std::string table = "holding";
    int address = 0;
    int count = 1;
    std::string type = "uint16";
    std::string word_order = "ABCD";
    int timeout_ms = 1000;
};
// Prints the values (or the error) and returns the exit code: 0 read, 1 failed.
int run_modbus_read(const ModbusReadOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hwb
