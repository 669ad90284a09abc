#include "modbus/modbus_config.h"

#include <cctype>

namespace hwb::modbus {

namespace {

OptionSpec str(std::string key, std::string help) {
    return {.key = std::move(key), .type = OptionType::string, .help = std::move(help)};
}

OptionSpec integer(std::string key, std::string help, double min, double max, std::optional<std::int64_t> fallback) {
    OptionSpec s{.key = std::move(key), .type = OptionType::integer, .help = std::move(help), .min = min, .max = max};
    if (fallback) s.fallback = *fallback;
    return s;
}

OptionSpec choice(std::string key, std::string help, std::vector<std::string> choices, std::optional<std::string> fallback) {
    OptionSpec s{.key = std::move(key), .type = OptionType::choice, .help = std::move(help), .choices = std::move(choices)};
    if (fallback) s.fallback = *fallback;
    return s;
}

OptionSpec duration(std::string key, std::string help, double min, double max, Millis fallback) {
    return {.key = std::move(key), .type = OptionType::duration, .help = std::move(help), .fallback = fallback,
            .min = min, .max = max};
}

OptionSpec number(std::string key, std::string help, double fallback) {
    return {.key = std::move(key), .type = OptionType::number, .help = std::move(help), .fallback = fallback};
}

struct Problems {
    std::vector<OptionProblem>& out;
    ChannelKind kind;
    std::string channel;
    void add(const std::string& key, std::string message) { out.push_back(OptionProblem{kind, channel, key, std::move(message)}); }
};

bool standard_baud(int baud) {
    for (int b : {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600})
        if (b == baud) return true;
    return false;
}

std::optional<int> usb_id(const Options& o, const std::string& key, Problems& p) {
    if (!o.has(key)) return std::nullopt;
    const std::string& v = o.string(key);
    bool ok = v.size() == 4;
    for (char c : v) ok = ok && std::isxdigit(static_cast<unsigned char>(c));
    if (!ok) {
        p.add(key, "'" + key + "' must be 4 hex digits as shown by hwbridge --list-ports, e.g. \"1a86\", got '" + v + "'");
        return std::nullopt;
    }
    return std::stoi(v, nullptr, 16);
}

Table table_of(const std::string& t) {
    if (t == "coil") return Table::coil;
    if (t == "discrete") return Table::discrete;
    if (t == "input") return Table::input;
    return Table::holding;
}

BusSettings parse_bus(const Options& o, Problems& p) {
    BusSettings s;
    if (o.has("port")) s.path = o.string("port");
    if (o.has("host")) s.host = o.string("host");
    bool any_usb = o.has("usb_vendor") || o.has("usb_product") || o.has("usb_serial");
    int ways = (s.path ? 1 : 0) + (s.host ? 1 : 0) + (any_usb ? 1 : 0);
    if (ways == 0) p.add("", "a modbus device needs 'port' or 'usb_vendor' (RTU over a serial line) or 'host' (Modbus TCP)");
    if (ways > 1)
        p.add(s.host ? "host" : "port", "give only one of 'port', 'usb_vendor'/'usb_product'/'usb_serial' and 'host'");
    if (any_usb) {
        serial::UsbMatch m;
        if (!o.has("usb_vendor")) p.add(o.has("usb_product") ? "usb_product" : "usb_serial", "a USB match needs 'usb_vendor'");
        if (auto v = usb_id(o, "usb_vendor", p)) m.vendor = *v;
        m.product = usb_id(o, "usb_product", p);
        if (o.has("usb_serial")) m.serial = o.string("usb_serial");
        s.usb = m;
    }
    if (s.path && s.path->empty()) p.add("port", "'port' must not be empty");
    if (s.host && s.host->empty()) p.add("host", "'host' must not be empty");
    s.tcp_port = static_cast<int>(o.integer("tcp_port"));
    s.baud = static_cast<int>(o.integer("baud"));
    if (!standard_baud(s.baud)) p.add("baud", "'baud' " + std::to_string(s.baud) + " is not a standard rate (e.g. 9600, 19200, 115200)");
    const auto& parity = o.string("parity");
    s.parity = parity == "even" ? 'E' : parity == "odd" ? 'O' : 'N';
    s.data_bits = static_cast<int>(o.integer("data_bits"));
    s.stop_bits = static_cast<int>(o.integer("stop_bits"));
    s.rs485 = o.boolean("rs485");
    if (s.host) {
        for (const char* key : {"baud", "parity", "data_bits", "stop_bits", "rs485", "frame_gap"})
            if (o.location(key) != nullptr) p.add(key, std::string("'") + key + "' applies to RTU (a serial line), not to 'host' (Modbus TCP)");
    } else if (o.location("tcp_port") != nullptr) {
        p.add("tcp_port", "'tcp_port' applies to Modbus TCP ('host'), not to a serial line");
    }
    s.timeout = o.duration("timeout");
    s.frame_gap = o.duration("frame_gap");
    s.offline_after = static_cast<int>(o.integer("offline_after"));
    s.retry_min = o.duration("retry_min");
    s.retry_max = o.duration("retry_max");
    if (s.retry_max < s.retry_min) p.add("retry_max", "'retry_max' must not be shorter than 'retry_min'");
    s.max_gap = static_cast<std::uint16_t>(o.integer("max_gap"));
    return s;
}

int unit_of(const Options& channel, const Options& device) {
    return static_cast<int>(channel.has("unit_id") ? channel.integer("unit_id") : device.integer("unit_id"));
}

SensorSettings parse_sensor(const SensorConfig& c, const Options& device, Problems& p) {
    const Options& o = c.options;
    SensorSettings s;
    s.id = c.info.id;
    s.where = c.where;
    s.unit = unit_of(o, device);
    s.table = table_of(o.string("table"));
    s.address = static_cast<std::uint16_t>(o.integer("address"));
    if (is_bit(s.table)) {
        for (const char* key : {"data_type", "word_order"})
            if (o.location(key) != nullptr)
                p.add(key, std::string("'") + key + "' applies to registers; a " + to_string(s.table) + " is one bit (0 or 1)");
    } else {
        s.type = *parse_data_type(o.string("data_type"));
        s.order = *parse_word_order(o.string("word_order"));
        if (s.address + register_count(s.type) > 65536)
            p.add("address", "a " + std::string(to_string(s.type)) + " at " + std::to_string(s.address) + " runs past the last register (65535)");
    }
    s.scale = o.number("scale");
    s.offset = o.number("offset");
    s.interval = o.duration("interval");
    return s;
}

RelaySettings parse_relay(const RelayConfig& c, const Options& device, Problems& p) {
    const Options& o = c.options;
    RelaySettings s;
    s.id = c.info.id;
    s.where = c.where;
    s.unit = unit_of(o, device);
    s.table = table_of(o.string("table"));
    s.address = static_cast<std::uint16_t>(o.integer("address"));
    if (s.table == Table::coil) {
        for (const char* key : {"on_value", "off_value"})
            if (o.location(key) != nullptr) p.add(key, std::string("'") + key + "' applies to 'table: holding'; a coil is written FF00 (on) / 0000 (off)");
    } else {
        s.on_value = static_cast<std::uint16_t>(o.integer("on_value"));
        s.off_value = static_cast<std::uint16_t>(o.integer("off_value"));
        if (s.on_value == s.off_value) p.add("on_value", "'on_value' and 'off_value' must differ, else the read-back cannot tell on from off");
    }
    s.confirm_timeout = o.duration("confirm_timeout");
    s.interval = o.duration("interval");
    s.board_pulse_unit = o.duration("board_pulse_unit");
    if (o.has("board_pulse")) {
        s.board_pulse = static_cast<std::uint16_t>(o.integer("board_pulse"));
        if (s.table != Table::coil) {
            p.add("board_pulse", "'board_pulse' applies to 'table: coil' (a relay board's timed pulse is a function 05 write)");
        } else if (*s.board_pulse == s.address) {
            p.add("board_pulse", "'board_pulse' must be the address of the board's timed pulse for this relay (Waveshare kind: 0x0200 + relay), "
                                 "not the relay's own coil " + std::to_string(s.address));
        }
        auto longest = s.board_pulse_unit.count() * RelaySettings::board_pulse_max_counts;
        if (c.info.max_on_ms > longest)
            p.add("board_pulse", "the board times at most " + std::to_string(RelaySettings::board_pulse_max_counts) + " x " +
                                     std::to_string(s.board_pulse_unit.count()) + " ms = " + std::to_string(longest / 1000) +
                                     " s, shorter than this relay's max_on (" + std::to_string(c.info.max_on_ms / 1000) + " s)");
    } else if (o.location("board_pulse_unit") != nullptr) {
        p.add("board_pulse_unit", "'board_pulse_unit' applies only with 'board_pulse'");
    }
    return s;
}

}  // namespace

std::string BusSettings::name() const {
    if (host) return "tcp " + *host + ":" + std::to_string(tcp_port);
    std::string port = path ? *path : usb ? serial::describe(*usb) : std::string("(no port)");
    return port + " at " + std::to_string(baud) + " " + std::to_string(data_bits) + parity + std::to_string(stop_bits);
}

Millis BusSettings::effective_gap() const {
    if (tcp()) return Millis(0);
    if (frame_gap.count() > 0) return frame_gap;
    // 3.5 character times (11 bits each), at least 2 ms: the silence that ends an RTU frame.
    int bits = 1 + data_bits + (parity == 'N' ? 0 : 1) + stop_bits;
    auto us = 3500000LL * bits / std::max(baud, 1);
    return Millis(std::max<long long>(2, (us + 999) / 1000));
}

std::vector<OptionSpec> device_option_specs() {
    return {
        str("port", "RTU: path of the serial port (RS-485 adapter), e.g. /dev/ttyUSB0 or a /dev/serial/by-id/ link"),
        str("usb_vendor", "RTU: USB vendor id of the adapter, 4 hex digits (instead of port; looked up at each connect)"),
        str("usb_product", "RTU: USB product id, 4 hex digits"),
        str("usb_serial", "RTU: USB serial number"),
        str("host", "Modbus TCP: host name or address of the device or gateway"),
        integer("tcp_port", "Modbus TCP: port", 1, 65535, 502),
        integer("baud", "RTU: line speed", 1200, 921600, 9600),
        choice("parity", "RTU: parity bit", {"none", "even", "odd"}, "none"),
        integer("data_bits", "RTU: data bits", 7, 8, 8),
        integer("stop_bits", "RTU: stop bits", 1, 2, 1),
        OptionSpec{.key = "rs485", .type = OptionType::boolean,
                   .help = "RTU: switch the port to the kernel's RS-485 mode (adapters whose driver toggles DE/RE)", .fallback = false},
        integer("unit_id", "unit (slave) id of the channels that do not name their own; RTU 0..247, TCP 0..255", 0, 255, 1),
        duration("timeout", "how long to wait for an answer", 10, 60000, Millis(500)),
        duration("frame_gap", "RTU: silence between two requests; 0s: 3.5 character times", 0, 1000, Millis(0)),
        integer("offline_after", "failed requests in a row after which a unit counts as offline", 1, 100, 3),
        duration("retry_min", "first retry delay for an offline unit", 100, 3600000, Millis(1000)),
        duration("retry_max", "longest retry delay (doubling from retry_min)", 100, 3600000, Millis(30000)),
        integer("max_gap", "registers (or bits) of a gap read along to merge two reads; 0: only adjacent ones", 0, 124, 8),
    };
}

std::vector<OptionSpec> sensor_option_specs() {
    OptionSpec table = choice("table", "what is read: input (function 04), holding (03), coil (01), discrete (02)",
                              {"input", "holding", "coil", "discrete"}, std::nullopt);
    table.required = true;
    OptionSpec address = integer("address", "protocol address of the (first) register or bit, 0..65535", 0, 65535, std::nullopt);
    address.required = true;
    return {
        integer("unit_id", "unit (slave) id; default: the device's unit_id", 0, 255, std::nullopt),
        table,
        address,
        choice("data_type", "registers: int16, uint16, int32, uint32, float32, int64, uint64, float64",
               {"int16", "uint16", "int32", "uint32", "float32", "int64", "uint64", "float64"}, "uint16"),
        choice("word_order", "registers: order of the bytes A (most significant) .. D", {"ABCD", "CDAB", "BADC", "DCBA"}, "ABCD"),
        number("scale", "the value is multiplied by this", 1.0),
        number("offset", "then this is added", 0.0),
        duration("interval", "poll interval", 50, 86400000, Millis(1000)),
    };
}

std::vector<OptionSpec> relay_option_specs() {
    OptionSpec address = integer("address", "protocol address of the coil or register, 0..65535", 0, 65535, std::nullopt);
    address.required = true;
    return {
        integer("unit_id", "unit (slave) id; default: the device's unit_id", 0, 255, std::nullopt),
        choice("table", "coil (write 05, read back 01) or holding (write 06, read back 03)", {"coil", "holding"}, "coil"),
        address,
        integer("on_value", "holding: value written for on", 0, 65535, 1),
        integer("off_value", "holding: value written for off", 0, 65535, 0),
        duration("confirm_timeout", "how long the read-back may take to show the written state", 10, 60000, Millis(1000)),
        duration("interval", "read the state back this often (changes made at the device); 0s: never", 0, 86400000, Millis(0)),
        integer("board_pulse", "coil: address of the board's own timed pulse for this relay (function 05, the time as value; "
                               "Waveshare kind: 0x0200 + relay), used for pulse and max_on", 0, 65535, std::nullopt),
        duration("board_pulse_unit", "what one count of the board's timed pulse lasts", 1, 60000, Millis(100)),
    };
}

// RTU addresses stop at 247 (248..255 are reserved on a serial line); TCP devices often use 255.
void check_unit(int unit, bool own_key, const BusSettings& bus, Problems& p) {
    if (!bus.tcp() && unit > 247)
        p.add(own_key ? "unit_id" : "", "'unit_id' " + std::to_string(unit) + " is not an RTU unit (0..247); 248..255 exist only on Modbus TCP");
}

ParsedSettings parse_settings(const DeviceConfig& config) {
    ParsedSettings out;
    Problems device{out.problems, ChannelKind::sensor, ""};
    out.settings.bus = parse_bus(config.options, device);
    if (!out.settings.bus.tcp() && config.options.integer("unit_id") > 247)
        device.add("unit_id", "'unit_id' " + std::to_string(config.options.integer("unit_id")) + " is not an RTU unit (0..247); 248..255 exist only on Modbus TCP");
    for (const auto& s : config.sensors) {
        Problems p{out.problems, ChannelKind::sensor, s.info.id};
        out.settings.sensors.push_back(parse_sensor(s, config.options, p));
        check_unit(out.settings.sensors.back().unit, s.options.has("unit_id"), out.settings.bus, p);
    }
    for (const auto& r : config.relays) {
        Problems p{out.problems, ChannelKind::relay, r.info.id};
        out.settings.relays.push_back(parse_relay(r, config.options, p));
        check_unit(out.settings.relays.back().unit, r.options.has("unit_id"), out.settings.bus, p);
    }
    // Two relays on one coil would each believe they own it.
    for (std::size_t i = 0; i < out.settings.relays.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) {
            const auto& a = out.settings.relays[i];
            const auto& b = out.settings.relays[j];
            if (a.unit == b.unit && a.table == b.table && a.address == b.address)
                out.problems.push_back(OptionProblem{ChannelKind::relay, a.id, "address",
                                                     "relay '" + b.id + "' already uses unit " + std::to_string(a.unit) + " " +
                                                         to_string(a.table) + " " + std::to_string(a.address)});
        }
    if (!config.texts.empty())
        out.problems.push_back(OptionProblem{ChannelKind::text, config.texts.front().info.id, "", "a modbus device has no text channels"});
    return out;
}

std::vector<OptionProblem> check_settings(const DeviceConfig& config) { return parse_settings(config).problems; }

}  // namespace hwb::modbus
