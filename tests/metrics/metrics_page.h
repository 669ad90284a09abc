// Reading GET /metrics in the daemon tests: Prometheus' own linter on the whole page (one sample's
// value: metric_value in support/ws_client.h).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace hwb::test {

// Runs a shell command; its exit status and what it printed (stdout and stderr).
inline std::pair<int, std::string> run_command(const std::string& command) {
    std::string out;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return {-1, ""};
    char buffer[4096];
    while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// `promtool check metrics` on the page: its exit status and remarks (none when clean).
inline std::pair<int, std::string> promtool_check(const std::string& page) {
    char name[] = "/tmp/hwb-metrics-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) return {-1, "mkstemp failed"};
    bool written = write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size());
    close(fd);
    auto result = written ? run_command(std::string("promtool check metrics < ") + name) : std::pair{-1, std::string("write failed")};
    std::remove(name);
    return result;
}

}  // namespace hwb::test
