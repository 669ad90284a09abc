// Reads a YAML device map into a validated DeviceMap, collecting every error with its location.
// See docs/device-map.md for the keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/device_map.h"
#include "core/driver.h"
#include "core/result.h"

namespace hwb {

struct Diagnostic {
    SourceLocation where;  // 1-based line and column
    std::string message;
    std::string str() const;  // "FILE:LINE:COL: error: message"
};

struct LoadResult {
    std::optional<DeviceMap> map;     // set only when `errors` is empty
    std::vector<Diagnostic> errors;   // in file order; at most max_reported_errors, then one saying how many more
    std::size_t error_count = 0;      // all errors found, listed or not
    bool ok() const { return map.has_value(); }
};

struct LoadOptions {
    // Check that the files the map names (bridge.tls cert/key/ca) exist and can be read. Off when
    // someone who is not an admin validates a draft: an answer that differs for an existing and a
    // missing file would tell them which files exist on the bridge (docs/security.md).
    bool probe_files = true;
};

// Validation only: nothing here opens hardware. `file_name` is used in diagnostics.
LoadResult load_device_map_file(const std::string& path, const DriverRegistry& drivers);
LoadResult load_device_map_string(const std::string& yaml, const std::string& file_name, const DriverRegistry& drivers,
                                  const LoadOptions& options = {});

struct ListenAddress {
    std::string host;
    std::uint16_t port = 0;
};
// "127.0.0.1:8080", "0.0.0.0:80", "[::1]:8080", "localhost:0" (port 0: the kernel picks one).
Result<ListenAddress> parse_listen_address(std::string_view text);

// 127.x.y.z, ::1, localhost: only this machine can connect.
bool is_loopback_listen_host(std::string_view host);
// Why listening on `listen_host` with `auth` is refused (it reaches other machines and the map
// has neither authentication nor an explicit allow_anonymous), or nullopt when it is fine.
std::optional<std::string> exposure_problem(const std::string& listen_host, const AuthConfig& auth);

}  // namespace hwb
