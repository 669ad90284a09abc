#include "serial/serial_config.h"

#include <cctype>

#include "serial/escapes.h"
#include "serial/pattern.h"
#include "serial/termios_port.h"

namespace hwb::serial {

namespace {

using namespace std::chrono_literals;

OptionSpec str(std::string key, std::string help, std::optional<std::string> fallback = std::nullopt) {
    OptionSpec s{.key = std::move(key), .type = OptionType::string, .help = std::move(help)};
    if (fallback) s.fallback = *fallback;
    return s;
}

OptionSpec integer(std::string key, std::string help, double min, double max, std::optional<std::int64_t> fallback) {
    OptionSpec s{.key = std::move(key), .type = OptionType::integer, .help = std::move(help), .min = min, .max = max};
    if (fallback) s.fallback = *fallback;
    return s;
}

OptionSpec choice(std::string key, std::string help, std::vector<std::string> choices, std::string fallback) {
    return {.key = std::move(key), .type = OptionType::choice, .help = std::move(help), .fallback = std::move(fallback),
            .choices = std::move(choices)};
}

OptionSpec duration(std::string key, std::string help, double min, double max, std::optional<Millis> fallback) {
    OptionSpec s{.key = std::move(key), .type = OptionType::duration, .help = std::move(help), .min = min, .max = max};
    if (fallback) s.fallback = *fallback;
    return s;
}

OptionSpec number(std::string key, std::string help, std::optional<double> fallback, double min = -1e300,
                  double max = 1e300) {
    OptionSpec s{.key = std::move(key), .type = OptionType::number, .help = std::move(help), .min = min, .max = max};
    if (fallback) s.fallback = *fallback;
    return s;
}

// Collects problems of one entry.
struct Problems {
    std::vector<OptionProblem>& out;
    ChannelKind kind;
    std::string channel;
    void add(const std::string& key, std::string message) {
        out.push_back(OptionProblem{kind, channel, key, std::move(message)});
    }
};

std::optional<int> usb_id(const Options& o, const std::string& key, Problems& p) {
    if (!o.has(key)) return std::nullopt;
    const std::string& v = o.string(key);
    bool ok = v.size() == 4;
    for (char c : v) ok = ok && std::isxdigit(static_cast<unsigned char>(c));
    if (!ok) {
        p.add(key, "'" + key + "' must be 4 hex digits as shown by hwbridge --list-ports, e.g. \"2341\", got '" + v + "'");
        return std::nullopt;
    }
    return std::stoi(v, nullptr, 16);
}

std::string unescaped(const Options& o, const std::string& key, Problems& p) {
    auto r = unescape(o.string(key));
    if (!r.ok()) {
        p.add(key, "'" + key + "': " + r.error().message);
        return {};
    }
    return r.value();
}

void check_pattern(const std::string& key, const std::string& text, Problems& p) {
    auto compiled = Pattern::compile(text);
    if (!compiled.ok()) p.add(key, "'" + key + "': " + compiled.error().message);
}

PortSettings parse_port(const Options& o, Problems& p) {
    PortSettings s;
    if (o.has("port")) s.path = o.string("port");
    bool any_usb = o.has("usb_vendor") || o.has("usb_product") || o.has("usb_serial");
    if (any_usb) {
        UsbMatch m;
        if (!o.has("usb_vendor")) p.add(o.has("usb_product") ? "usb_product" : "usb_serial", "a USB match needs 'usb_vendor'");
        if (auto v = usb_id(o, "usb_vendor", p)) m.vendor = *v;
        m.product = usb_id(o, "usb_product", p);
        if (o.has("usb_serial")) m.serial = o.string("usb_serial");
        s.usb = m;
    }
    if (s.path && any_usb) p.add("port", "give either 'port' or 'usb_vendor'/'usb_product'/'usb_serial', not both");
    if (!s.path && !any_usb) p.add("", "a serial device needs 'port' (a path) or 'usb_vendor' (a USB match)");
    if (s.path && s.path->empty()) p.add("port", "'port' must not be empty");

    s.line.baud = static_cast<int>(o.integer("baud"));
    if (!is_supported_baud(s.line.baud)) p.add("baud", "'baud' " + std::to_string(s.line.baud) + " is not a standard rate (e.g. 9600, 57600, 115200)");
    s.line.data_bits = static_cast<int>(o.integer("data_bits"));
    const auto& parity = o.string("parity");
    s.line.parity = parity == "even" ? Parity::even : parity == "odd" ? Parity::odd : Parity::none;
    s.line.stop_bits = static_cast<int>(o.integer("stop_bits"));
    const auto& flow = o.string("flow_control");
    s.line.flow = flow == "rtscts" ? FlowControl::rtscts : flow == "xonxoff" ? FlowControl::xonxoff : FlowControl::none;

    s.fixed_frames = o.string("framing") == "fixed";
    s.max_frame = static_cast<std::size_t>(o.integer("max_frame"));
    if (s.fixed_frames) {
        if (!o.has("frame_length")) {
            p.add("framing", "'framing: fixed' needs 'frame_length'");
        } else {
            s.frame_length = static_cast<std::size_t>(o.integer("frame_length"));
        }
        if (o.location("delimiter") != nullptr) p.add("delimiter", "'delimiter' applies to 'framing: line' only");
    } else {
        if (o.has("frame_length")) p.add("frame_length", "'frame_length' applies to 'framing: fixed' only");
        s.delimiter = unescaped(o, "delimiter", p);
        if (o.string("delimiter").empty()) p.add("delimiter", "'delimiter' must not be empty");
    }
    auto modem = [&](const std::string& key) {
        const auto& v = o.string(key);
        return v == "on" ? ModemLine::on : v == "off" ? ModemLine::off : ModemLine::keep;
    };
    s.line.dtr = modem("dtr");
    s.line.rts = modem("rts");
    if (s.line.flow == FlowControl::rtscts && o.location("rts") != nullptr)
        p.add("rts", "'rts' cannot be set with 'flow_control: rtscts' (the flow control drives RTS)");
    s.settle = o.duration("settle");
    s.reconnect_min = o.duration("reconnect_min");
    s.reconnect_max = o.duration("reconnect_max");
    if (s.reconnect_max < s.reconnect_min) p.add("reconnect_max", "'reconnect_max' must not be shorter than 'reconnect_min'");
    return s;
}

SensorSettings parse_sensor(const SensorConfig& c, Problems& p) {
    const Options& o = c.options;
    SensorSettings s;
    s.id = c.info.id;
    int ways = (o.has("pattern") ? 1 : 0) + (o.has("csv_column") ? 1 : 0) + (o.has("json_key") ? 1 : 0);
    if (ways != 1)
        p.add("", ways == 0 ? "a serial sensor needs one of 'pattern', 'csv_column' or 'json_key'"
                            : "give only one of 'pattern', 'csv_column' and 'json_key'");
    auto& e = s.extract;
    if (o.has("pattern")) {
        e.kind = ExtractSpec::Kind::pattern;
        e.pattern = o.string("pattern");
        if (o.has("field")) e.field = o.string("field");
        auto made = ValueExtractor::make(e);
        if (!made.ok()) p.add(made.error().code == "bad_field" && o.has("field") ? "field" : "pattern", "'pattern': " + made.error().message);
    } else if (o.has("field")) {
        p.add("field", "'field' names a group of 'pattern'; there is no 'pattern'");
    }
    if (o.has("csv_column")) {
        e.kind = ExtractSpec::Kind::csv;
        e.column = static_cast<std::size_t>(o.integer("csv_column"));
    }
    if (o.location("csv_separator") != nullptr && !o.has("csv_column")) p.add("csv_separator", "'csv_separator' applies to 'csv_column' only");
    auto sep = unescaped(o, "csv_separator", p);
    if (sep.size() != 1) {
        p.add("csv_separator", "'csv_separator' must be one character, e.g. \",\" or \"\\t\"");
    } else {
        e.separator = sep[0];
    }
    if (o.has("json_key")) {
        e.kind = ExtractSpec::Kind::json;
        e.key = o.string("json_key");
        if (e.key.empty()) p.add("json_key", "'json_key' must not be empty");
    }
    e.boolean = c.info.type == SensorType::boolean;
    e.scale = o.number("scale");
    e.offset = o.number("offset");
    if (o.has("match")) {
        e.match = o.string("match");
        if (e.match.empty()) p.add("match", "'match' must not be empty");
        check_pattern("match", e.match, p);
    }
    s.min = c.info.min;
    s.max = c.info.max;
    const auto& range_policy = o.string("out_of_range");
    s.out_of_range = range_policy == "clamp" ? OutOfRange::clamp : range_policy == "publish" ? OutOfRange::publish : OutOfRange::drop;
    if (o.location("out_of_range") != nullptr && !s.min && !s.max)
        p.add("out_of_range", "'out_of_range' applies to sensors with a 'range'");

    auto& f = s.filter;
    const auto& filter = o.string("filter");
    f.smoothing = filter == "moving_average" ? FilterSpec::Smoothing::moving_average
                  : filter == "median"       ? FilterSpec::Smoothing::median
                                             : FilterSpec::Smoothing::none;
    f.window = static_cast<std::size_t>(o.integer("window"));
    if (f.smoothing == FilterSpec::Smoothing::none && o.location("window") != nullptr)
        p.add("window", "'window' applies to 'filter: moving_average' or 'filter: median' only");
    if (o.has("delta")) f.delta = o.number("delta");
    if (o.has("throttle")) f.throttle = o.duration("throttle");
    return s;
}

RelaySettings parse_relay(const RelayConfig& c, Problems& p) {
    const Options& o = c.options;
    RelaySettings s;
    s.id = c.info.id;
    s.on_command = unescaped(o, "on_command", p);
    s.off_command = unescaped(o, "off_command", p);
    if (o.string("on_command").empty()) p.add("on_command", "'on_command' must not be empty");
    if (o.string("off_command").empty()) p.add("off_command", "'off_command' must not be empty");
    if (o.has("confirm_on")) s.confirm_on = o.string("confirm_on");
    if (o.has("confirm_off")) s.confirm_off = o.string("confirm_off");
    if (s.confirm_on.has_value() != s.confirm_off.has_value())
        p.add(s.confirm_on ? "confirm_on" : "confirm_off", "give both 'confirm_on' and 'confirm_off', or neither");
    if (s.confirm_on) check_pattern("confirm_on", *s.confirm_on, p);
    if (s.confirm_off) check_pattern("confirm_off", *s.confirm_off, p);
    s.confirm_timeout = o.duration("confirm_timeout");
    if (o.location("confirm_timeout") != nullptr && !s.confirm_on && !s.confirm_off)
        p.add("confirm_timeout", "'confirm_timeout' applies only with 'confirm_on'/'confirm_off'");
    if (o.has("query_command")) {
        s.query_command = unescaped(o, "query_command", p);
        if (!s.confirm_on) p.add("query_command", "'query_command' needs 'confirm_on'/'confirm_off' to read the answer");
    }
    s.query_attempts = static_cast<int>(o.integer("query_attempts"));
    if (o.location("query_attempts") != nullptr && !o.has("query_command"))
        p.add("query_attempts", "'query_attempts' applies only with 'query_command'");
    return s;
}

TextSettings parse_text(const TextConfig& c, Problems& p) {
    TextSettings s;
    s.id = c.info.id;
    s.line_ending = unescaped(c.options, "line_ending", p);
    return s;
}

}  // namespace

std::string PortSettings::name() const { return path ? *path : usb ? describe(*usb) : std::string("(no port)"); }

std::vector<OptionSpec> device_option_specs() {
    return {
        str("port", "path of the serial port, e.g. /dev/ttyUSB0 or a /dev/serial/by-id/ link"),
        str("usb_vendor", "USB vendor id, 4 hex digits (instead of port)"),
        str("usb_product", "USB product id, 4 hex digits"),
        str("usb_serial", "USB serial number"),
        integer("baud", "line speed in bits per second", 50, 4000000, 115200),
        integer("data_bits", "data bits per character", 5, 8, 8),
        choice("parity", "parity bit", {"none", "even", "odd"}, "none"),
        integer("stop_bits", "stop bits", 1, 2, 1),
        choice("flow_control", "flow control", {"none", "rtscts", "xonxoff"}, "none"),
        choice("framing", "how the byte stream is cut into frames", {"line", "fixed"}, "line"),
        str("delimiter", "end of a frame for framing: line (escapes allowed)", std::string("\\n")),
        integer("frame_length", "bytes per frame for framing: fixed", 1, 65536, std::nullopt),
        integer("max_frame", "longest frame in bytes; longer ones are dropped and counted", 1, 1048576, 1024),
        duration("settle", "after each open, input is dropped and nothing is sent for this long (a board that resets on open)", 0, 60000, Millis(0)),
        choice("dtr", "DTR right after open: keep (as the system sets it: on), on, off", {"keep", "on", "off"}, "keep"),
        choice("rts", "RTS right after open: keep (as the system sets it: on), on, off", {"keep", "on", "off"}, "keep"),
        duration("reconnect_min", "first retry delay after the port went missing", 10, 3600000, Millis(500)),
        duration("reconnect_max", "longest retry delay (the delay doubles up to this)", 10, 3600000, Millis(30000)),
    };
}

std::vector<OptionSpec> sensor_option_specs() {
    return {
        str("pattern", "regular expression finding the value, with named groups: 'T=(?<temp>[-0-9.]+)'"),
        str("field", "named group of pattern holding the value"),
        integer("csv_column", "take the value from this column of comma separated frames (1: first)", 1, 1000, std::nullopt),
        str("csv_separator", "column separator for csv_column", std::string(",")),
        str("json_key", "take the value from this key of JSON frames; nested keys with dots: env.temp"),
        str("match", "only frames matching this pattern are for this sensor (a mixed stream)"),
        number("scale", "the value is multiplied by this", 1.0),
        number("offset", "then this is added", 0.0),
        choice("filter", "smoothing", {"none", "moving_average", "median"}, "none"),
        integer("window", "values the moving average or median spans", 1, 1000, 5),
        number("delta", "publish only when the value moved at least this much", std::nullopt, 0),
        duration("throttle", "publish at most once per this interval; the latest value in between is published at its end", 1, 86400000, std::nullopt),
        choice("out_of_range", "a value outside the sensor's range: drop (counted), clamp to the range, or publish", {"drop", "clamp", "publish"}, "drop"),
    };
}

std::vector<OptionSpec> relay_option_specs() {
    OptionSpec on = str("on_command", "bytes that switch the relay on (escapes allowed: \\r \\n \\xHH)");
    on.required = true;
    OptionSpec off = str("off_command", "bytes that switch the relay off");
    off.required = true;
    return {
        on,
        off,
        str("confirm_on", "pattern of the frame confirming on; the ack waits for it"),
        str("confirm_off", "pattern of the frame confirming off"),
        duration("confirm_timeout", "how long to wait for the confirmation", 1, 600000, Millis(1000)),
        str("query_command", "bytes asking the board for the relay's state; the answer is matched with confirm_on/confirm_off"),
        integer("query_attempts", "times query_command is sent (confirm_timeout apart) before the state counts as lost", 1, 100, 3),
    };
}

std::vector<OptionSpec> text_option_specs() {
    return {
        str("line_ending", "appended to each line sent to the device (escapes allowed)", std::string("\\n")),
    };
}

ParsedSettings parse_settings(const DeviceConfig& config) {
    ParsedSettings out;
    Problems device{out.problems, ChannelKind::sensor, ""};
    out.settings.port = parse_port(config.options, device);
    for (const auto& s : config.sensors) {
        Problems p{out.problems, ChannelKind::sensor, s.info.id};
        out.settings.sensors.push_back(parse_sensor(s, p));
    }
    for (const auto& r : config.relays) {
        Problems p{out.problems, ChannelKind::relay, r.info.id};
        out.settings.relays.push_back(parse_relay(r, p));
    }
    for (const auto& t : config.texts) {
        Problems p{out.problems, ChannelKind::text, t.info.id};
        out.settings.texts.push_back(parse_text(t, p));
    }
    return out;
}

std::vector<OptionProblem> check_settings(const DeviceConfig& config) { return parse_settings(config).problems; }

}  // namespace hwb::serial
