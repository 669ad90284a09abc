#include "client/hwb_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "launch.h"
#include "support/daemon.h"

extern char** environ;

namespace hwb::test {

namespace {

std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e)
        if (std::strncmp(*e, "HWB_", 4) != 0) env.emplace_back(*e);
    for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
    return env;
}

[[noreturn]] void exec_hwb(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    std::vector<char*> argv{const_cast<char*>("hwb")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const std::string path = hwb_path();
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
}

std::string temp_path(const char* suffix) {
    std::string pattern = std::string("/tmp/hwb-test-XXXXXX") + suffix;
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    int fd = mkstemps(buf.data(), static_cast<int>(std::strlen(suffix)));
    if (fd < 0) throw std::runtime_error("mkstemps failed");
    ::close(fd);
    return buf.data();
}

// Waits for `pid` up to `timeout`; -2 if it is still running.
int wait_pid(pid_t pid, std::chrono::milliseconds timeout, int* status_out) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            *status_out = status;
            return launch::exit_code(status);
        }
        if (std::chrono::steady_clock::now() >= deadline) return -2;
        std::this_thread::sleep_for(5ms);
    }
}

}  // namespace

std::string hwb_path() {
    // HWB_CLIENT_BINARY: a launcher (the arm64 build runs hwb under qemu-user, .ci/cross-arm64).
    if (const char* path = std::getenv("HWB_CLIENT_BINARY"); path != nullptr && *path != '\0') return path;
    return (std::filesystem::path(binary_path()).parent_path() / "hwb").string();
}

HwbResult run_hwb(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const std::string& stdin_text, std::chrono::milliseconds timeout) {
    const std::string in_path = temp_path(".in"), out_path = temp_path(".out"), err_path = temp_path(".err");
    std::ofstream(in_path) << stdin_text;
    const auto e = environment(env);
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(in_path.c_str(), O_RDONLY);
        int out = open(out_path.c_str(), O_WRONLY | O_TRUNC);
        int err = open(err_path.c_str(), O_WRONLY | O_TRUNC);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        exec_hwb(args, e);
    }
    int status = 0;
    HwbResult result;
    result.exit_code = wait_pid(pid, timeout, &status);
    if (result.exit_code == -2) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    result.out = launch::read_file(out_path);
    result.err = launch::read_file(err_path);
    unlink(in_path.c_str());
    unlink(out_path.c_str());
    unlink(err_path.c_str());
    return result;
}

HwbProcess::HwbProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env)
    : out_path_(temp_path(".out")), err_path_(temp_path(".err")) {
    const auto e = environment(env);
    pid_ = fork();
    if (pid_ == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path_.c_str(), O_WRONLY | O_TRUNC);
        int err = open(err_path_.c_str(), O_WRONLY | O_TRUNC);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        exec_hwb(args, e);
    }
}

HwbProcess::~HwbProcess() {
    if (!exited_) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
    }
    unlink(out_path_.c_str());
    unlink(err_path_.c_str());
}

int HwbProcess::wait(std::chrono::milliseconds timeout) {
    if (exited_) return launch::exit_code(status_);
    int code = wait_pid(pid_, timeout, &status_);
    exited_ = code != -2;
    return code;
}

bool HwbProcess::running() { return wait(0ms) == -2; }
std::string HwbProcess::out() const { return launch::read_file(out_path_); }
std::string HwbProcess::err() const { return launch::read_file(err_path_); }

HwbOnPty::HwbOnPty(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    const auto e = environment(env);
    winsize size{};
    size.ws_row = 40;
    size.ws_col = 120;
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ < 0) throw std::runtime_error("forkpty failed");
    if (pid_ == 0) exec_hwb(args, e);
    fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
}

HwbOnPty::~HwbOnPty() {
    if (!exited_) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
    }
    ::close(master_);
}

void HwbOnPty::type(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(master_, bytes.data() + done, bytes.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return;
        }
    }
}

bool HwbOnPty::read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{master_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) return false;  // EIO: the child closed the slave side
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
}

bool HwbOnPty::wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    return wait_for_count(text, 1, timeout);
}

bool HwbOnPty::wait_for_count(const std::string& text, std::size_t count, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::size_t found = 0;
        for (std::size_t at = output_.find(text); at != std::string::npos; at = output_.find(text, at + text.size())) ++found;
        if (found >= count) return true;
        if (!read_some(deadline)) return false;
    }
}

int HwbOnPty::wait(std::chrono::milliseconds timeout) {
    if (exited_) return launch::exit_code(status_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_some(std::min(deadline, std::chrono::steady_clock::now() + 50ms)) ||
           std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            while (read_some(std::chrono::steady_clock::now() + 20ms)) {
            }
            exited_ = true;
            status_ = status;
            return launch::exit_code(status);
        }
    }
    return -2;
}

}  // namespace hwb::test
