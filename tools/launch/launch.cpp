#include "launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hwb::launch {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

pid_t spawn(const std::string& binary, const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path, const std::function<void()>& in_child) {
    // Everything exec needs is prepared before fork: the child only redirects and execs. The
    // output files are opened (emptied) here, not in the child: a caller reading the log at once
    // (wait_listening) must never see what an earlier run with the same log path wrote, such as
    // that run's port (the bench then connected to a closed port).
    const int out = open(out_path.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600);
    const int err = out_path == err_path ? out : open(err_path.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    std::string bin = binary;
    argv.push_back(bin.data());
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        if (out >= 0) close(out);
        if (err >= 0 && err != out) close(err);
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        // The daemon dies with the program that started it (a test killed half-way leaves no
        // daemon holding ports and serial locks).
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (in_child) in_child();
        if (out >= 0) dup2(out, 1);  // dup2 clears close-on-exec on the copies
        if (err >= 0) dup2(err, 2);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        execv(bin.c_str(), argv.data());
        _exit(127);
    }
    if (out >= 0) close(out);
    if (err >= 0 && err != out) close(err);
    return pid;
}

namespace {
// The port in "... listening on http://127.0.0.1:8080 ..." (https too, any host); 0 if absent.
std::uint16_t listening_port(const std::string& log) {
    const std::string marker = "listening on http";
    for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
        auto scheme_end = log.find("://", at);
        if (scheme_end == std::string::npos) return 0;
        auto end = log.find_first_of(" \n", scheme_end);
        std::string address = log.substr(scheme_end + 3, end == std::string::npos ? std::string::npos : end - scheme_end - 3);
        auto colon = address.rfind(':');
        if (colon == std::string::npos) continue;
        std::size_t digits = 0;
        while (colon + 1 + digits < address.size() && std::isdigit(static_cast<unsigned char>(address[colon + 1 + digits]))) ++digits;
        if (digits == 0 || digits > 5) continue;
        int port = std::stoi(address.substr(colon + 1, digits));
        if (port > 0 && port < 65536) return static_cast<std::uint16_t>(port);
    }
    return 0;
}
}  // namespace

std::uint16_t wait_listening(pid_t pid, const std::string& log_path, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::string text = read_file(log_path);
        if (auto port = listening_port(text)) return port;
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid)
            throw std::runtime_error("hwbridge exited during start-up (" + std::to_string(exit_code(status)) + "):\n" + text);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("hwbridge did not report its port within " + std::to_string(timeout.count()) + " ms:\n" +
                             read_file(log_path));
}

int stop(pid_t pid, int signal, std::chrono::milliseconds timeout) {
    ::kill(pid, signal);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) return exit_code(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -2;
}

}  // namespace hwb::launch
