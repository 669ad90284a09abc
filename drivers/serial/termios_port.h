// The termios backend: opens a tty (real or pseudo-terminal) non-blocking, close-on-exec and
// exclusively (flock + TIOCEXCL), in raw mode with the configured line settings.
#pragma once

#include <functional>
#include <string>

#include "serial/port.h"

namespace hwb::serial {

class TermiosPort final : public SerialPort {
public:
    // `locate` gives the device path at each open (a fixed path, or the result of a USB match).
    using Locate = std::function<Result<std::string>()>;
    TermiosPort(std::string name, Locate locate, LineSettings settings);
    ~TermiosPort() override { close(); }

    Status open() override;
    void close() override;
    bool is_open() const override { return static_cast<bool>(fd_); }
    int fd() const override { return fd_.get(); }
    IoResult read(std::span<char> into) override;
    IoResult write(std::span<const char> bytes) override;
    std::string name() const override { return name_; }
    // The path opened last (after following symlinks), for logs.
    const std::string& device_path() const { return device_path_; }
    // Set by open() when `dtr`/`rts` were asked for and the port has no modem control lines (a
    // pseudo-terminal, some UARTs): what was not applied. The port works without them.
    const std::string& modem_note() const { return modem_note_; }

private:
    std::string name_;
    Locate locate_;
    LineSettings settings_;
    UniqueFd fd_;
    std::string device_path_;
    std::string modem_note_;
};

// Whether `baud` is a rate termios can set.
bool is_supported_baud(long baud);

}  // namespace hwb::serial
