// The hwb command against the real daemon over loopback: every command, its output formats on a
// pipe and on a pseudo-terminal, the exit status of each refusal, tokens and TLS, and leases held
// while a child command runs.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "auth/token.h"
#include "cli/cli.h"
#include "client/blocking.h"
#include "client/client_map.h"
#include "client/hwb_process.h"
#include "support/daemon.h"
#include "support/tls.h"

namespace hwb::test {
namespace {

using nlohmann::json;
using client::BlockingClient;
using client::Event;

std::string demo_map() {
    std::ifstream in(source_dir() + "/config/demo.yaml");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string url(const Daemon& d, const std::string& scheme = "http") {
    return scheme + "://127.0.0.1:" + std::to_string(d.port());
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

bool wait_file(const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    struct stat st{};
    while (stat(path.c_str(), &st) != 0 || st.st_size == 0) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

std::function<bool(const Event&)> state_of(const std::string& channel, const std::string& state) {
    return [=](const Event& e) {
        auto* m = std::get_if<client::StateMessage>(&e);
        return m != nullptr && m->channel == channel && m->state == state;
    };
}

client::Options watcher_options(const Daemon& d) {
    client::Options o;
    o.url = url(d);
    o.request_timeout = 5000ms;
    return o;
}

std::string temp_name(const std::string& tag) {
    return "/tmp/hwb-test-" + tag + "-" + std::to_string(getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

// ---- on the demo map ----

class HwbDemo : public ::testing::Test {
protected:
    Daemon daemon{demo_map()};
    std::map<std::string, std::string> env{{"HWB_URL", url(daemon)}};
};

TEST_F(HwbDemo, ChannelsPrintsEveryChannelWithKindLabelUnitAndState) {
    auto r = run_hwb({"channels"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 11u) << r.out;
    EXPECT_TRUE(std::regex_search(lines[0], std::regex("^ID +KIND +LABEL +UNIT +STATE$"))) << lines[0];
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\ntemperature +sensor +Temperature +°C +-?[0-9]+\\.[0-9]\n"))) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\npump +relay +Water pump +off\n"))) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\nstatus +text +Status display +online, read-only\n"))) << r.out;

    auto j = run_hwb({"channels", "--json"}, env);
    ASSERT_EQ(j.exit_code, 0) << j.err;
    auto list = json::parse(j.out);
    ASSERT_EQ(list.size(), 10u);
    EXPECT_EQ(list[0]["id"], "temperature");
    EXPECT_EQ(list[0]["kind"], "sensor");
    EXPECT_EQ(list[4]["kind"], "relay");
}

TEST_F(HwbDemo, GetPrintsOneValueForScripts) {
    auto t = run_hwb({"get", "temperature"}, env);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    double value = 0;
    EXPECT_NO_THROW(value = std::stod(t.out)) << t.out;
    EXPECT_TRUE(value > 10 && value < 35) << value;
    auto door = run_hwb({"get", "door"}, env);
    EXPECT_TRUE(door.out == "true\n" || door.out == "false\n") << door.out;
    EXPECT_EQ(run_hwb({"get", "pump"}, env).out, "off\n");
    auto j = run_hwb({"get", "pump", "--json"}, env);
    EXPECT_EQ(json::parse(j.out)["state"], "off");
    auto missing = run_hwb({"get", "nope"}, env);
    EXPECT_EQ(missing.exit_code, cli::exit_status::unknown_channel);
    EXPECT_NE(missing.err.find("unknown_channel"), std::string::npos) << missing.err;
}

TEST_F(HwbDemo, WatchPipedPrintsTheBridgesReadingsAsJsonLines) {
    auto r = run_hwb({"watch", "temperature", "--count", "5"}, env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 5u) << r.out;
    std::uint64_t last_seq = 0;
    for (const auto& line : lines) {
        auto m = json::parse(line);
        EXPECT_EQ(line.rfind("{\"type\":\"reading\",\"channel\":\"temperature\",", 0), 0u) << line;
        EXPECT_TRUE(m["value"].is_number());
        EXPECT_GT(m["seq"].get<std::uint64_t>(), last_seq);
        last_seq = m["seq"];
    }
    // All sensors, and an unknown one is refused.
    auto all = run_hwb({"watch", "--count", "20"}, env);
    std::set<std::string> seen;
    for (const auto& line : lines_of(all.out)) seen.insert(json::parse(line)["channel"]);
    EXPECT_EQ(seen, (std::set<std::string>{"temperature", "humidity", "pressure", "door"}));
    EXPECT_EQ(run_hwb({"watch", "nope"}, env).exit_code, cli::exit_status::unknown_channel);
}

TEST_F(HwbDemo, WatchOnATerminalRedrawsATableInPlace) {
    HwbOnPty watch({"watch", "temperature", "humidity"}, env);
    ASSERT_TRUE(watch.wait_for("SENSOR")) << watch.output();
    ASSERT_TRUE(watch.wait_for("Relative humidity")) << watch.output();
    // Redrawn over itself: the cursor goes back up the 3 lines drawn, never scrolling.
    ASSERT_TRUE(watch.wait_for_count("\x1b[3F", 3, 5s)) << watch.output();
    EXPECT_EQ(watch.output().find('{'), std::string::npos);
    EXPECT_TRUE(std::regex_search(watch.output(), std::regex("temperature +Temperature +-?[0-9]+\\.[0-9] +°C")))
        << watch.output();
    watch.type("\x03");  // Ctrl-C on the terminal
    EXPECT_EQ(watch.wait(5s), 0);
}

TEST_F(HwbDemo, RelaySetWaitsForTheConfirmedStateAndPrintsIt) {
    BlockingClient watcher{watcher_options(daemon)};
    ASSERT_TRUE(watcher.connect(ChannelKind::relay).ok());
    auto r = run_hwb({"relay", "set", "heater", "on"}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "heater on\n");
    EXPECT_TRUE(watcher.next_event(3s, state_of("heater", "on")).has_value());
    EXPECT_EQ(run_hwb({"relay", "toggle", "heater"}, env).out, "heater off\n");
    auto p = run_hwb({"relay", "pulse", "pump", "200ms", "--json"}, env);
    EXPECT_EQ(json::parse(p.out)["state"], "on");
    EXPECT_TRUE(watcher.next_event(3s, state_of("pump", "off")).has_value());
    EXPECT_EQ(run_hwb({"relay", "set", "pump", "maybe"}, env).exit_code, cli::exit_status::usage);
    EXPECT_EQ(run_hwb({"relay", "pulse", "pump", "forever"}, env).exit_code, cli::exit_status::usage);
}

TEST_F(HwbDemo, SendAndConsoleTalkToATextChannel) {
    BlockingClient watcher{watcher_options(daemon)};
    ASSERT_TRUE(watcher.open_text("console").ok());
    auto s = run_hwb({"send", "console", "hello", "bench", "--name", "script"}, env);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    auto tx = watcher.next_event(3s, [](const Event& e) {
        auto* l = std::get_if<client::LineMessage>(&e);
        return l != nullptr && l->dir == "tx";
    });
    ASSERT_TRUE(tx.has_value());
    EXPECT_EQ(std::get<client::LineMessage>(*tx).line, "hello bench");
    EXPECT_EQ(std::get<client::LineMessage>(*tx).by, "script");
    EXPECT_EQ(run_hwb({"send", "status", "x"}, env).exit_code, cli::exit_status::text_refused);
    // Piped input: each line is sent, the device's replies printed.
    auto piped = run_hwb({"console", "console"}, env, "one\ntwo\n");
    EXPECT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_NE(piped.out.find("echo: one\n"), std::string::npos) << piped.out;
    EXPECT_NE(piped.out.find("echo: two\n"), std::string::npos) << piped.out;
}

TEST_F(HwbDemo, ConsoleOnATerminalSendsTypedLinesAndExitsWithCtrlAThenCtrlX) {
    HwbOnPty console({"console", "console"}, env);
    ASSERT_TRUE(console.wait_for("C-a C-x")) << console.output();
    // Local echo is off (as in picocom): typed text is not shown, the device's echo is.
    console.type("ping");
    console.type("\r");
    ASSERT_TRUE(console.wait_for("echo: ping")) << console.output();
    EXPECT_EQ(console.output().find("\nping\r\n"), std::string::npos) << console.output();
    // C-a C-c: local echo on; what is typed appears as it is typed.
    console.type("\x01\x03");
    ASSERT_TRUE(console.wait_for("local echo: yes")) << console.output();
    console.type("abc");
    ASSERT_TRUE(console.wait_for("abc")) << console.output();
    console.type("\r");
    ASSERT_TRUE(console.wait_for("echo: abc")) << console.output();
    console.type("\x01\x18");
    EXPECT_EQ(console.wait(5s), 0) << console.output();
}

// ---- refusals and their exit statuses ----

class HwbRefusals : public ::testing::Test {
protected:
    Daemon daemon{client_test_map()};
    std::map<std::string, std::string> env{{"HWB_URL", url(daemon)}};
    int status(const std::vector<std::string>& args) { return run_hwb(args, env).exit_code; }
};

TEST_F(HwbRefusals, EachErrorCodeHasItsOwnExitStatus) {
    EXPECT_EQ(status({"relay", "set", "nope", "on"}), cli::exit_status::unknown_channel);
    EXPECT_EQ(status({"relay", "set", "forward", "on"}), 0);
    auto interlock = run_hwb({"relay", "set", "reverse", "on"}, env);
    EXPECT_EQ(interlock.exit_code, cli::exit_status::interlock);
    EXPECT_NE(interlock.err.find("refused: interlock: "), std::string::npos) << interlock.err;
    EXPECT_EQ(status({"relay", "set", "lamp", "on"}), 0);
    EXPECT_EQ(status({"relay", "set", "lamp", "off"}), cli::exit_status::too_soon);
    EXPECT_EQ(status({"relay", "set", "valve", "on"}), 0);
    EXPECT_EQ(status({"relay", "set", "valve", "off"}), cli::exit_status::hardware);
    EXPECT_EQ(status({"send", "display", "x"}), cli::exit_status::text_refused);
    EXPECT_EQ(status({"send", "console", std::string(65, 'x')}), cli::exit_status::text_refused);
    // busy: a second request while the slow valve is still switching (1.5 s). `pending` travels
    // in the hello: look until the first request is under way.
    HwbProcess first({"relay", "set", "slow", "on"}, env);
    bool pending = false;
    for (int i = 0; i < 100 && !pending; ++i) {
        BlockingClient look{watcher_options(daemon)};
        auto h = look.connect(ChannelKind::relay);
        pending = h.ok() && h.value().channels.back().fields.value("pending", false);
        if (!pending) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(pending);
    EXPECT_EQ(status({"relay", "set", "slow", "off"}), cli::exit_status::busy);
    EXPECT_EQ(first.wait(5s), 0);
}

TEST_F(HwbRefusals, UsageAndConnectionFailuresAreToldApart) {
    EXPECT_EQ(status({}), cli::exit_status::usage);
    EXPECT_EQ(status({"relay", "set", "pump"}), cli::exit_status::usage);
    EXPECT_EQ(status({"--url", "ftp://x", "channels"}), cli::exit_status::usage);
    EXPECT_EQ(run_hwb({"--token-file", "/nonexistent", "channels"}, env).exit_code, cli::exit_status::usage);
    const std::string port = std::to_string(daemon.port());
    daemon.stop(SIGTERM);
    auto r = run_hwb({"channels"}, env);
    EXPECT_EQ(r.exit_code, cli::exit_status::connection);
    EXPECT_NE(r.err.find("connect_failed"), std::string::npos) << r.err;
    EXPECT_EQ(status({"relay", "set", "pump", "on"}), cli::exit_status::connection);
    EXPECT_EQ(status({"watch"}), cli::exit_status::connection);
}

TEST(HwbRateLimit, ARelaySwitchedTooOftenIsRefusedWithItsStatus) {
    Daemon daemon{client_test_map("  limits: {switch_rate: 0.1, switch_burst: 1}\n")};
    const std::map<std::string, std::string> env{{"HWB_URL", url(daemon)}};
    EXPECT_EQ(run_hwb({"relay", "set", "pump", "on"}, env).exit_code, 0);
    auto again = run_hwb({"relay", "set", "pump", "off"}, env);
    EXPECT_EQ(again.exit_code, cli::exit_status::rate_limited) << again.err;
    EXPECT_NE(again.err.find("refused: rate_limited: "), std::string::npos) << again.err;
}

TEST(HwbOffline, AChannelWhoseDeviceIsMissingIsShownOfflineAndRefusedWithItsStatus) {
    Daemon daemon{"devices:\n"
                  "  - {id: board, driver: serial, port: /dev/hwb-test-no-such-port}\n"
                  "sensors:\n"
                  "  - {id: temp, device: board, pattern: '^T=(?<t>[-0-9.]+)$'}\n"
                  "relays:\n"
                  "  - {id: r1, device: board, on_command: 'R1 ON', off_command: 'R1 OFF'}\n"};
    const std::map<std::string, std::string> env{{"HWB_URL", url(daemon)}};
    auto listing = run_hwb({"channels"}, env);
    EXPECT_EQ(listing.exit_code, 0) << listing.err;
    EXPECT_TRUE(std::regex_search(listing.out, std::regex("\ntemp +sensor +temp +offline \\(port /dev/hwb-test-no-such-port missing.*\\)\n"))) << listing.out;
    auto get = run_hwb({"get", "temp"}, env);
    EXPECT_EQ(get.exit_code, cli::exit_status::offline) << get.err;
    auto set = run_hwb({"relay", "set", "r1", "on"}, env);
    EXPECT_EQ(set.exit_code, cli::exit_status::offline) << set.err;
    EXPECT_NE(set.err.find("refused: offline: "), std::string::npos) << set.err;
}

TEST(HwbExitStatus, EveryErrorCodeOfTheProtocolHasADocumentedStatus) {
    std::ifstream in(source_dir() + "/docs/protocol.md");
    std::string line;
    std::regex row("^\\| `([a-z_]+)` \\|");
    int codes = 0;
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, row)) continue;
        ++codes;
        EXPECT_NE(cli::exit_status_for(m[1]), cli::exit_status::refused) << m[1] << " has no exit status of its own";
    }
    EXPECT_GE(codes, 17);
    for (const char* code : {"interlock", "too_soon", "no_lease"})
        EXPECT_NE(cli::exit_status_for(code), cli::exit_status::refused) << code;
    EXPECT_EQ(cli::exit_status_for("something_new"), cli::exit_status::refused);
    // And --help lists them.
    auto help = run_hwb({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("Exit status:"), std::string::npos);
    EXPECT_NE(help.out.find("  7  interlock"), std::string::npos) << help.out;
}

// ---- tokens and TLS ----

TEST(HwbAuth, TheTokenComesFromTheOptionTheEnvironmentOrAFile) {
    const std::string machine = auth::new_machine_token();
    Daemon daemon{client_test_map("", "auth:\n  machine_tokens:\n    - name: plc\n      sha256: " +
                                          auth::token_sha256_hex(machine) + "\n      role: operator\n      channels: [pump]\n")};
    const std::map<std::string, std::string> env{{"HWB_URL", url(daemon)}};
    auto none = run_hwb({"relay", "set", "pump", "on"}, env);
    EXPECT_EQ(none.exit_code, cli::exit_status::auth);
    EXPECT_NE(none.err.find("unauthorized"), std::string::npos) << none.err;
    EXPECT_EQ(run_hwb({"relay", "set", "pump", "on", "--token", "hwbm_" + std::string(43, 'B')}, env).exit_code,
              cli::exit_status::auth);
    EXPECT_EQ(run_hwb({"relay", "set", "pump", "on", "--token", machine}, env).exit_code, 0);
    auto with_env = env;
    with_env["HWB_TOKEN"] = machine;
    EXPECT_EQ(run_hwb({"relay", "set", "pump", "off"}, with_env).exit_code, 0);
    TempFile file(".token", machine + "\n");
    EXPECT_EQ(run_hwb({"get", "pump", "--token-file", file.path()}, env).out, "off\n");
    // The token's scope: only the pump.
    auto forbidden = run_hwb({"relay", "set", "valve", "on", "--token", machine}, env);
    EXPECT_EQ(forbidden.exit_code, cli::exit_status::forbidden);
    EXPECT_EQ(forbidden.err.find(machine), std::string::npos) << "the token must not be printed";
}

TEST(HwbTls, HttpsWithTheBridgesCaAndNotWithout) {
    SelfSignedCert cert;
    Daemon daemon{client_test_map("  tls:\n    cert: " + cert.cert() + "\n    key: " + cert.key() + "\n")};
    auto ok = run_hwb({"--url", url(daemon, "https"), "--ca", cert.cert(), "relay", "set", "pump", "on"});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, "pump on\n");
    auto untrusted = run_hwb({"--url", url(daemon, "https"), "get", "pump"});
    EXPECT_EQ(untrusted.exit_code, cli::exit_status::connection) << untrusted.err;
    auto plain = run_hwb({"--url", url(daemon, "http"), "get", "pump"});
    EXPECT_EQ(plain.exit_code, cli::exit_status::connection) << plain.err;
}

TEST(HwbMap, TheDefaultAddressComesFromTheDeviceMap) {
    Daemon daemon{client_test_map()};
    TempFile map(".yaml", "bridge:\n  listen: 0.0.0.0:" + std::to_string(daemon.port()) + "\n");
    auto r = run_hwb({"--map", map.path(), "get", "pump"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "off\n");
}

// ---- leases held while a command runs ----

class HwbLease : public ::testing::Test {
protected:
    Daemon daemon{client_test_map()};
    std::map<std::string, std::string> env{{"HWB_URL", url(daemon)}};
    BlockingClient watcher{watcher_options(daemon)};
    std::string started = temp_name("started");
    std::string release = temp_name("release");

    void SetUp() override { ASSERT_TRUE(watcher.connect(ChannelKind::relay).ok()); }
    void TearDown() override {
        unlink(started.c_str());
        unlink(release.c_str());
    }
    std::string pump_state() {
        watcher.pump(20ms);
        return watcher.client().hello(ChannelKind::relay)->channels[0].value.get<std::string>();
    }
};

TEST_F(HwbLease, TheRelayIsHeldWhileTheCommandRunsAndReleasedWhenItExits) {
    HwbProcess hwb({"relay", "set", "pump", "on", "--lease", "1s", "--", "sh", "-c",
                    "echo $$ > " + started + "; while [ ! -e " + release + " ]; do sleep 0.05; done; exit 5"},
                   env);
    ASSERT_TRUE(wait_file(started, 5s)) << hwb.err();
    EXPECT_EQ(pump_state(), "on");
    // Three lease lengths: the pump stays on while the command runs.
    watcher.pump(3000ms);
    EXPECT_FALSE(watcher.next_event(0ms, state_of("pump", "off")).has_value());
    EXPECT_EQ(pump_state(), "on");
    std::ofstream(release) << "go";
    EXPECT_EQ(hwb.wait(5s), 5) << hwb.err();  // the command's own status
    EXPECT_EQ(hwb.out(), "pump on\n");
    auto off = watcher.next_event(3s, state_of("pump", "off"));
    ASSERT_TRUE(off.has_value());
    EXPECT_EQ(std::get<client::StateMessage>(*off).cause, "lease_expired");
}

TEST_F(HwbLease, TheRelayIsReleasedWhenTheCommandIsKilled) {
    HwbProcess hwb({"relay", "set", "pump", "on", "--lease", "2s", "--", "sh", "-c", "echo $$ > " + started + "; exec sleep 60"},
                   env);
    ASSERT_TRUE(wait_file(started, 5s)) << hwb.err();
    EXPECT_EQ(pump_state(), "on");
    std::ifstream in(started);
    pid_t child = 0;
    in >> child;
    ASSERT_GT(child, 0);
    kill(child, SIGKILL);
    EXPECT_EQ(hwb.wait(5s), 128 + SIGKILL);
    EXPECT_TRUE(watcher.next_event(3s, state_of("pump", "off")).has_value());
}

TEST_F(HwbLease, WhenHwbItselfIsKilledTheBridgeReleasesTheRelayAndTheCommandIsStopped) {
    HwbProcess hwb({"relay", "set", "pump", "on", "--lease", "30s", "--", "sh", "-c", "echo $$ > " + started + "; exec sleep 60"},
                   env);
    ASSERT_TRUE(wait_file(started, 5s)) << hwb.err();
    std::ifstream in(started);
    pid_t child = 0;
    in >> child;
    EXPECT_EQ(pump_state(), "on");
    kill(hwb.pid(), SIGKILL);
    EXPECT_EQ(hwb.wait(5s), 128 + SIGKILL);
    // Long before the 30 s lease runs out: the connection closed.
    EXPECT_TRUE(watcher.next_event(3s, state_of("pump", "off")).has_value());
    // The command got SIGTERM: it must not go on believing it holds the pump. Its parent (hwb)
    // is gone, so it is reaped by whatever adopts it; where that is no real init (a PID namespace
    // whose first process is the test runner, as in .ci/in-root) it stays a zombie: dead all the same.
    auto dead = [child] {
        if (kill(child, 0) != 0) return true;
        std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
        std::string line;
        std::getline(stat, line);
        auto close = line.rfind(')');
        return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
    };
    bool gone = false;
    for (int i = 0; i < 300 && !gone; ++i) {
        gone = dead();
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(gone);
}

TEST_F(HwbLease, WithoutACommandTheLeaseIsHeldUntilHwbIsInterrupted) {
    HwbProcess hwb({"relay", "set", "pump", "on", "--lease", "1s"}, env);
    ASSERT_TRUE(watcher.next_event(5s, state_of("pump", "on")).has_value()) << hwb.err();
    watcher.pump(2500ms);
    EXPECT_EQ(pump_state(), "on");
    EXPECT_TRUE(hwb.running());
    kill(hwb.pid(), SIGTERM);
    EXPECT_EQ(hwb.wait(5s), 0) << hwb.err();
    EXPECT_TRUE(watcher.next_event(3s, state_of("pump", "off")).has_value());
}

TEST_F(HwbLease, ALeaseEndedByAnotherClientStopsTheCommand) {
    HwbProcess hwb({"relay", "set", "pump", "on", "--lease", "5s", "--", "sh", "-c", "echo $$ > " + started + "; exec sleep 60"},
                   env);
    ASSERT_TRUE(wait_file(started, 5s)) << hwb.err();
    ASSERT_TRUE(run_hwb({"relay", "set", "pump", "off"}, env).exit_code == 0);
    EXPECT_EQ(hwb.wait(5s), cli::exit_status::lease_lost);
    EXPECT_NE(hwb.err().find("lease on 'pump' lost"), std::string::npos) << hwb.err();
}

// ---- reconnection ----

TEST(HwbReconnect, WatchGoesOnAfterTheDaemonRestarts) {
    auto first = std::make_unique<Daemon>(client_test_map());
    const std::string listen = "127.0.0.1:" + std::to_string(first->port());
    HwbProcess watch({"watch", "door", "--json"}, {{"HWB_URL", url(*first)}});
    auto lines = [&] { return lines_of(watch.out()).size(); };
    for (int i = 0; i < 300 && lines() < 3; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_GE(lines(), 3u) << watch.err();
    first->stop(SIGTERM);
    for (int i = 0; i < 300 && watch.err().find("reconnecting") == std::string::npos; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_NE(watch.err().find("reconnecting"), std::string::npos);
    const std::size_t before = lines();
    Daemon second{client_test_map(), {}, listen};
    for (int i = 0; i < 1000 && lines() < before + 3; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_GE(lines(), before + 3) << watch.err();
    EXPECT_NE(watch.err().find("reconnected"), std::string::npos) << watch.err();
    for (const auto& line : lines_of(watch.out())) EXPECT_EQ(json::parse(line)["channel"], "door");
    EXPECT_TRUE(watch.running());
}

}  // namespace
}  // namespace hwb::test
