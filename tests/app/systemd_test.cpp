// hwbridge as a systemd service, without systemd: the test plays the service manager. It listens on
// the notify socket the daemon is given in $NOTIFY_SOCKET, and hands it a $JOURNAL_STREAM that names
// (or does not name) the daemon's stderr, then checks what a service manager and the journal see.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon.h"

namespace hwb::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* map_yaml = R"(
bridge:
  name: Notify bench
devices:
  - id: bench
    driver: sim
relays:
  - id: lamp
    device: bench
    label: Lamp
    safe_state: off
)";

// The service manager's end of $NOTIFY_SOCKET: a datagram socket, by path or in the abstract namespace.
class NotifySocket {
public:
    explicit NotifySocket(bool abstract) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::string name = "/tmp/hwbridge-test-notify-" + std::to_string(::getpid());
        socklen_t length = 0;
        if (abstract) {
            name = "@hwbridge-test-notify-" + std::to_string(::getpid());
            std::memcpy(address.sun_path + 1, name.data() + 1, name.size() - 1);
            length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        } else {
            ::unlink(name.c_str());
            std::memcpy(address.sun_path, name.data(), name.size());
            length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
            path_ = name;
        }
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) throw std::runtime_error("bind failed");
        name_ = name;
    }
    ~NotifySocket() {
        ::close(fd_);
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    const std::string& name() const { return name_; }

    // The next datagram within `timeout`, if any.
    std::optional<std::string> receive(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }
    // The first datagram containing `what` within `timeout`; the ones before it are dropped.
    std::optional<std::string> wait_for(const std::string& what, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            auto message = receive(left);
            if (message && message->find(what) != std::string::npos) return message;
        }
        return std::nullopt;
    }

private:
    int fd_ = -1;
    std::string name_;
    std::string path_;
};

bool port_accepts(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    return ok;
}

class SystemdService : public ::testing::Test {
protected:
    void TearDown() override {
        for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"}) ::unsetenv(name);
    }
};

TEST_F(SystemdService, ReportsReadyOnlyOnceListeningAndStoppingOnSigterm) {
    NotifySocket manager(false);
    ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
    Daemon daemon(map_yaml);
    auto ready = manager.wait_for("READY=1", 10s);
    ASSERT_TRUE(ready) << daemon.log();
    EXPECT_NE(ready->find("STATUS=Notify bench: listening on port " + std::to_string(daemon.port())), std::string::npos)
        << *ready;
    EXPECT_TRUE(port_accepts(daemon.port()));  // "ready" means a browser can connect now

    ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
    auto stopping = manager.wait_for("STOPPING=1", 10s);
    ASSERT_TRUE(stopping) << daemon.log();
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST_F(SystemdService, NotifiesThroughAnAbstractSocket) {
    NotifySocket manager(true);
    ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
    Daemon daemon(map_yaml);
    EXPECT_TRUE(manager.wait_for("READY=1", 10s)) << daemon.log();
}

TEST_F(SystemdService, PingsTheWatchdogAtHalfItsPeriodFromTheEventLoop) {
    NotifySocket manager(false);
    ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
    // systemd would act after 2 s of silence; generous, so a loaded test machine cannot fake a miss.
    ::setenv("WATCHDOG_USEC", "2000000", 1);
    Daemon daemon(map_yaml);
    ASSERT_TRUE(manager.wait_for("READY=1", 10s)) << daemon.log();

    std::vector<std::chrono::steady_clock::time_point> pings;
    auto until = std::chrono::steady_clock::now() + 4500ms;
    while (std::chrono::steady_clock::now() < until) {
        auto message = manager.receive(100ms);
        if (message && *message == "WATCHDOG=1") pings.push_back(std::chrono::steady_clock::now());
    }
    // Every second: about 4 in 4.5 s. Never a gap the service manager would punish.
    ASSERT_GE(pings.size(), 3u) << daemon.log();
    EXPECT_LE(pings.size(), 8u);
    for (std::size_t i = 1; i < pings.size(); ++i) EXPECT_LT(pings[i] - pings[i - 1], 2000ms);

    // A stopped loop stops the pings: SIGSTOP freezes the process, and the watchdog goes quiet.
    ASSERT_EQ(::kill(daemon.pid(), SIGSTOP), 0);
    while (manager.receive(50ms)) {
    }
    EXPECT_FALSE(manager.receive(1500ms));
    ::kill(daemon.pid(), SIGCONT);
    EXPECT_TRUE(manager.wait_for("WATCHDOG=1", 3s));
}

TEST_F(SystemdService, IgnoresAWatchdogMeantForAnotherProcess) {
    NotifySocket manager(false);
    ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
    ::setenv("WATCHDOG_USEC", "200000", 1);
    ::setenv("WATCHDOG_PID", "1", 1);
    Daemon daemon(map_yaml);
    ASSERT_TRUE(manager.wait_for("READY=1", 10s)) << daemon.log();
    EXPECT_FALSE(manager.wait_for("WATCHDOG=1", 700ms));
}

TEST_F(SystemdService, RunsNormallyWhenTheNotifySocketIsGone) {
    ::setenv("NOTIFY_SOCKET", "/tmp/hwbridge-test-no-such-socket", 1);
    Daemon daemon(map_yaml);
    // The warning follows the "listening on" line the Daemon waited for (READY=1 is sent after it):
    // wait for it rather than read the log at once (under qemu-user it comes milliseconds later).
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (daemon.log().find("cannot notify systemd") == std::string::npos && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_NE(daemon.log().find("cannot notify systemd"), std::string::npos) << daemon.log();
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

// Starts hwbridge with stderr on a fresh file; `journal` decides whether $JOURNAL_STREAM names that
// file (as systemd does for a service) or another one (a variable inherited by a shell's child).
std::string log_of_one_run(bool journal) {
    TempFile map(".yaml", map_yaml);
    TempFile err(".log", "");
    int fd = ::open(err.path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    struct stat st {};
    ::fstat(fd, &st);
    std::string stream = journal ? std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)
                                 : std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fd, 2);
        ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
        ::setenv("NOTIFY_SOCKET", "/tmp/hwbridge-test-no-such-socket", 1);  // provokes one warning
        std::string bin = binary_path();
        std::vector<std::string> args = {bin, map.path(), "--listen", "127.0.0.1:0"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(bin.c_str(), argv.data());
        _exit(127);
    }
    ::close(fd);
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline && text.find("cannot notify systemd") == std::string::npos) {
        std::this_thread::sleep_for(10ms);
        std::ifstream in(err.path());
        std::stringstream s;
        s << in.rdbuf();
        text = s.str();
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::ifstream in(err.path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const std::regex timestamp(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");

TEST(JournalLogging, LinesCarryASyslogPriorityAndNoTimestampWhenStderrIsTheJournal) {
    std::string log = log_of_one_run(true);
    ASSERT_NE(log.find("listening on"), std::string::npos) << log;
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        ASSERT_GE(line.size(), 3u);
        EXPECT_EQ(line[0], '<') << line;
        EXPECT_EQ(line[2], '>') << line;
        EXPECT_EQ(line.find(" [info] "), std::string::npos) << line;
        EXPECT_FALSE(std::regex_search(line, timestamp)) << line;
    }
    EXPECT_NE(log.find("\n<6>hwbridge "), std::string::npos) << log;  // the summary, priority info
    EXPECT_NE(log.find("\n<4>cannot notify systemd"), std::string::npos) << log;  // a warning
}

TEST(JournalLogging, KeepsTimestampsWhenJournalStreamNamesAnotherFile) {
    std::string log = log_of_one_run(false);
    ASSERT_NE(log.find("listening on"), std::string::npos) << log;
    EXPECT_NE(log.find(" [info] hwbridge "), std::string::npos) << log;
    EXPECT_TRUE(std::regex_search(log, timestamp)) << log;
    EXPECT_NE(log.rfind("<", 0), 0u) << log;
}

}  // namespace
}  // namespace hwb::test
