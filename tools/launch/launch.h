// Starting and stopping the hwbridge daemon from another program: shared by the integration
// tests (tests/support/daemon.*) and the benchmark's load generator (bench/loadgen).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hwb::launch {

// Runs `binary args...` with stdin from /dev/null and stdout/stderr written to the two files
// (they may be the same), emptied before this returns. `in_child` runs in the child before exec
// (e.g. pinning it to a core).
pid_t spawn(const std::string& binary, const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path, const std::function<void()>& in_child = {});

// Waits for the daemon's "listening on http(s)://HOST:PORT" line in `log_path` and returns PORT
// (started with --listen 127.0.0.1:0, the kernel picks it). Throws, with the log, when the
// process exited or `timeout` passed first.
std::uint16_t wait_listening(pid_t pid, const std::string& log_path, std::chrono::milliseconds timeout);

// Sends `signal` and waits up to `timeout`, then SIGKILL. Returns the exit code (128+N when
// killed by signal N), or -2 when it had to be killed after the timeout.
int stop(pid_t pid, int signal, std::chrono::milliseconds timeout);

// waitpid status -> exit code (128+N for signal N).
int exit_code(int status);

std::string read_file(const std::string& path);

}  // namespace hwb::launch
