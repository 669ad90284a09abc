#include "support/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hwb::test {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string make_temp(const std::string& suffix) {
    std::string pattern = "/tmp/hwbridge-test-XXXXXX" + suffix;
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    int fd = mkstemps(buf.data(), static_cast<int>(suffix.size()));
    if (fd < 0) throw std::runtime_error("mkstemps failed");
    ::close(fd);
    return buf.data();
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int out = open(out_path.c_str(), O_WRONLY | O_TRUNC | O_CREAT, 0600);
        int err = open(err_path.c_str(), O_WRONLY | O_TRUNC | O_CREAT, 0600);
        dup2(out, 1);
        dup2(err, 2);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        std::vector<char*> argv;
        std::string bin = binary_path();
        argv.push_back(bin.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(bin.c_str(), argv.data());
        _exit(127);
    }
    return pid;
}

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

TempFile::TempFile(const std::string& suffix, const std::string& content) : path_(make_temp(suffix)) {
    std::ofstream(path_) << content;
}
TempFile::~TempFile() { ::unlink(path_.c_str()); }

RunResult run_hwbridge(const std::vector<std::string>& args) {
    TempFile out(".out", ""), err(".err", "");
    pid_t pid = spawn(args, out.path(), err.path());
    int status = 0;
    waitpid(pid, &status, 0);
    return RunResult{exit_code(status), read_file(out.path()), read_file(err.path())};
}

Daemon::Daemon(const std::string& map_yaml, std::vector<std::string> extra_args)
    : map_(".yaml", map_yaml), log_path_(make_temp(".log")) {
    std::vector<std::string> args = {map_.path(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = spawn(args, "/dev/null", log_path_);
    static const std::regex listening(R"(listening on https?://127\.0\.0\.1:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        std::string text = read_file(log_path_);
        if (std::regex_search(text, m, listening)) {
            port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
            return;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("hwbridge exited during start-up:\n" + text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("hwbridge did not report its port within 10 s:\n" + read_file(log_path_));
}

Daemon::~Daemon() {
    if (pid_ > 0) stop(SIGKILL, std::chrono::milliseconds(5000));
    ::unlink(log_path_.c_str());
}

int Daemon::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return exit_code(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -2;  // did not stop in time
}

std::string Daemon::log() const { return read_file(log_path_); }

}  // namespace hwb::test
