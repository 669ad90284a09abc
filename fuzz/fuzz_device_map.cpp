// Fuzzes the device-map loader with arbitrary YAML text, with the daemon's own drivers registered
// so their option schemas and cross-key checks run too. The loader must never throw, crash or hang,
// and must produce either a map or at least one located error, never both. The errors, written as
// POST /api/map/validate answers them, stay within the answer bound whatever the draft (aliases,
// control bytes, thousands of errors: docs/security.md, "Validating a hostile map"), and a map
// that loads holds no more text than its aliases may expand to.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "devicemap/bounds.h"
#include "devicemap/loader.h"
#include "gpio/gpio_driver.h"
#include "ksensors/ksensor_driver.h"
#include "serial/serial_driver.h"
#include "sim/sim_driver.h"

namespace {

const hwb::DriverRegistry& drivers() {
    static const hwb::DriverRegistry registry = [] {
        hwb::DriverRegistry r;
        hwb::register_sim_driver(r);
        hwb::register_serial_driver(r);
        hwb::register_gpio_driver(r);
        hwb::register_kernel_sensor_drivers(r);
        return r;
    }();
    return registry;
}

// The validate answer's body as the server writes it (src/server/map_api.cpp, problems_json).
std::size_t answer_bytes(const hwb::LoadResult& result) {
    auto problems = nlohmann::json::array();
    for (const auto& e : result.errors)
        problems.push_back({{"line", e.where.line}, {"column", e.where.column}, {"message", e.message}});
    nlohmann::json answer = {{"ok", result.ok()}, {"problems", std::move(problems)}};
    return answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
}

// Text a loaded map holds: what aliases could multiply.
std::size_t map_text_bytes(const hwb::DeviceMap& map) {
    std::size_t n = 0;
    for (const auto& d : map.devices) {
        n += d.id.size();
        for (const auto& s : d.sensors) n += s.info.id.size() + s.info.label.size();
        for (const auto& r : d.relays) n += r.info.id.size() + r.info.label.size();
        for (const auto& t : d.texts) n += t.info.id.size() + t.info.label.size();
    }
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string yaml(reinterpret_cast<const char*>(data), size);
    // Both ways the map API validates: probing files (an admin) and not (everyone else).
    const hwb::LoadResult result =
        hwb::load_device_map_string(yaml, "fuzz.yaml", drivers(), hwb::LoadOptions{.probe_files = size % 2 == 0});
    if (result.ok() == !result.errors.empty()) __builtin_trap();
    if (result.error_count < result.errors.size() - (result.errors.size() > hwb::devicemap::max_reported_errors)) __builtin_trap();
    for (const auto& error : result.errors) {
        if (error.message.empty() || error.str().empty()) __builtin_trap();
        if (error.message.size() > hwb::devicemap::max_message_bytes + 40) __builtin_trap();
    }
    // The answer: within the fixed budget (plus one message and the "N more" line) whatever the
    // draft, so never more than a few times a draft of some size.
    if (answer_bytes(result) > hwb::devicemap::max_answer_bytes + 8 * hwb::devicemap::max_message_bytes + 256) __builtin_trap();
    if (result.ok() && map_text_bytes(*result.map) > hwb::devicemap::max_expanded_bytes) __builtin_trap();
    if (result.ok() && result.map->devices.empty()) __builtin_trap();  // a map needs at least one device
    return 0;
}
