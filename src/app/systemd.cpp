#include "app/systemd.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

#include "app/shutdown.h"

namespace hwb::app {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

// Digits only, no sign, no overflow; std::stoull would accept "-1" and " 12".
std::optional<unsigned long long> parse_unsigned(const std::string& text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    unsigned long long value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value;
}

}  // namespace

bool send_notify(std::string_view notify_socket, std::string_view message) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // "@name" is a socket in the abstract namespace: a leading NUL, not NUL-terminated.
    if (notify_socket.size() < 2 || notify_socket.size() >= sizeof(address.sun_path) ||
        (notify_socket[0] != '/' && notify_socket[0] != '@')) {
        errno = EINVAL;
        return false;
    }
    std::memcpy(address.sun_path, notify_socket.data(), notify_socket.size());
    if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + notify_socket.size() +
                                         (notify_socket[0] == '/' ? 1 : 0));
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    ssize_t sent = ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                            reinterpret_cast<const sockaddr*>(&address), length);
    return sent == static_cast<ssize_t>(message.size());
}

std::optional<std::chrono::microseconds> watchdog_period_from_environment() {
    auto usec = parse_unsigned(env("WATCHDOG_USEC"));
    if (!usec || *usec == 0) return std::nullopt;
    std::string pid = env("WATCHDOG_PID");
    if (!pid.empty()) {
        auto meant_for = parse_unsigned(pid);
        if (!meant_for || *meant_for != static_cast<unsigned long long>(::getpid())) return std::nullopt;
    }
    return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(*usec));
}

Systemd::Systemd(EventLoop& loop)
    : socket_(env("NOTIFY_SOCKET")), watchdog_period_(watchdog_period_from_environment()), watchdog_(loop, [this] {
          ping();
      }) {}

void Systemd::ready(std::string_view status) {
    notify("READY=1\nSTATUS=" + std::string(status));
    if (active() && watchdog_period_ && !watchdog_.active()) {
        spdlog::info("systemd watchdog: {} ms, pinging every {} ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_period_).count(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_period_ / 2).count());
        ping();
    }
}

void Systemd::status(std::string_view status) { notify("STATUS=" + std::string(status)); }

void Systemd::stopping(std::string_view status) { notify("STOPPING=1\nSTATUS=" + std::string(status)); }

void Systemd::reloading() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    auto usec = static_cast<long long>(now.tv_sec) * 1000000LL + now.tv_nsec / 1000;
    notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Systemd::ping() {
    notify("WATCHDOG=1");
    watchdog_.start(*watchdog_period_ / 2);
}

void Systemd::notify(const std::string& message) {
    if (!active()) return;
    if (!send_notify(socket_, message) && !warned_) {
        // Said once: a service manager that cannot be reached will not become reachable per message.
        warned_ = true;
        spdlog::warn("cannot notify systemd at {}: {}; continuing without it", socket_, std::strerror(errno));
    }
}

}  // namespace hwb::app
