#include "ksensors/hwmon.h"

#include <cctype>

namespace hwb::ksensors {
namespace {

constexpr const char* hwmon_class = "class/hwmon";

class HwmonSource final : public Source {
public:
    HwmonSource(std::shared_ptr<SysfsFiles> files, HwmonSelector selector, std::vector<std::string> channels)
        : files_(std::move(files)), selector_(std::move(selector)), channels_(std::move(channels)) {}

    std::vector<Result<double>> read_all() override {
        if (!dir_.empty() && read_attribute(*files_, dir_ + "/name") != selector_.name) dir_.clear();
        if (dir_.empty()) {
            auto found = find_hwmon_chip(*files_, selector_);
            if (!found.ok()) return std::vector<Result<double>>(channels_.size(), found.error());
            dir_ = found.value().dir;
        }
        std::vector<Result<double>> out;
        for (const auto& c : channels_) out.push_back(read_hwmon_channel(*files_, dir_, c));
        return out;
    }

private:
    std::shared_ptr<SysfsFiles> files_;
    HwmonSelector selector_;
    std::vector<std::string> channels_;
    std::string dir_;
};

}  // namespace

std::vector<HwmonChip> list_hwmon_chips(const SysfsFiles& files) {
    std::vector<HwmonChip> out;
    for (const auto& node : files.list(hwmon_class)) {
        if (node.rfind("hwmon", 0) != 0) continue;
        HwmonChip c;
        c.node = node;
        c.dir = std::string(hwmon_class) + "/" + node;
        c.name = read_attribute(files, c.dir + "/name");
        if (files.exists(c.dir + "/device")) {
            std::string dev = files.resolve(c.dir + "/device");
            c.bus = dev.substr(dev.rfind('/') + 1);
        }
        out.push_back(std::move(c));
    }
    return out;
}

Result<HwmonChip> find_hwmon_chip(const SysfsFiles& files, const HwmonSelector& selector) {
    std::vector<HwmonChip> matches;
    std::string names;
    for (auto& c : list_hwmon_chips(files)) {
        names += (names.empty() ? "" : ", ") + ("'" + c.name + "'");
        if (c.name != selector.name) continue;
        if (!selector.bus.empty() && !path_has_folder(files.resolve(c.dir), selector.bus) &&
            !(files.exists(c.dir + "/device") && path_has_folder(files.resolve(c.dir + "/device"), selector.bus)))
            continue;
        matches.push_back(std::move(c));
    }
    std::string which_ones = "named '" + selector.name + "'" + (selector.bus.empty() ? "" : " on bus '" + selector.bus + "'");
    if (matches.empty())
        return Error{"missing", "no hwmon chip " + which_ones + " (" + (names.empty() ? "no hwmon chips" : "there are " + names) + ")"};
    if (matches.size() > 1) {
        std::string which;
        for (const auto& m : matches) which += (which.empty() ? "" : ", ") + m.node + (m.bus.empty() ? "" : " at " + m.bus);
        return Error{"ambiguous", "several hwmon chips " + which_ones + ": " + which + "; add 'bus:' to choose"};
    }
    return std::move(matches.front());
}

std::vector<std::string> hwmon_inputs(const SysfsFiles& files, const std::string& dir) {
    std::vector<std::string> out;
    const std::string tail = "_input";
    for (const auto& f : files.list(dir))
        if (f.size() > tail.size() && f.compare(f.size() - tail.size(), tail.size(), tail) == 0)
            out.push_back(f.substr(0, f.size() - tail.size()));
    return out;
}

std::string hwmon_file(const std::string& channel) {
    return channel.find('_') == std::string::npos ? channel + "_input" : channel;
}

Result<double> read_hwmon_channel(const SysfsFiles& files, const std::string& dir, const std::string& channel) {
    std::string path = dir + "/" + hwmon_file(channel);
    // Drivers before Linux 3.x put the attributes into the device folder; a few still do.
    if (!files.exists(path) && files.exists(dir + "/device/" + hwmon_file(channel)))
        path = dir + "/device/" + hwmon_file(channel);
    auto text = files.read(path);
    if (!text.ok()) return text.error();
    auto v = parse_number(text.value());
    if (!v) return Error{"parse", path + ": not a number"};
    return *v;
}

std::unique_ptr<Source> make_hwmon_source(std::shared_ptr<SysfsFiles> files, HwmonSelector selector,
                                          std::vector<std::string> channels) {
    return std::make_unique<HwmonSource>(std::move(files), std::move(selector), std::move(channels));
}

}  // namespace hwb::ksensors
