// The examples of docs/clients.md, run as they are printed there against the demo map: the Python
// client (Debian's python3-websockets) and the JavaScript one (Node.js's WebSocket).
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "client/blocking.h"
#include "support/daemon.h"
#include "launch.h"

namespace hwb::test {
namespace {

using namespace std::chrono_literals;

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The first fenced block of `language` in docs/clients.md.
std::string doc_block(const std::string& language) {
    const std::string doc = read(source_dir() + "/docs/clients.md");
    const std::string fence = "```" + language + "\n";
    const auto start = doc.find(fence);
    if (start == std::string::npos) return {};
    const auto end = doc.find("\n```", start + fence.size());
    return doc.substr(start + fence.size(), end - start - fence.size() + 1);
}

std::function<bool(const client::Event&)> state_of(const std::string& channel, const std::string& state) {
    return [=](const client::Event& e) {
        auto* m = std::get_if<client::StateMessage>(&e);
        return m != nullptr && m->channel == channel && m->state == state;
    };
}

struct Run {
    int exit_code = -1;
    std::string out, err;
};

Run run(const std::string& program, const std::vector<std::string>& args) {
    TempFile out(".out", ""), err(".err", "");
    pid_t pid = launch::spawn(program, args, out.path(), err.path());
    int code = launch::stop(pid, 0, 30s);  // signal 0: just wait
    return Run{code, read(out.path()), read(err.path())};
}

class ClientsDoc : public ::testing::Test {
protected:
    Daemon daemon{read(source_dir() + "/config/demo.yaml")};
    std::string ws = "ws://127.0.0.1:" + std::to_string(daemon.port());
    client::BlockingClient watcher{[&] {
        client::Options o;
        o.url = ws;
        return o;
    }()};
};

TEST_F(ClientsDoc, ThePythonExampleHoldsTheRelayWhileItRunsAndTheBridgeReleasesItAfter) {
    const std::string code = doc_block("python");
    ASSERT_NE(code.find("import websockets"), std::string::npos);
    TempFile script(".py", code);
    ASSERT_TRUE(watcher.connect(ChannelKind::relay).ok());
    // Always "warm": the fan goes on at the first reading and is held by renewals for 3 s, three
    // lease lengths; then the script closes its connections.
    auto r = run(HWB_TEST_PYTHON3, {script.path(), "--url", ws, "--sensor", "temperature", "--relay", "fan", "--above",
                                    "-100", "--lease", "1", "--seconds", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("fan on (lease 1 s)\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("temperature "), std::string::npos) << r.out;
    auto on = watcher.next_event(1s, state_of("fan", "on"));
    ASSERT_TRUE(on.has_value());
    auto off = watcher.next_event(3s, state_of("fan", "off"));
    ASSERT_TRUE(off.has_value());
    // Off only when the script let go, not because a renewal was missed while it ran.
    EXPECT_EQ(std::get<client::StateMessage>(*off).cause, "lease_expired");
    EXPECT_GE(std::get<client::StateMessage>(*off).time_ms.value_or(0) -
                  std::get<client::StateMessage>(*on).time_ms.value_or(0),
              2500);

    auto refused = run(HWB_TEST_PYTHON3, {script.path(), "--url", ws, "--sensor", "nope", "--seconds", "3"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("refused: unknown_channel"), std::string::npos) << refused.err;
}

TEST_F(ClientsDoc, TheJavaScriptExampleTogglesWithALeaseAndLogsReadings) {
    if (access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/node on this machine";
    const std::string code = doc_block("js");
    ASSERT_NE(code.find("new WebSocket"), std::string::npos);
    TempFile script(".mjs", code);
    ASSERT_TRUE(watcher.connect(ChannelKind::relay).ok());
    auto r = run("/usr/bin/node", {"--experimental-websocket", "--no-warnings", script.path(), ws, "pump", "temperature"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("pump on\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("temperature "), std::string::npos) << r.out;
    EXPECT_TRUE(watcher.next_event(1s, state_of("pump", "on")).has_value());
    auto off = watcher.next_event(3s, state_of("pump", "off"));
    ASSERT_TRUE(off.has_value());
    EXPECT_EQ(std::get<client::StateMessage>(*off).cause, "lease_expired");
}

}  // namespace
}  // namespace hwb::test
