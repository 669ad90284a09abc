// Running the hwb command from the tests: to completion with a given stdin and environment, in
// the background, or on a pseudo-terminal (a real one: forkpty) to drive it as a person would.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace hwb::test {

using namespace std::chrono_literals;

std::string hwb_path();  // HWB_CLIENT_BINARY, else next to the daemon in the build folder

struct HwbResult {
    int exit_code = -1;  // 128+N when killed by signal N; -2 after the timeout
    std::string out;
    std::string err;
};

// The environment of the test minus HWB_*, plus `env`.
HwbResult run_hwb(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                  const std::string& stdin_text = "", std::chrono::milliseconds timeout = 20s);

// hwb in the background; stdout and stderr go to files.
class HwbProcess {
public:
    HwbProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
    ~HwbProcess();
    HwbProcess(const HwbProcess&) = delete;
    HwbProcess& operator=(const HwbProcess&) = delete;

    pid_t pid() const { return pid_; }
    // The exit code, or -2 if it has not exited within `timeout` (it is then left running).
    int wait(std::chrono::milliseconds timeout);
    bool running();
    std::string out() const;
    std::string err() const;

private:
    pid_t pid_ = -1;
    int status_ = -1;
    bool exited_ = false;
    std::string out_path_, err_path_;
};

// hwb on a pseudo-terminal: stdin, stdout and stderr are the pty's slave side.
class HwbOnPty {
public:
    HwbOnPty(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
    ~HwbOnPty();
    HwbOnPty(const HwbOnPty&) = delete;
    HwbOnPty& operator=(const HwbOnPty&) = delete;

    void type(const std::string& bytes);
    // Reads until the output (everything so far) contains `text`; false on timeout or exit.
    bool wait_for(const std::string& text, std::chrono::milliseconds timeout = 5s);
    // Reads until the output so far satisfies `count` occurrences of `text`.
    bool wait_for_count(const std::string& text, std::size_t count, std::chrono::milliseconds timeout = 5s);
    const std::string& output() const { return output_; }
    int wait(std::chrono::milliseconds timeout);

private:
    bool read_some(std::chrono::steady_clock::time_point deadline);

    pid_t pid_ = -1;
    int master_ = -1;
    std::string output_;
    bool exited_ = false;
    int status_ = -1;
};

}  // namespace hwb::test
