// `bridge.limits`: rate limits and caps (docs/security.md, "Limits").
#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"

namespace hwb::devicemap {

LimitsConfig read_limits(const YAML::Node& section, LoadContext& context) {
    LimitsConfig limits;
    auto opened = open_section(section, "'bridge.limits'", "of limits", context.diagnostics);
    if (!opened) return limits;
    MappingReader& reader = *opened;
    Options o = reader.read_all(schema::limits());
    auto rate = [&](const char* rate_key, const char* burst_key, RateLimit& into) {
        if (o.has(rate_key)) into.rate = o.number(rate_key);
        if (o.has(burst_key)) into.burst = static_cast<double>(o.integer(burst_key));
    };
    if (o.has("max_connections")) limits.max_connections = static_cast<std::size_t>(o.integer("max_connections"));
    rate("connection_rate", "connection_burst", limits.connections_per_address);
    rate("relay_rate", "relay_burst", limits.relay_requests);
    rate("text_rate", "text_burst", limits.text_requests);
    rate("sensor_rate", "sensor_burst", limits.sensor_requests);
    rate("switch_rate", "switch_burst", limits.relay_switches);
    if (o.has("max_refusals")) limits.max_refusals = static_cast<std::size_t>(o.integer("max_refusals"));
    reader.report_unknown_keys();
    return limits;
}

}  // namespace hwb::devicemap
