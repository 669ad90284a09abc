#include "pty_pair.h"

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <stdexcept>

namespace hwb::bench {

PtyPair::PtyPair(bool keep_slave) {
    if (openpty(&master_, &slave_, nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty failed");
    termios tio{};
    tcgetattr(slave_, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave_, TCSANOW, &tio);
    path_ = ttyname(slave_);
    fcntl(master_, F_SETFD, FD_CLOEXEC);
    fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
    if (!keep_slave) {
        ::close(slave_);
        slave_ = -1;
    }
}

PtyPair::~PtyPair() {
    if (slave_ >= 0) ::close(slave_);
    ::close(master_);
}

}  // namespace hwb::bench
