#include "app/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "core/text.h"

namespace hwb::app {

namespace {

// "<N>" with N the syslog priority of the level: the journal reads it as the message's priority
// (journalctl -p warning), and strips it from the text.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const char* prefix = "<6>";
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug: prefix = "<7>"; break;
            case spdlog::level::info: prefix = "<6>"; break;
            case spdlog::level::warn: prefix = "<4>"; break;
            case spdlog::level::err: prefix = "<3>"; break;
            case spdlog::level::critical: prefix = "<2>"; break;
            default: break;
        }
        dest.append(prefix, prefix + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

// The message with every control byte (newline, ESC, DEL, ...) written as \xNN, and cut after
// max_log_message_bytes: a string a client sent (a relay request's `client`, an Origin or
// subprotocol header, a URL) can neither forge a log line nor send escape sequences to the
// terminal of whoever reads the log, nor flood it. Every line of the daemon goes through it.
class EscapedMessageFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const std::string_view text(msg.payload.data(), msg.payload.size());
        const std::size_t shown = std::min(text.size(), max_log_message_bytes);
        // Runs of printable bytes go to `dest` as they are; only a control byte is rewritten.
        std::size_t run = 0;
        for (std::size_t i = 0; i < shown; ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c >= 0x20 && c != 0x7f) continue;
            dest.append(text.data() + run, text.data() + i);
            std::string escape = "\\x";  // fits the small-string buffer: no allocation
            append_hex_byte(escape, c);
            dest.append(escape.data(), escape.data() + escape.size());
            run = i + 1;
        }
        dest.append(text.data() + run, text.data() + shown);
        if (shown < text.size()) {
            const std::string note = " ... (" + std::to_string(text.size() - shown) + " more bytes not logged)";
            dest.append(note.data(), note.data() + note.size());
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedMessageFlag>(); }
};

}  // namespace

bool stderr_is_journal() {
    // systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected; a child that inherited the
    // variable but writes somewhere else (a terminal, a file) is not talking to the journal.
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    unsigned long long dev = 0, ino = 0;
    char extra = 0;
    if (std::sscanf(stream, "%llu:%llu%c", &dev, &ino, &extra) != 2) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

void setup_logging() {
    auto logger = spdlog::stderr_color_mt("hwbridge");
    spdlog::set_default_logger(logger);
    // %V: the message, escaped (EscapedMessageFlag).
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<EscapedMessageFlag>('V');
    if (stderr_is_journal()) {
        formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%V");
    } else {
        formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e [%^%l%$] %V");
    }
    spdlog::set_formatter(std::move(formatter));
    spdlog::flush_on(spdlog::level::info);
}

void set_log_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

}  // namespace hwb::app
