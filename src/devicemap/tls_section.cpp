// `bridge.tls`: the certificate and key files. Relative paths are taken from the map's folder, so
// a map and its certificate can move together. Whether the files exist and can be read is checked
// here, so --check finds a typo before a restart does (not when LoadOptions::probe_files is off:
// a non-admin's draft must not learn which files exist); whether they hold a matching certificate
// and key is checked when the server starts (src/server/tls.cpp).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"

namespace hwb::devicemap {

std::string map_relative_path(const std::string& path, const std::string& map_file) {
    std::filesystem::path p(path);
    if (p.is_absolute() || map_file.empty()) return path;
    std::filesystem::path base = std::filesystem::path(map_file).parent_path();
    return (base / p).lexically_normal().string();
}

std::string readable_file_problem(const std::string& path) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) return "no such file";
    if (!std::filesystem::is_regular_file(status)) return "not a regular file";
    if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
    return {};
}

TlsConfig read_tls(const YAML::Node& section, LoadContext& context) {
    TlsConfig tls;
    auto opened = open_section(section, "'bridge.tls'", "with 'cert' and 'key' (PEM file paths)", context.diagnostics,
                               /*empty_ok=*/false);
    if (!opened) return tls;
    MappingReader& reader = *opened;
    Options options = reader.read_all(schema::tls());
    auto file = [&](const char* key, std::string& into) {
        if (!options.has(key)) return;
        const auto* entry = reader.find(key);
        const std::string& given = options.string(key);
        if (given.empty()) {
            context.diagnostics.error(entry->value_mark(), std::string("'") + key + "' must not be empty");
            return;
        }
        std::string path = map_relative_path(given, context.diagnostics.file());
        std::string problem = context.probe_files ? readable_file_problem(path) : std::string();
        if (!problem.empty()) {
            context.diagnostics.error(entry->value_mark(), std::string("cannot read '") + key + "' file " + path + ": " +
                                                               problem + " (it must be readable by the user hwbridge runs as)");
            return;
        }
        into = path;
    };
    file("cert", tls.cert);
    file("key", tls.key);
    file("ca", tls.ca);
    reader.report_unknown_keys();
    if (tls.cert.empty() || tls.key.empty()) return TlsConfig{};  // errors were reported
    return tls;
}

}  // namespace hwb::devicemap
