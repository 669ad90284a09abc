// Reads the keys of one YAML mapping (a device, a sensor, the bridge section...): finds each key
// once, reports duplicate keys (yaml-cpp accepts them silently), and at the end reports every
// key nobody asked for as unknown, suggesting the closest known key.
#pragma once

#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/options.h"
#include "devicemap/diagnostics.h"

namespace hwb::devicemap {

class MappingReader {
public:
    struct Entry {
        std::string key;
        YAML::Node key_node;
        YAML::Node value;
        bool known = false;
        // Where to point at the value. An empty value has no mark of its own in yaml-cpp (it
        // points at the next key), so we use the key's.
        YAML::Mark value_mark() const { return value.IsNull() ? key_node.Mark() : value.Mark(); }
    };

    // `what` names the mapping in messages, e.g. "sensor 'temperature'". `mapping` must be a map.
    MappingReader(const YAML::Node& mapping, std::string what, Diagnostics& diagnostics);

    // The entry for `key`, or nullptr; either way `key` counts as known.
    const Entry* find(std::string_view key);

    // Validates the value against `spec`. Absent: the fallback (or nullopt); absent and required:
    // an error at the mapping.
    std::optional<OptionValue> read(const OptionSpec& spec);

    // read() for every spec, into an Options with fallbacks filled in and the location of each
    // value that was written in the map.
    Options read_all(const std::vector<OptionSpec>& specs);

    // Declares a key known without reading it (e.g. driver options we cannot check because the
    // driver is unknown, so the user is not told they are wrong twice).
    void accept_all_keys() { accept_all_ = true; }

    // Errors for keys never asked for. Call once, after all reads.
    void report_unknown_keys();

    void missing(std::string_view key, std::string_view expected);
    const std::string& what() const { return what_; }
    const YAML::Mark& mark() const { return mark_; }
    Diagnostics& diagnostics() { return diagnostics_; }

private:
    std::string what_;
    YAML::Mark mark_;
    Diagnostics& diagnostics_;
    std::vector<Entry> entries_;
    std::unordered_map<std::string, std::size_t> index_;  // key -> entry: a mapping of 80,000 keys is no quadratic scan
    std::vector<std::string> known_keys_;
    bool accept_all_ = false;
};

// The common head of the section readers (bridge, auth, limits, tls, ...): a section left empty
// (`bridge:` alone) is nullopt and no error when `empty_ok`; anything but a mapping is an error at
// the section, "'SHORT' must be a mapping of CONTENT, got ..."; a mapping gives its reader, which
// names it `name` ("'bridge.limits'") in its messages.
std::optional<MappingReader> open_section(const YAML::Node& section, std::string_view name, std::string_view content,
                                          Diagnostics& diagnostics, bool empty_ok = true);

}  // namespace hwb::devicemap
