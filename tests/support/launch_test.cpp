// The daemon launcher shared by the tests and the benchmark (tools/launch).
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "launch.h"

namespace hwb::test {
namespace {

// A log path used again (the benchmark's rounds): the caller must never read the earlier run's
// lines, its port above all, even when the new process is slow to start.
TEST(Launch, TheLogOfAnEarlierRunIsGoneWhenSpawnReturns) {
    char path[] = "/tmp/hwb-launch-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << "[info] listening on http://127.0.0.1:1234\n";
    pid_t pid = launch::spawn("/bin/sh", {"-c", "echo started; sleep 5"}, path, path, [] { usleep(300000); });
    EXPECT_EQ(launch::read_file(path).find("1234"), std::string::npos);
    launch::stop(pid, SIGKILL, std::chrono::seconds(5));
    unlink(path);
}

}  // namespace
}  // namespace hwb::test
