#include "support/daemon.h"

#include "launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace hwb::test {

namespace {

std::string make_temp(const std::string& suffix) {
    std::string pattern = "/tmp/hwbridge-test-XXXXXX" + suffix;
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    int fd = mkstemps(buf.data(), static_cast<int>(suffix.size()));
    if (fd < 0) throw std::runtime_error("mkstemps failed");
    ::close(fd);
    return buf.data();
}

}  // namespace

TempFile::TempFile(const std::string& suffix, const std::string& content) : path_(make_temp(suffix)) {
    std::ofstream(path_) << content;
}
TempFile::~TempFile() { ::unlink(path_.c_str()); }

RunResult run_hwbridge(const std::vector<std::string>& args) {
    TempFile out(".out", ""), err(".err", "");
    pid_t pid = launch::spawn(binary_path(), args, out.path(), err.path());
    int status = 0;
    waitpid(pid, &status, 0);
    return RunResult{launch::exit_code(status), launch::read_file(out.path()), launch::read_file(err.path())};
}

Daemon::Daemon(const std::string& map_yaml, std::vector<std::string> extra_args, const std::string& listen)
    : map_(".yaml", map_yaml), log_path_(make_temp(".log")) {
    std::vector<std::string> args = {map_.path(), "--listen", listen};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = launch::spawn(binary_path(), args, "/dev/null", log_path_);
    try {
        port_ = launch::wait_listening(pid_, log_path_, std::chrono::seconds(10));
    } catch (...) {
        launch::stop(pid_, SIGKILL, std::chrono::seconds(5));
        pid_ = -1;
        ::unlink(log_path_.c_str());
        throw;
    }
}

Daemon::~Daemon() {
    if (pid_ > 0) stop(SIGKILL, std::chrono::milliseconds(5000));
    ::unlink(log_path_.c_str());
}

int Daemon::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    int code = launch::stop(pid_, signal, timeout);
    pid_ = -1;
    return code;
}

std::string Daemon::log() const { return launch::read_file(log_path_); }

}  // namespace hwb::test
