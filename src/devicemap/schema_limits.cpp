// Keys of the `bridge.tls` and `bridge.limits` mappings (docs/device-map.md, docs/security.md).
#include "devicemap/schema.h"

#include <string>

namespace hwb::devicemap::schema {

std::vector<OptionSpec> tls() {
    return {
        {.key = "cert", .help = "PEM certificate file (may be followed by its chain); relative to the map's folder",
         .required = true},
        {.key = "key", .help = "PEM private key file of the certificate; relative to the map's folder",
         .required = true},
        {.key = "ca", .help = "optional PEM file of intermediate certificates sent with the certificate"},
    };
}

std::vector<OptionSpec> limits() {
    constexpr double most = 10000;
    return {
        {.key = "max_connections", .type = OptionType::integer,
         .help = "WebSocket connections served at once; more are refused with HTTP 503",
         .fallback = std::int64_t{1024}, .min = 1, .max = 65535},
        {.key = "connection_rate", .type = OptionType::number,
         .help = "new connections per second from one address (0: no limit); more are closed at once",
         .fallback = 10.0, .min = 0, .max = most},
        {.key = "connection_burst", .type = OptionType::integer,
         .help = "new connections one address may open at once before connection_rate applies",
         .fallback = std::int64_t{50}, .min = 1, .max = most},
        {.key = "relay_rate", .type = OptionType::number,
         .help = "relay requests per second per connection (0: no limit); more get error rate_limited",
         .fallback = 10.0, .min = 0, .max = most},
        {.key = "relay_burst", .type = OptionType::integer,
         .help = "relay requests a connection may send at once before relay_rate applies",
         .fallback = std::int64_t{20}, .min = 1, .max = most},
        {.key = "text_rate", .type = OptionType::number,
         .help = "text requests per second per connection (0: no limit); more get error rate_limited",
         .fallback = 20.0, .min = 0, .max = most},
        {.key = "text_burst", .type = OptionType::integer,
         .help = "text requests a connection may send at once before text_rate applies",
         .fallback = std::int64_t{50}, .min = 1, .max = most},
        {.key = "sensor_rate", .type = OptionType::number,
         .help = "sensor requests (subscribe, history) per second per connection (0: no limit); more get error rate_limited",
         .fallback = 10.0, .min = 0, .max = most},
        {.key = "sensor_burst", .type = OptionType::integer,
         .help = "sensor requests a connection may send at once before sensor_rate applies",
         .fallback = std::int64_t{20}, .min = 1, .max = most},
        {.key = "switch_rate", .type = OptionType::number,
         .help = "switches per second of one relay by all clients together (0: no limit); more get error rate_limited",
         .fallback = 10.0, .min = 0, .max = most},
        {.key = "switch_burst", .type = OptionType::integer,
         .help = "switches one relay takes at once before switch_rate applies",
         .fallback = std::int64_t{20}, .min = 1, .max = most},
        {.key = "max_refusals", .type = OptionType::integer,
         .help = "rate_limited answers a connection may get within 10 s; one more closes it (1008)",
         .fallback = std::int64_t{50}, .min = 1, .max = most},
    };
}

}  // namespace hwb::devicemap::schema
