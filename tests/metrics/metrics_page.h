// Reading GET /metrics in the daemon tests: one sample's value by its exact series, and Prometheus'
// own linter on the whole page.
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

// The value of one series, `series` written as on the page (name{labels}); none if absent.
inline std::optional<double> sample_value(const std::string& page, const std::string& series) {
    const std::string key = "\n" + series + " ";
    const std::string text = "\n" + page;
    auto at = text.find(key);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(text.c_str() + at + key.size(), nullptr);
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
