// The hwbridge daemon under test: started on a device map, pinned to its own core, measured
// through /proc (CPU time, resident memory), stopped with SIGTERM.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hwb::bench {

// Monotonic clock in microseconds, shared by the generator and its clients (one process).
std::int64_t now_us();

// Pins the calling thread (and what it forks) to one core; -1 leaves it as it is.
void pin_to_cpu(int cpu);

struct ProcSample {
    std::int64_t at_us = 0;
    std::uint64_t cpu_ticks = 0;  // utime + stime
    std::uint64_t sys_ticks = 0;  // stime: time in the kernel (mostly socket and pty I/O)
    std::uint64_t rss_kb = 0;     // VmRSS
    std::uint64_t hwm_kb = 0;     // VmHWM: peak resident set
    // From smaps_rollup: RSS counts every shared-library page the daemon touched in full; PSS
    // shares them out among the processes that map them; anonymous memory is the daemon's own.
    std::uint64_t pss_kb = 0;
    std::uint64_t anon_kb = 0;
};

class DaemonProcess {
public:
    // Writes `map_yaml` next to `log_path` and runs `binary MAP --listen 127.0.0.1:PORT [EXTRA...]`.
    DaemonProcess(const std::string& binary, const std::string& map_yaml, const std::string& log_path, int cpu,
                  const std::vector<std::string>& extra_args = {});
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    bool alive() const;
    ProcSample sample() const;
    // CPU use between two samples, in % of one core.
    static double cpu_percent(const ProcSample& a, const ProcSample& b);
    static double sys_percent(const ProcSample& a, const ProcSample& b);
    int stop();  // SIGTERM, wait; returns the exit status (128+N if killed by signal N)

private:
    std::string map_path_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace hwb::bench
