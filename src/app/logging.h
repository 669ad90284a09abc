#pragma once

#include <cstddef>
#include <string>

namespace hwb::app {

// Longer log messages are cut (with a note of how much was left out).
inline constexpr std::size_t max_log_message_bytes = 8192;

// spdlog to stderr with millisecond timestamps, e.g. "2026-11-26 04:12:01.123 [info] ...".
// When stderr is the journal (systemd service: $JOURNAL_STREAM names stderr's device and inode),
// the journal adds its own timestamp, so ours is left out and the level travels as a syslog
// priority prefix ("<4>relay1: ..." for a warning). Control bytes in a message (a newline or an
// escape sequence in a string a client sent) are written as \xNN: one event, one line.
void setup_logging();
void set_log_level(const std::string& level);
bool stderr_is_journal();

}  // namespace hwb::app
