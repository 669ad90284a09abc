// `history:`: the history database (docs/device-map.md, "history"; docs/history.md). The file is
// opened when the bridge starts (its folder may not exist where the map is written).
#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"

namespace hwb::devicemap {

HistoryConfig read_history(const YAML::Node& section, LoadContext& context) {
    HistoryConfig history;
    // `history:` alone: all defaults.
    auto opened = open_section(section, "'history'", "of history settings (path, raw, minute, ...)", context.diagnostics);
    if (!opened) return history;
    MappingReader& reader = *opened;
    Options o = reader.read_all(schema::history());
    if (o.has("enabled")) history.enabled = o.boolean("enabled");
    if (o.has("path")) {
        history.path = o.string("path");
        if (history.path.empty() || history.path.front() != '/' || history.path.back() == '/')
            context.diagnostics.error(reader.find("path")->value_mark(),
                                      "'path' must be an absolute file path such as /var/lib/hwbridge/history.db, got '" +
                                          history.path + "'");
    }
    if (o.has("raw")) history.raw = o.duration("raw");
    if (o.has("minute")) history.minute = o.duration("minute");
    if (o.has("hour")) history.hour = o.duration("hour");
    if (o.has("events")) history.events = o.duration("events");
    if (o.has("spacing")) history.spacing = o.duration("spacing");
    if (o.has("flush")) history.flush = o.duration("flush");
    if (o.has("max_size_mb")) history.max_bytes = o.integer("max_size_mb") * 1024 * 1024;
    reader.report_unknown_keys();
    return history;
}

}  // namespace hwb::devicemap
