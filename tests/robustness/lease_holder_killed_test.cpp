// A client holding a relay on with a lease is killed with SIGKILL (no close frame, no goodbye):
// the kernel closes its socket, the lease ends at once and the relay goes to its safe state, and
// every other client is told why.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

// In a child process: switch `relay` on with a 60 s lease, report the connection id on `ready_fd`,
// then wait to be killed.
[[noreturn]] void hold_lease(std::uint16_t port, const std::string& relay, int ready_fd) {
    WsClient client(port, "relay");
    auto hello = client.wait_type("hello");
    client.send_json({{"type", "set"}, {"id", 1}, {"channel", relay}, {"state", "on"}, {"lease_ms", 60000}});
    auto ack = client.wait_type("ack");
    std::string id = hello && ack && (*ack)["state"] == "on" ? (*hello)["client"].get<std::string>() : "failed";
    id += '\n';
    if (::write(ready_fd, id.data(), id.size()) < 0) _exit(2);
    for (;;) ::pause();
}

TEST(LeaseHolderKilled, RelayReturnsToSafeStateAndOthersSeeTheCause) {
    Daemon daemon(robustness_map());
    WsClient observer(daemon.port(), "relay");
    ASSERT_TRUE(observer.wait_type("hello"));

    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipe_fds[0]);
        hold_lease(daemon.port(), "pump", pipe_fds[1]);
    }
    ::close(pipe_fds[1]);
    std::string holder;
    char c = 0;
    while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n') holder += c;
    ::close(pipe_fds[0]);
    ASSERT_NE(holder, "failed");
    ASSERT_FALSE(holder.empty());

    auto on = observer.wait_for([](const nlohmann::json& m) { return m.value("type", "") == "state" && m["state"] == "on"; });
    ASSERT_TRUE(on) << "the observer did not see the pump switch on";
    ASSERT_TRUE((*on)["lease"].is_object());
    EXPECT_EQ((*on)["lease"]["client"], holder);

    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));

    // Well before the 60 s lease would run out: the connection's end ends the lease.
    auto off = observer.wait_for([](const nlohmann::json& m) { return m.value("type", "") == "state" && m["state"] == "off"; },
                                 std::chrono::seconds(5));
    ASSERT_TRUE(off) << "the pump stayed on after its lease holder was killed";
    EXPECT_EQ((*off)["channel"], "pump");
    EXPECT_EQ((*off)["cause"], "lease_expired");
    EXPECT_EQ((*off)["client"], holder);
    EXPECT_TRUE((*off)["lease"].is_null());
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hwb::test
