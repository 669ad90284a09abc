#include "pty_device.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace hwb::test {

PtyDevice::PtyDevice() {
    char dir[] = "/tmp/hwb-serial-XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    link_ = dir_ + "/ttyDEV";
    plug();
}

PtyDevice::~PtyDevice() {
    unplug();
    ::unlink(link_.c_str());
    ::rmdir(dir_.c_str());
}

void PtyDevice::plug() {
    unplug();
    int master = -1;
    int slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty failed");
    // Raw from the start, so nothing is echoed or translated before hwbridge configures it.
    termios tio{};
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    std::string target = ttyname(slave);
    ::close(slave);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    master_ = master;
    std::string tmp = link_ + ".new";
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link_.c_str()) != 0)
        throw std::runtime_error("cannot point " + link_ + " at " + target);
}

void PtyDevice::unplug() {
    if (master_ >= 0) ::close(master_);
    master_ = -1;
}

void PtyDevice::write(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(master_, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("write to pty master failed");
        }
        done += static_cast<std::size_t>(n);
    }
}

std::string PtyDevice::read(std::size_t expected, std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < expected) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{master_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(master_, buf, sizeof buf);
        if (n <= 0) {
            // EIO while hwbridge has the slave closed: wait a little and try again.
            ::usleep(10000);
            continue;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::string PtyDevice::read_until(const std::string& text, std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        out += read(1, left);
    }
    return out;
}

}  // namespace hwb::test
