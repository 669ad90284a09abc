#include "app/logging.h"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace hwb::app {

void setup_logging() {
    auto logger = spdlog::stderr_color_mt("hwbridge");
    spdlog::set_default_logger(logger);
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
        spdlog::set_pattern("[%l] %v");
    } else {
        spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [%^%l%$] %v");
    }
    spdlog::flush_on(spdlog::level::info);
}

void set_log_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace hwb::app
