#include "devicemap/schema.h"

#include <string>

namespace hwb::devicemap::schema {

std::vector<OptionSpec> top_level() {
    return {
        {.key = "bridge", .help = "settings of the bridge itself"},
        {.key = "auth", .help = "who may do what: tokens, pass-phrase, anonymous access (docs/security.md)"},
        {.key = "devices", .help = "the hardware (or simulation) the channels live on", .required = true},
        {.key = "sensors", .help = "read-only values"},
        {.key = "relays", .help = "on/off outputs"},
        {.key = "texts", .help = "line-based text consoles"},
        {.key = "mqtt", .help = "publish the channels to an MQTT broker and take commands from it (docs/mqtt.md)"},
        {.key = "automations", .help = "thermostats, schedules and rules run by the bridge (docs/automations.md)"},
        {.key = "history", .help = "sensor history and relay events in a database on this machine (docs/history.md)"},
    };
}

std::vector<OptionSpec> bridge() {
    return {
        {.key = "name", .help = "shown in the page title and in hello", .fallback = std::string("hwbridge")},
        {.key = "listen", .help = "HOST:PORT to listen on", .fallback = std::string("127.0.0.1:8080")},
        {.key = "allowed_origins", .type = OptionType::string_list,
         .help = "browser origins allowed besides the bridge's own", .fallback = std::vector<std::string>{}},
        {.key = "allowed_hosts", .type = OptionType::string_list,
         .help = "names clients may use in Host besides the machine's own (DNS rebinding guard)",
         .fallback = std::vector<std::string>{}},
        {.key = "max_message_bytes", .type = OptionType::integer, .help = "largest accepted client message",
         .fallback = std::int64_t{65536}, .min = 256, .max = 16777216},
        {.key = "log_level", .type = OptionType::choice, .help = "least severe log level printed",
         .fallback = std::string("info"), .choices = {"trace", "debug", "info", "warn", "error", "off"}},
        {.key = "ping_interval", .type = OptionType::duration,
         .help = "a client connection silent this long is pinged (whole seconds)",
         .fallback = std::chrono::milliseconds(20000), .min = 1000, .max = 3600000},
        {.key = "ping_timeout", .type = OptionType::duration,
         .help = "a pinged client that does not answer within this is dropped (whole seconds)",
         .fallback = std::chrono::milliseconds(10000), .min = 1000, .max = 3600000},
        {.key = "time_zone",
         .help = "local time of automations: a tz database zone such as Europe/Berlin (default: the system's)"},
    };
}

std::vector<OptionSpec> device() {
    return {
        {.key = "id", .help = "unique device id", .required = true},
        {.key = "driver", .help = "name of a registered driver", .required = true},
        {.key = "label", .help = "human name (default: the id)"},
    };
}

std::vector<OptionSpec> channel() {
    return {
        {.key = "id", .help = "channel id, unique across sensors, relays and texts", .required = true},
        {.key = "device", .help = "id of the device the channel lives on", .required = true},
        {.key = "label", .help = "human name (default: the id)"},
    };
}

std::vector<OptionSpec> sensor() {
    return {
        {.key = "unit", .help = "unit shown after the value", .fallback = std::string("")},
        {.key = "type", .type = OptionType::choice, .help = "kind of value", .fallback = std::string("number"),
         .choices = {"number", "boolean"}},
        {.key = "precision", .type = OptionType::integer, .help = "decimals shown (default 2, 0 for boolean)",
         .min = 0, .max = 10},
    };
}

std::vector<OptionSpec> relay() {
    return {
        {.key = "safe_state", .type = OptionType::choice, .help = "state applied at shutdown",
         .fallback = std::string("none"), .choices = {"on", "off", "none"}},
        {.key = "initial", .type = OptionType::choice, .help = "state requested at start-up",
         .choices = {"on", "off"}},
    };
}

std::vector<OptionSpec> relay_policy() {
    constexpr double day_ms = 86400000.0;
    return {
        {.key = "max_on", .type = OptionType::duration, .help = "switched off automatically after this long on",
         .min = 1, .max = day_ms},
        {.key = "min_on", .type = OptionType::duration, .help = "once on, switching off is refused this long",
         .min = 1, .max = day_ms},
        {.key = "min_off", .type = OptionType::duration, .help = "once off, switching on is refused this long",
         .min = 1, .max = day_ms},
        {.key = "interlock", .help = "interlock group: at most one relay of the group is on"},
    };
}

std::vector<OptionSpec> text() {
    return {
        {.key = "history_lines", .type = OptionType::integer, .help = "lines kept for clients that join later",
         .fallback = std::int64_t{200}, .min = 0, .max = 10000},
        {.key = "max_line_bytes", .type = OptionType::integer, .help = "longest line a client may send",
         .fallback = std::int64_t{4096}, .min = 1, .max = 65536},
    };
}

bool is_identifier(std::string_view id) { return hwb::is_identifier(id, max_id_length); }

}  // namespace hwb::devicemap::schema
