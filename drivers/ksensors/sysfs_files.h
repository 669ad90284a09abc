// Reading the kernel's sysfs: small attribute files under a root folder (/sys in production; tests
// point it at a folder laid out like /sys). Every call may block (a 1-Wire read takes most of a
// second), so only worker threads and `--list-sensors` call these, never the event loop.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hwb::ksensors {

class SysfsFiles {
public:
    virtual ~SysfsFiles() = default;
    // The folder that stands for /sys.
    virtual const std::string& root() const = 0;
    // The content of root/rel, at most max_attribute_bytes (sysfs attributes are one page at most;
    // anything longer is cut, not read further). Error code "missing" (ENOENT) or "io", message
    // with the path and the errno text.
    virtual Result<std::string> read(const std::string& rel) const = 0;
    // Entry names of the folder root/rel, sorted; empty when it is missing or unreadable.
    virtual std::vector<std::string> list(const std::string& rel) const = 0;
    virtual bool exists(const std::string& rel) const = 0;
    // root/rel with its symbolic links resolved, relative to the root when inside it (the bus
    // address of a device is a folder name on that path, e.g. .../i2c-1/1-0076/iio:device0).
    virtual std::string resolve(const std::string& rel) const = 0;
};

constexpr std::size_t max_attribute_bytes = 4096;

// Plain files below `root` (default /sys).
std::shared_ptr<SysfsFiles> make_sysfs(std::string root = "/sys");

}  // namespace hwb::ksensors

namespace hwb::ksensors {

// A sysfs number ("23125\n", "-0.001333", "101.325") as a double; none for anything else.
std::optional<double> parse_number(std::string_view text);

// A text attribute (name, label) without its trailing newline; empty when it cannot be read.
std::string read_attribute(const SysfsFiles& files, const std::string& rel);
// Whether `folder` is one whole component of `path` (a bus address on a device's path).
bool path_has_folder(const std::string& path, const std::string& folder);

// A sensor source as the worker thread sees it: reads every channel of one device in ABI units
// (one value or error per channel, in map order). Lives on the worker thread only.
class Source {
public:
    virtual ~Source() = default;
    virtual std::vector<Result<double>> read_all() = 0;
};

}  // namespace hwb::ksensors
