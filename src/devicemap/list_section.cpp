// Shared shape of the list sections (devices, sensors, relays, texts): a YAML sequence of mappings.
#include "devicemap/option_reader.h"
#include "devicemap/sections.h"

namespace hwb::devicemap {

std::vector<ListEntry> list_entries(const YAML::Node& section, const YAML::Mark& at, const std::string& name,
                                     const std::string& noun, Diagnostics& diagnostics) {
    std::vector<ListEntry> entries;
    if (section.IsNull()) return entries;  // "sensors:" with nothing under it: no sensors
    if (!section.IsSequence()) {
        diagnostics.error(at, "'" + name + "' must be a list of " + noun + "s (entries starting with '- '), got " +
                                  describe(section));
        return entries;
    }
    std::size_t index = 0;
    for (const auto& item : section) {
        const std::size_t position = index++;
        if (!item.IsMap()) {
            // A null item ("- " alone) has no mark of its own; fall back to the section's.
            diagnostics.error(item.IsNull() ? at : item.Mark(),
                              "each entry of '" + name + "' must be a mapping with the " + noun +
                                  "'s keys (id: ...), got " + describe(item));
            continue;
        }
        entries.push_back(ListEntry{item, position});
    }
    return entries;
}

}  // namespace hwb::devicemap
