#include "ksensors/iio.h"

#include <algorithm>
#include <cctype>

#include "ksensors/units.h"

namespace hwb::ksensors {
namespace {

constexpr const char* iio_devices = "bus/iio/devices";

std::string trimmed(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The parent folder of the device on its resolved path.
std::string bus_of(const std::string& resolved) {
    auto last = resolved.rfind('/');
    if (last == std::string::npos || last == 0) return "";
    // A device with no parent bus (iio_dummy) sits right in devices/.
    auto before = resolved.rfind('/', last - 1);
    std::size_t from = before == std::string::npos ? 0 : before + 1;
    std::string parent = resolved.substr(from, last - from);
    return parent == "devices" ? "" : parent;
}

// The form of a channel's name its type shares attributes under (ABI "shared_by_type"):
// in_voltage0 -> in_voltage, in_voltage1-voltage2 -> in_voltage-voltage, in_accel_x -> in_accel.
std::string shared_by_type(const std::string& channel) {
    std::string type = iio_channel_type(channel);
    if (channel.find('-') != std::string::npos) return "in_" + type + "-" + type;
    return "in_" + type;
}

Result<double> number_at(const SysfsFiles& files, const std::string& path) {
    auto text = files.read(path);
    if (!text.ok()) return text.error();
    auto v = parse_number(text.value());
    if (!v) return Error{"parse", path + ": not a number: '" + trimmed(text.value()).substr(0, 40) + "'"};
    return *v;
}

// An optional calibration attribute: the channel's own, else the one shared by its type, else `fallback`.
Result<double> calibration(const SysfsFiles& files, const std::string& dir, const std::string& channel,
                           const std::string& what, double fallback) {
    for (const auto& name : {channel + "_" + what, shared_by_type(channel) + "_" + what}) {
        std::string path = dir + "/" + name;
        if (files.exists(path)) return number_at(files, path);
    }
    return fallback;
}

class IioSource final : public Source {
public:
    IioSource(std::shared_ptr<SysfsFiles> files, IioSelector selector, std::vector<std::string> channels)
        : files_(std::move(files)), selector_(std::move(selector)), channels_(std::move(channels)) {}

    std::vector<Result<double>> read_all() override {
        // The index may change when a device goes and comes back: check the one found last time.
        if (!dir_.empty() && read_attribute(*files_, dir_ + "/name") != selector_.name) dir_.clear();
        if (dir_.empty()) {
            auto found = find_iio_device(*files_, selector_);
            if (!found.ok()) return std::vector<Result<double>>(channels_.size(), found.error());
            dir_ = found.value().dir;
        }
        std::vector<Result<double>> out;
        for (const auto& c : channels_) out.push_back(read_iio_channel(*files_, dir_, c));
        return out;
    }

private:
    std::shared_ptr<SysfsFiles> files_;
    IioSelector selector_;
    std::vector<std::string> channels_;
    std::string dir_;
};

}  // namespace

std::vector<IioDevice> list_iio_devices(const SysfsFiles& files) {
    std::vector<IioDevice> out;
    for (const auto& node : files.list(iio_devices)) {
        if (node.rfind("iio:device", 0) != 0) continue;  // triggers (triggerN) live here too
        IioDevice d;
        d.node = node;
        d.dir = std::string(iio_devices) + "/" + node;
        d.name = read_attribute(files, d.dir + "/name");
        d.label = read_attribute(files, d.dir + "/label");
        d.bus = bus_of(files.resolve(d.dir));
        out.push_back(std::move(d));
    }
    return out;
}

Result<IioDevice> find_iio_device(const SysfsFiles& files, const IioSelector& selector) {
    std::vector<IioDevice> matches;
    std::string names;
    for (auto& d : list_iio_devices(files)) {
        names += (names.empty() ? "" : ", ") + ("'" + d.name + "'");
        if (d.name != selector.name) continue;
        if (!selector.label.empty() && d.label != selector.label) continue;
        if (!selector.bus.empty() && !path_has_folder(files.resolve(d.dir), selector.bus)) continue;
        matches.push_back(std::move(d));
    }
    std::string which_ones = "named '" + selector.name + "'" +
                             (selector.label.empty() ? "" : " with label '" + selector.label + "'") +
                             (selector.bus.empty() ? "" : " on bus '" + selector.bus + "'");
    if (matches.empty())
        return Error{"missing", "no IIO device " + which_ones + " (" + (names.empty() ? "no IIO devices" : "there are " + names) + ")"};
    if (matches.size() > 1) {
        std::string which;
        for (const auto& m : matches) which += (which.empty() ? "" : ", ") + m.node + " at " + m.bus;
        return Error{"ambiguous", "several IIO devices " + which_ones + ": " + which + "; add 'bus:' or 'kernel_label:' to choose"};
    }
    return std::move(matches.front());
}

std::vector<std::string> iio_channels(const SysfsFiles& files, const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& f : files.list(dir)) {
        if (f.rfind("in_", 0) != 0) continue;
        for (const char* tail : {"_input", "_raw"}) {
            if (!ends_with(f, tail)) continue;
            std::string channel = f.substr(0, f.size() - std::string(tail).size());
            if (std::find(out.begin(), out.end(), channel) == out.end()) out.push_back(channel);
        }
    }
    return out;
}

Result<double> read_iio_channel(const SysfsFiles& files, const std::string& dir, const std::string& channel) {
    std::string input = dir + "/" + channel + "_input";
    if (files.exists(input)) return number_at(files, input);
    std::string raw_path = dir + "/" + channel + "_raw";
    auto raw = number_at(files, raw_path);
    if (!raw.ok()) {
        if (raw.error().code == "missing")
            return Error{"missing", "IIO channel " + channel + " missing: neither " + input + " nor " + raw_path};
        return raw;
    }
    auto offset = calibration(files, dir, channel, "offset", 0);
    if (!offset.ok()) return offset;
    auto scale = calibration(files, dir, channel, "scale", 1);
    if (!scale.ok()) return scale;
    return (raw.value() + offset.value()) * scale.value();
}

std::unique_ptr<Source> make_iio_source(std::shared_ptr<SysfsFiles> files, IioSelector selector,
                                        std::vector<std::string> channels) {
    return std::make_unique<IioSource>(std::move(files), std::move(selector), std::move(channels));
}

}  // namespace hwb::ksensors
