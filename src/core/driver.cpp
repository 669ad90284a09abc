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
