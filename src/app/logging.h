#pragma once

#include <string>

namespace hwb::app {

// spdlog to stderr with millisecond timestamps, e.g. "2026-11-26 04:12:01.123 [info] ...".
// Under systemd (JOURNAL_STREAM set) the journal adds its own timestamp, so ours is left out.
void setup_logging();
void set_log_level(const std::string& level);

}  // namespace hwb::app
