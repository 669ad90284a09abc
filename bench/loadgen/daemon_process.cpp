#include "daemon_process.h"

#include "launch.h"

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

}  // namespace

DaemonProcess::DaemonProcess(const std::string& binary, const std::string& map_yaml, const std::string& log_path,
                             int cpu, const std::vector<std::string>& extra_args) {
    map_path_ = log_path + ".map.yaml";
    {
        std::ofstream map(map_path_);
        map << map_yaml;
    }
    std::vector<std::string> args{map_path_, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = launch::spawn(binary, args, log_path, log_path, [cpu] { pin_to_cpu(cpu); });
    try {
        port_ = launch::wait_listening(pid_, log_path, std::chrono::seconds(10));
    } catch (const std::exception& e) {
        launch::stop(pid_, SIGKILL, std::chrono::seconds(5));
        pid_ = -1;
        throw std::runtime_error(std::string("hwbridge did not start listening; see ") + log_path + ": " + e.what());
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
    int code = launch::stop(pid_, SIGTERM, std::chrono::seconds(10));
    pid_ = -1;
    return code;
}

}  // namespace hwb::bench
