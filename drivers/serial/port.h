// A serial port as the serial device sees it: open/close, a pollable fd, non-blocking read/write.
// Real ports and pseudo-terminals both go through the termios backend (termios_port.h);
// libserialport is used only to find ports (port_finder.h), since it cannot open ptys.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"

namespace hwb::serial {

// Owns one file descriptor; closes it when destroyed.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

enum class Parity : std::uint8_t { none, even, odd };
enum class FlowControl : std::uint8_t { none, rtscts, xonxoff };
// A modem control line (DTR, RTS) right after open: as the system left it, raised or lowered.
enum class ModemLine : std::uint8_t { keep, on, off };

struct LineSettings {
    int baud = 115200;
    int data_bits = 8;
    Parity parity = Parity::none;
    int stop_bits = 1;
    FlowControl flow = FlowControl::none;
    ModemLine dtr = ModemLine::keep;
    ModemLine rts = ModemLine::keep;
};
// "115200 8N1", "9600 7E2 rtscts"
std::string describe(const LineSettings& settings);

// Outcome of one non-blocking read or write.
struct IoResult {
    enum class Kind : std::uint8_t { ok, would_block, disconnected };
    Kind kind = Kind::ok;
    std::size_t bytes = 0;
    std::string error;  // for disconnected: what happened ("EIO", "hang-up", ...)
};

// Error codes of SerialPort::open (Error::code): "missing" (no such port / no USB match),
// "busy" (another program holds it), "io" (anything else: permissions, not a tty, bad settings).
class SerialPort {
public:
    virtual ~SerialPort() = default;
    virtual Status open() = 0;
    virtual void close() = 0;
    virtual bool is_open() const = 0;
    virtual int fd() const = 0;
    virtual IoResult read(std::span<char> into) = 0;
    virtual IoResult write(std::span<const char> bytes) = 0;
    // What the port is, for logs and status reasons: "/dev/ttyUSB0" or "USB 2341:0043 (serial 95530)".
    virtual std::string name() const = 0;
};

}  // namespace hwb::serial
