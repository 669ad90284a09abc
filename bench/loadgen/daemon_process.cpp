#include "daemon_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hwb::bench {

std::int64_t now_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void pin_to_cpu(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
}

namespace {

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool accepts(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

DaemonProcess::DaemonProcess(const std::string& binary, const std::string& map_yaml, const std::string& log_path,
                             int cpu) {
    map_path_ = log_path + ".map.yaml";
    {
        std::ofstream map(map_path_);
        map << map_yaml;
    }
    port_ = free_port();
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        pin_to_cpu(cpu);
        int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        execl(binary.c_str(), binary.c_str(), map_path_.c_str(), "--listen", listen.c_str(), nullptr);
        std::perror("exec hwbridge");
        _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts(port_)) {
        if (!alive() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("hwbridge did not start listening; see " + log_path);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

DaemonProcess::~DaemonProcess() {
    if (pid_ > 0) stop();
    ::unlink(map_path_.c_str());
}

bool DaemonProcess::alive() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

ProcSample DaemonProcess::sample() const {
    ProcSample s;
    s.at_us = now_us();
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close_paren = content.rfind(')');
    if (close_paren != std::string::npos) {
        std::istringstream fields(content.substr(close_paren + 2));
        std::string field;
        // Fields after the command name start at 3 (state); utime is 14, stime 15.
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i == 14 || i == 15) s.cpu_ticks += std::stoull(field);
            if (i == 15) s.sys_ticks = std::stoull(field);
        }
    }
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::stoull(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0) s.hwm_kb = std::stoull(line.substr(6));
    }
    std::ifstream rollup("/proc/" + std::to_string(pid_) + "/smaps_rollup");
    while (std::getline(rollup, line)) {
        if (line.rfind("Pss:", 0) == 0) s.pss_kb = std::stoull(line.substr(4));
        if (line.rfind("Anonymous:", 0) == 0) s.anon_kb = std::stoull(line.substr(10));
    }
    return s;
}

double DaemonProcess::cpu_percent(const ProcSample& a, const ProcSample& b) {
    double secs = static_cast<double>(b.at_us - a.at_us) / 1e6;
    if (secs <= 0) return 0;
    double cpu = static_cast<double>(b.cpu_ticks - a.cpu_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return 100.0 * cpu / secs;
}

double DaemonProcess::sys_percent(const ProcSample& a, const ProcSample& b) {
    double secs = static_cast<double>(b.at_us - a.at_us) / 1e6;
    if (secs <= 0) return 0;
    double cpu = static_cast<double>(b.sys_ticks - a.sys_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return 100.0 * cpu / secs;
}

int DaemonProcess::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

}  // namespace hwb::bench
