// Runs the real hwbridge binary (HWB_BINARY, set by CTest) on a device map for integration tests:
// listens on an ephemeral loopback port read back from its log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hwb::test {

std::string source_dir();  // HWB_SOURCE_DIR
std::string binary_path();  // HWB_BINARY

// A temporary file removed at destruction.
class TempFile {
public:
    TempFile(const std::string& suffix, const std::string& content);
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
// Runs hwbridge to completion with `args` (e.g. --check MAP).
RunResult run_hwbridge(const std::vector<std::string>& args);

class Daemon {
public:
    // `listen`: a fixed address, to start a daemon again where clients reconnect to.
    explicit Daemon(const std::string& map_yaml, std::vector<std::string> extra_args = {},
                    const std::string& listen = "127.0.0.1:0");
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    std::uint16_t port() const { return port_; }
    const std::string& map_path() const { return map_.path(); }
    int pid() const { return pid_; }
    // Sends `signal` and waits for the exit; returns the exit code (128+N if killed by signal N).
    int stop(int signal, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
    std::string log() const;

private:
    TempFile map_;
    std::string log_path_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace hwb::test
