#include "serial/termios_port.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace hwb::serial {

namespace {

struct BaudEntry {
    long rate;
    speed_t code;
};

constexpr std::array<BaudEntry, 30> baud_table{{
    {50, B50},         {75, B75},         {110, B110},       {134, B134},       {150, B150},
    {200, B200},       {300, B300},       {600, B600},       {1200, B1200},     {1800, B1800},
    {2400, B2400},     {4800, B4800},     {9600, B9600},     {19200, B19200},   {38400, B38400},
    {57600, B57600},   {115200, B115200}, {230400, B230400}, {460800, B460800}, {500000, B500000},
    {576000, B576000}, {921600, B921600}, {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
    {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
}};

speed_t baud_code(long baud) {
    for (const auto& e : baud_table)
        if (e.rate == baud) return e.code;
    return B0;
}

std::string errno_text(int error) { return std::strerror(error); }

Status configure(int fd, const LineSettings& s, const std::string& name) {
    termios tio{};
    if (tcgetattr(fd, &tio) != 0)
        return Error{"io", "port " + name + ": not a terminal (" + errno_text(errno) + ")"};
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    switch (s.data_bits) {
        case 5: tio.c_cflag |= CS5; break;
        case 6: tio.c_cflag |= CS6; break;
        case 7: tio.c_cflag |= CS7; break;
        default: tio.c_cflag |= CS8; break;
    }
    if (s.parity == Parity::even) tio.c_cflag |= PARENB;
    if (s.parity == Parity::odd) tio.c_cflag |= PARENB | PARODD;
    if (s.stop_bits == 2) tio.c_cflag |= CSTOPB;
    tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
    if (s.flow == FlowControl::rtscts) tio.c_cflag |= CRTSCTS;
    if (s.flow == FlowControl::xonxoff) tio.c_iflag |= IXON | IXOFF;
    // Non-blocking fd: reads return what is there; VMIN/VTIME only matter for blocking reads.
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    speed_t code = baud_code(s.baud);
    if (code == B0) return Error{"io", "port " + name + ": unsupported baud rate " + std::to_string(s.baud)};
    cfsetispeed(&tio, code);
    cfsetospeed(&tio, code);
    if (tcsetattr(fd, TCSANOW, &tio) != 0)
        return Error{"io", "port " + name + ": cannot apply line settings (" + errno_text(errno) + ")"};
    tcflush(fd, TCIOFLUSH);  // stale bytes from before we owned the port are not ours to parse
    return {};
}

// DTR and RTS right after open (Linux raises both on open). A port without modem lines (a pty)
// answers ENOTTY or EINVAL: noted, not an error, as the port works without them.
Status set_modem_lines(int fd, const LineSettings& s, const std::string& name, std::string& note) {
    note.clear();
    int raise = 0;
    int lower = 0;
    auto pick = [&](ModemLine line, int bit) {
        if (line == ModemLine::on) raise |= bit;
        if (line == ModemLine::off) lower |= bit;
    };
    pick(s.dtr, TIOCM_DTR);
    pick(s.rts, TIOCM_RTS);
    for (auto [request, bits] : {std::pair{TIOCMBIS, raise}, std::pair{TIOCMBIC, lower}}) {
        if (bits == 0 || ::ioctl(fd, request, &bits) == 0) continue;
        int e = errno;
        if (e == ENOTTY || e == EINVAL) {
            note = "port " + name + " has no modem control lines; 'dtr'/'rts' not applied";
            return {};
        }
        return Error{"io", "port " + name + ": cannot set DTR/RTS (" + errno_text(e) + ")"};
    }
    return {};
}

}  // namespace

bool is_supported_baud(long baud) { return baud_code(baud) != B0; }

std::string describe(const LineSettings& s) {
    std::string out = std::to_string(s.baud) + " " + std::to_string(s.data_bits);
    out += s.parity == Parity::none ? 'N' : s.parity == Parity::even ? 'E' : 'O';
    out += std::to_string(s.stop_bits);
    if (s.flow == FlowControl::rtscts) out += " rtscts";
    if (s.flow == FlowControl::xonxoff) out += " xonxoff";
    return out;
}

TermiosPort::TermiosPort(std::string name, Locate locate, LineSettings settings)
    : name_(std::move(name)), locate_(std::move(locate)), settings_(settings) {}

Status TermiosPort::open() {
    close();
    auto located = locate_();
    if (!located.ok()) return located.error();
    const std::string& path = located.value();
    // Follow /dev/serial/by-id links for the messages; open() itself would follow them too.
    char resolved[PATH_MAX];
    device_path_ = ::realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;

    UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO) return Error{"missing", "port " + name_ + " missing"};
        if (e == EBUSY) return Error{"busy", "port " + name_ + " is in use by another program"};
        return Error{"io", "port " + name_ + ": cannot open (" + errno_text(e) + ")"};
    }
    // flock works for every user (TIOCEXCL does not stop root); both together keep writers apart.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) return Error{"busy", "port " + name_ + " is in use by another program"};
        return Error{"io", "port " + name_ + ": cannot lock (" + errno_text(e) + ")"};
    }
    if (::ioctl(fd.get(), TIOCEXCL) != 0)
        return Error{"io", "port " + name_ + ": cannot get exclusive access (" + errno_text(errno) + ")"};
    if (auto configured = configure(fd.get(), settings_, name_); !configured.ok()) return configured;
    if (auto lines = set_modem_lines(fd.get(), settings_, name_, modem_note_); !lines.ok()) return lines;
    fd_ = std::move(fd);
    return {};
}

void TermiosPort::close() {
    if (!fd_) return;
    // The event loop watches a dup of this fd, which shares the lock: release it explicitly so a
    // reopen (ours or another program's) is not refused while the loop still closes its copy.
    ::ioctl(fd_.get(), TIOCNXCL);
    ::flock(fd_.get(), LOCK_UN);
    fd_.reset();
}

IoResult TermiosPort::read(std::span<char> into) {
    ssize_t n = ::read(fd_.get(), into.data(), into.size());
    if (n > 0) return {IoResult::Kind::ok, static_cast<std::size_t>(n), {}};
    if (n == 0) return {IoResult::Kind::disconnected, 0, "end of file"};
    if (errno == EAGAIN || errno == EINTR) return {IoResult::Kind::would_block, 0, {}};
    return {IoResult::Kind::disconnected, 0, errno == EIO ? std::string("EIO") : errno_text(errno)};
}

IoResult TermiosPort::write(std::span<const char> bytes) {
    ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n >= 0) return {IoResult::Kind::ok, static_cast<std::size_t>(n), {}};
    if (errno == EAGAIN || errno == EINTR) return {IoResult::Kind::would_block, 0, {}};
    return {IoResult::Kind::disconnected, 0, errno == EIO ? std::string("EIO") : errno_text(errno)};
}

}  // namespace hwb::serial
