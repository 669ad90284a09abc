// Finding ports with libserialport: the list for `hwbridge --list-ports`, and the path of the
// port that matches a device map's usb_vendor / usb_product / usb_serial.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace hwb::serial {

struct PortEntry {
    std::string path;           // /dev/ttyUSB0
    std::string description;    // libserialport's, e.g. "Arduino Uno"
    std::string transport;      // usb, native, bluetooth
    std::optional<int> vendor;  // USB ids, for USB ports
    std::optional<int> product;
    std::string serial;         // USB serial number ("" if none)
    std::string manufacturer;
};

struct UsbMatch {
    int vendor = 0;
    std::optional<int> product;
    std::optional<std::string> serial;
};

// "USB 2341:0043 serial 95530"
std::string describe(const UsbMatch& match);
std::string hex4(int id);

std::vector<PortEntry> list_ports();
// Pure selection, unit-testable: the path of the one port matching, or "missing" / "io" (ambiguous).
Result<std::string> select_port(const std::vector<PortEntry>& ports, const UsbMatch& match);
// list_ports() + select_port().
Result<std::string> find_port(const UsbMatch& match);

// The output of `hwbridge --list-ports`.
std::string format_port_list(const std::vector<PortEntry>& ports);

}  // namespace hwb::serial
