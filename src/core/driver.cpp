#include "core/driver.h"

#include <stdexcept>

namespace hwb {

void DriverRegistry::add(DriverInfo info) {
    std::string name = info.name;
    if (!drivers_.emplace(name, std::move(info)).second) throw std::logic_error("driver '" + name + "' registered twice");
}

const DriverInfo* DriverRegistry::find(const std::string& name) const {
    auto it = drivers_.find(name);
    return it == drivers_.end() ? nullptr : &it->second;
}

std::vector<std::string> DriverRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, info] : drivers_) out.push_back(name);
    return out;
}

}  // namespace hwb

namespace hwb {

namespace {

bool same_found_sensor(const SensorConfig& a, const SensorConfig& b) {
    const auto &x = a.info, &y = b.info;
    return x.id == y.id && x.label == y.label && x.unit == y.unit && x.type == y.type && x.min == y.min &&
           x.max == y.max && x.precision == y.precision && x.origin == y.origin && x.ui == y.ui && x.words == y.words &&
           a.options.all() == b.options.all();
}
bool same_found_relay(const RelayConfig& a, const RelayConfig& b) {
    return a.info.id == b.info.id && a.info.label == b.info.label && a.info.origin == b.info.origin &&
           a.info.ui == b.info.ui && a.info.words == b.info.words && a.options.all() == b.options.all();
}
bool same_found_text(const TextConfig& a, const TextConfig& b) {
    return a.info.id == b.info.id && a.info.label == b.info.label && a.info.max_line_bytes == b.info.max_line_bytes &&
           a.info.origin == b.info.origin && a.info.ui == b.info.ui && a.options.all() == b.options.all();
}
template <class T, class Same>
bool same_found_list(const std::vector<T>& a, const std::vector<T>& b, Same same) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i])) return false;
    return true;
}

}  // namespace

bool same_found_channels(const FoundChannels& a, const FoundChannels& b) {
    return same_found_list(a.sensors, b.sensors, same_found_sensor) && same_found_list(a.relays, b.relays, same_found_relay) &&
           same_found_list(a.texts, b.texts, same_found_text);
}

}  // namespace hwb
