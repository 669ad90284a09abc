#include "serial/port_finder.h"

#include <libserialport.h>

#include <cstdio>
#include <sstream>

namespace hwb::serial {

std::string hex4(int id) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", id & 0xffff);
    return buf;
}

std::string describe(const UsbMatch& m) {
    std::string out = "USB " + hex4(m.vendor);
    if (m.product) out += ":" + hex4(*m.product);
    if (m.serial) out += " serial " + *m.serial;
    return out;
}

std::vector<PortEntry> list_ports() {
    std::vector<PortEntry> out;
    sp_port** ports = nullptr;
    if (sp_list_ports(&ports) != SP_OK) return out;
    auto text = [](const char* s) { return s == nullptr ? std::string() : std::string(s); };
    for (sp_port** p = ports; *p != nullptr; ++p) {
        PortEntry e;
        e.path = text(sp_get_port_name(*p));
        e.description = text(sp_get_port_description(*p));
        switch (sp_get_port_transport(*p)) {
            case SP_TRANSPORT_USB: {
                e.transport = "usb";
                int vid = 0;
                int pid = 0;
                if (sp_get_port_usb_vid_pid(*p, &vid, &pid) == SP_OK) {
                    e.vendor = vid;
                    e.product = pid;
                }
                e.serial = text(sp_get_port_usb_serial(*p));
                e.manufacturer = text(sp_get_port_usb_manufacturer(*p));
                break;
            }
            case SP_TRANSPORT_BLUETOOTH: e.transport = "bluetooth"; break;
            default: e.transport = "native"; break;
        }
        out.push_back(std::move(e));
    }
    sp_free_port_list(ports);
    return out;
}

Result<std::string> select_port(const std::vector<PortEntry>& ports, const UsbMatch& match) {
    std::vector<const PortEntry*> found;
    for (const auto& p : ports) {
        if (!p.vendor || *p.vendor != match.vendor) continue;
        if (match.product && (!p.product || *p.product != *match.product)) continue;
        if (match.serial && p.serial != *match.serial) continue;
        found.push_back(&p);
    }
    if (found.empty()) return Error{"missing", "port " + describe(match) + " missing"};
    if (found.size() > 1) {
        std::string paths;
        for (const auto* p : found) paths += (paths.empty() ? "" : ", ") + p->path;
        return Error{"io", "port " + describe(match) + " is ambiguous (" + paths + "); add usb_serial to the map"};
    }
    return found.front()->path;
}

Result<std::string> find_port(const UsbMatch& match) { return select_port(list_ports(), match); }

std::string format_port_list(const std::vector<PortEntry>& ports) {
    if (ports.empty()) return "no serial ports found\n";
    std::ostringstream out;
    for (const auto& p : ports) {
        out << p.path;
        if (p.vendor) {
            out << "  usb_vendor: \"" << hex4(*p.vendor) << "\"  usb_product: \"" << hex4(p.product.value_or(0)) << '"';
            if (!p.serial.empty()) out << "  usb_serial: \"" << p.serial << '"';
        } else {
            out << "  (" << p.transport << ")";
        }
        if (!p.description.empty()) out << "  " << p.description;
        out << '\n';
    }
    return out.str();
}

}  // namespace hwb::serial
