#include "devicemap/mapping_reader.h"

#include <algorithm>

#include "devicemap/option_reader.h"
#include "devicemap/suggest.h"

namespace hwb::devicemap {

MappingReader::MappingReader(const YAML::Node& mapping, std::string what, Diagnostics& diagnostics)
    : what_(std::move(what)), mark_(mapping.Mark()), diagnostics_(diagnostics) {
    // Copies, not references: yaml-cpp's iterators hand out temporaries.
    for (const auto& pair : mapping) {
        const YAML::Node key = pair.first;
        if (!key.IsScalar()) {
            diagnostics_.error(key.Mark(), "keys in " + what_ + " must be plain names, got " + describe(key));
            continue;
        }
        auto [first, added] = index_.emplace(key.Scalar(), entries_.size());
        if (!added) {
            diagnostics_.error(key.Mark(), "duplicate key '" + excerpt(key.Scalar()) + "' in " + what_ + " (first at " +
                                               diagnostics_.location(entries_[first->second].key_node.Mark()).str() + ")");
            continue;
        }
        entries_.push_back(Entry{key.Scalar(), key, pair.second});
    }
}

const MappingReader::Entry* MappingReader::find(std::string_view key) {
    if (std::find(known_keys_.begin(), known_keys_.end(), key) == known_keys_.end()) known_keys_.emplace_back(key);
    auto it = index_.find(std::string(key));
    if (it == index_.end()) return nullptr;
    Entry& entry = entries_[it->second];
    entry.known = true;
    return &entry;
}

void MappingReader::missing(std::string_view key, std::string_view expected) {
    diagnostics_.error(mark_, what_ + " is missing required key '" + std::string(key) + "' (" +
                                  std::string(expected) + ")");
}

std::optional<OptionValue> MappingReader::read(const OptionSpec& spec) {
    const Entry* entry = find(spec.key);
    if (entry == nullptr) {
        if (spec.required) missing(spec.key, expectation(spec));
        return spec.fallback;
    }
    return read_option(entry->value, entry->value_mark(), spec, diagnostics_);
}

Options MappingReader::read_all(const std::vector<OptionSpec>& specs) {
    Options options;
    for (const auto& spec : specs) {
        auto value = read(spec);
        if (!value) continue;
        // Only keys written in the map get a location: drivers use it to tell "given" from "default".
        if (const Entry* entry = find(spec.key)) options.set_location(spec.key, diagnostics_.location(entry->value_mark()));
        options.set(spec.key, std::move(*value));
    }
    return options;
}

void MappingReader::report_unknown_keys() {
    if (accept_all_) return;
    for (const auto& entry : entries_) {
        if (entry.known) continue;
        diagnostics_.error(entry.key_node.Mark(),
                           "unknown key '" + excerpt(entry.key) + "' in " + what_ + did_you_mean(entry.key, known_keys_));
    }
}

std::optional<MappingReader> open_section(const YAML::Node& section, std::string_view name, std::string_view content,
                                          Diagnostics& diagnostics, bool empty_ok) {
    if (section.IsNull() && empty_ok) return std::nullopt;
    if (!section.IsMap()) {
        // Messages name the section by its own key: 'limits', not 'bridge.limits'.
        std::string_view short_name = name;
        if (auto dot = short_name.rfind('.'); dot != std::string_view::npos) short_name.remove_prefix(dot + 1);
        std::string quoted(short_name);
        if (quoted.empty() || quoted.front() != '\'') quoted = "'" + quoted;
        if (quoted.back() != '\'') quoted += "'";
        diagnostics.error(section.Mark(), quoted + " must be a mapping " + std::string(content) + ", got " + describe(section));
        return std::nullopt;
    }
    std::optional<MappingReader> reader;
    reader.emplace(section, std::string(name), diagnostics);
    return reader;
}

}  // namespace hwb::devicemap
