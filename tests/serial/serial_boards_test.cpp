// Serial devices as real boards behave (issue 19), against the real hwbridge on pseudo-terminals
// with real WebSocket clients: a board that streams without pause while the bridge starts,
// restarts and reopens; a relay board that answers queries; a board that resets when the port
// opens and ignores input for a while. Test threads play the boards.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "pty_device.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;

json board_channel(const json& hello, const std::string& id) {
    for (const auto& c : hello["channels"])
        if (c["id"] == id) return c;
    return nullptr;
}

std::unique_ptr<WsClient> board_client(const Daemon& d, const std::string& subprotocol, json& hello) {
    auto c = std::make_unique<WsClient>(d.port(), subprotocol);
    EXPECT_TRUE(c->ok());
    auto h = c->wait_type("hello");
    EXPECT_TRUE(h);
    if (h) hello = *h;
    return c;
}

bool is_status(const json& m, const std::string& id, bool online) {
    return m["type"] == "status" && m["channel"] == id && m["online"] == online;
}

bool board_online(WsClient& c, const json& hello, const std::string& id, std::chrono::milliseconds timeout = 10000ms) {
    auto ch = board_channel(hello, id);
    if (ch != nullptr && ch["online"] == true) return true;
    return c.wait_for([&](const json& m) { return is_status(m, id, true); }, timeout).has_value();
}

// The daemon's log once it holds `text` (log lines are written as events happen, not at exit).
std::string log_with(const Daemon& d, const std::string& text, std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string log = d.log();
    while (log.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
        log = d.log();
    }
    return log;
}

// A device is ready once it logs so: before, what a test device writes may be dropped as the
// possible tail of a line cut by the open. `count`: the n-th time (after reopens).
bool board_ready(const Daemon& d, const std::string& device, std::size_t count = 1, std::chrono::milliseconds timeout = 10000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string ready = "device " + device + ": ready";
    for (;;) {
        auto log = d.log();
        std::size_t n = 0;
        for (auto at = log.find(ready); at != std::string::npos; at = log.find(ready, at + 1)) ++n;
        if (n >= count) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
}

bool is_state(const json& m, const std::string& id) { return m["type"] == "state" && m["channel"] == id; }

// ---- a board streaming CSV lines without pause -------------------------------------------------

// Writes "A,B\n" lines with A = 1000000 + i and B = 2000000 + i, each line in pieces of 1 to 5
// bytes, back to back, so an open almost always falls inside a line. Every value is recorded
// before its first byte goes out: a reading is genuine only if its value is in the record. The
// tail of a cut line reads as A < 1000000 (or B < 2000000), which was never printed.
class StreamingBoard {
public:
    explicit StreamingBoard(PtyDevice& dev) : dev_(dev), writer_([this] { run(); }) {}
    ~StreamingBoard() {
        stop_ = true;
        writer_.join();
    }
    bool printed(double a_or_b) {
        std::lock_guard lock(mutex_);
        return values_.count(static_cast<long>(a_or_b)) != 0 && static_cast<double>(static_cast<long>(a_or_b)) == a_or_b;
    }
    long lines() {
        std::lock_guard lock(mutex_);
        return next_;
    }
    // Unplug and plug the board back in (a new pty at the same path), between two writes.
    void replug() {
        std::lock_guard lock(port_);
        dev_.unplug();
        dev_.plug();
        ::fcntl(dev_.fd(), F_SETFL, ::fcntl(dev_.fd(), F_GETFL) | O_NONBLOCK);
    }

private:
    void run() {
        {
            std::lock_guard lock(port_);
            ::fcntl(dev_.fd(), F_SETFL, ::fcntl(dev_.fd(), F_GETFL) | O_NONBLOCK);
        }
        std::mt19937 random(19);
        char line[32];
        while (!stop_) {
            long i = 0;
            {
                std::lock_guard lock(mutex_);
                i = next_++;
                values_.insert(1000000 + i);
                values_.insert(2000000 + i);
            }
            int n = std::snprintf(line, sizeof line, "%ld,%ld\n", 1000000 + i, 2000000 + i);
            for (int at = 0; at < n && !stop_;) {
                int piece = std::min<int>(n - at, 1 + static_cast<int>(random() % 5));
                {
                    std::lock_guard lock(port_);
                    ssize_t w = ::write(dev_.fd(), line + at, static_cast<std::size_t>(piece));
                    if (w > 0) at += static_cast<int>(w);
                }
                // The pace of a UART (pieces ~100 µs apart), and room for a full buffer to drain.
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            }
        }
    }

    PtyDevice& dev_;
    std::mutex mutex_;
    std::mutex port_;
    std::set<long> values_;
    long next_ = 0;
    std::atomic<bool> stop_{false};
    std::thread writer_;
};

std::string streaming_map(const std::string& port) {
    return "devices:\n"
           "  - {id: stream, driver: serial, port: " + port + ", reconnect_min: 20ms, reconnect_max: 100ms}\n"
           "sensors:\n"
           "  - {id: col_a, device: stream, csv_column: 1}\n"
           "  - {id: col_b, device: stream, csv_column: 2}\n";
}

// Checks every reading the client gets (history and live) against what the board printed.
struct ReadingCheck {
    StreamingBoard& board;
    int checked = 0;
    std::vector<std::string> invented;
    void check(const std::string& channel, double value) {
        ++checked;
        if (!board.printed(value)) invented.push_back(channel + " = " + std::to_string(value));
    }
    // Live readings until `count` more arrived on each sensor; false if they stopped.
    bool live(WsClient& c, int count) {
        int a = 0;
        int b = 0;
        while (a < count || b < count) {
            auto m = c.next(5000ms);
            if (!m) return false;
            if ((*m)["type"] != "reading") continue;
            std::string ch = (*m)["channel"];
            check(ch, (*m)["value"].get<double>());
            (ch == "col_a" ? a : b)++;
        }
        return true;
    }
};

TEST(SerialBoards, ReadingsAfterEveryStartRestartAndReopenComeOnlyFromWholeLinesTheBoardSent) {
    PtyDevice dev;
    StreamingBoard board(dev);
    ReadingCheck check{board};
    constexpr int restarts = 10;
    constexpr int replugs = 10;
    int id = 0;
    // The bridge (re)started while the board streams: the first frame after the open is the one
    // at risk; it is seq 1 of each sensor, always kept in the history a client can ask for.
    int restarts_with_invented = 0;
    int replugs_with_invented = 0;
    for (int run = 0; run < restarts; ++run) {
        auto before = check.invented.size();
        auto daemon = std::make_unique<Daemon>(streaming_map(dev.path()));
        json hello;
        auto c = board_client(*daemon, "sensor", hello);
        ASSERT_TRUE(board_ready(*daemon, "stream")) << daemon->log();
        ASSERT_TRUE(check.live(*c, 5)) << "readings stopped after restart " << run << "\n" << daemon->log();
        for (std::string ch : {"col_a", "col_b"}) {
            c->send_json({{"type", "history"}, {"id", ++id}, {"channel", ch}});
            auto ack = c->wait_for([&](const json& m) { return m["type"] == "ack" && m["id"] == id; });
            ASSERT_TRUE(ack);
            ASSERT_FALSE((*ack)["readings"].empty());
            for (const auto& r : (*ack)["readings"]) check.check(ch + " (history)", r[1].get<double>());
        }
        EXPECT_EQ(daemon->stop(SIGTERM), 0);
        if (check.invented.size() != before) ++restarts_with_invented;
    }
    // Unplugged and plugged back in while a client watches: it sees every reading after the reopen.
    Daemon daemon(streaming_map(dev.path()));
    json hello;
    auto c = board_client(daemon, "sensor", hello);
    ASSERT_TRUE(board_ready(daemon, "stream"));
    for (int i = 0; i < replugs; ++i) {
        auto before = check.invented.size();
        board.replug();
        ASSERT_TRUE(c->wait_for([](const json& m) { return is_status(m, "col_a", false); }, 5000ms))
            << "replug " << i << "\n" << daemon.log();
        // Everything up to the next online status is checked too (readings just before the unplug).
        bool back = false;
        while (auto m = c->next(5000ms)) {
            if ((*m)["type"] == "reading") check.check((*m)["channel"], (*m)["value"].get<double>());
            if (is_status(*m, "col_a", true)) {
                back = true;
                break;
            }
        }
        ASSERT_TRUE(back) << "not back online after replug " << i << "\n" << daemon.log();
        ASSERT_TRUE(check.live(*c, 20)) << "readings stopped after replug " << i << "\n" << daemon.log();
        if (check.invented.size() != before) ++replugs_with_invented;
    }
    std::printf("[ fragments ] %ld lines printed, %d readings checked, %zu invented: after %d of %d restarts and %d of %d "
                "replugs\n",
                board.lines(), check.checked, check.invented.size(), restarts_with_invented, restarts,
                replugs_with_invented, replugs);
    EXPECT_TRUE(check.invented.empty()) << "readings the board never printed: " << testing::PrintToString(check.invented)
                                        << "\n" << daemon.log();
    EXPECT_GT(check.checked, restarts * 10);
}

// ---- values outside the declared range ----------------------------------------------------------

TEST(SerialBoards, ValuesOutsideTheRangeAreDroppedClampedOrPublishedAsTheMapSaysAndNamed) {
    PtyDevice dev;
    Daemon daemon("devices:\n"
                  "  - {id: env, driver: serial, port: " + dev.path() + "}\n"
                  "sensors:\n"
                  "  - {id: humidity, device: env, pattern: '^H=(?<h>[-0-9.]+)$', range: [0, 100]}\n"
                  "  - {id: hum_clamped, device: env, pattern: '^H=(?<h>[-0-9.]+)$', range: [0, 100], out_of_range: clamp}\n"
                  "  - {id: hum_raw, device: env, pattern: '^H=(?<h>[-0-9.]+)$', range: [0, 100], out_of_range: publish}\n");
    json hello;
    auto c = board_client(daemon, "sensor", hello);
    ASSERT_TRUE(board_ready(daemon, "env"));
    // "42" and "625" of two lines joined after the bytes between them were lost.
    dev.write("H=42\nH=42625\nH=43\n");
    std::vector<double> humidity, clamped, raw;
    while (humidity.size() < 2 || clamped.size() < 3 || raw.size() < 3) {
        auto m = c->next(5000ms);
        ASSERT_TRUE(m) << daemon.log();
        if ((*m)["type"] != "reading") continue;
        double v = (*m)["value"];
        if ((*m)["channel"] == "humidity") humidity.push_back(v);
        if ((*m)["channel"] == "hum_clamped") clamped.push_back(v);
        if ((*m)["channel"] == "hum_raw") raw.push_back(v);
    }
    EXPECT_EQ(humidity, (std::vector<double>{42, 43}));
    EXPECT_EQ(clamped, (std::vector<double>{42, 100, 43}));
    EXPECT_EQ(raw, (std::vector<double>{42, 42625, 43}));
    const std::string warning = "sensor humidity: value 42625 outside its range [0, 100] dropped";
    auto log = log_with(daemon, warning);
    EXPECT_NE(log.find(warning), std::string::npos) << log;
}

// ---- a relay board that answers queries --------------------------------------------------------

// Plays a relay board on a pty: "R1 ON\r\n" / "R1 OFF\r\n" switch and are confirmed with
// "OK R1 ON" / "OK R1 OFF"; "R1 ?\r\n" is answered with the state. It may ignore the first
// `ignore_queries` queries, and, like an Uno resetting when the port opens, ignore all input for
// `boot` after it sees the port opened, printing a boot banner with a line that looks like data.
class RelayBoard {
public:
    struct Options {
        bool on = true;
        int ignore_queries = 0;
        std::chrono::milliseconds boot{0};
    };
    RelayBoard(PtyDevice& dev, Options options) : dev_(dev), options_(options), on_(options.on), thread_([this] { run(); }) {}
    ~RelayBoard() {
        stop_ = true;
        thread_.join();
    }
    std::string received() {
        std::lock_guard lock(mutex_);
        return received_;
    }
    int ignored() {
        std::lock_guard lock(mutex_);
        return ignored_;
    }
    int queries() {
        std::lock_guard lock(mutex_);
        return queries_;
    }
    // Waits until the board received `text` (the test's condition; not a sleep).
    bool wait_received(const std::string& text, std::chrono::milliseconds timeout = 10000ms) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (received().find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }

private:
    void reply(const std::string& line) {
        std::string out = line + "\r\n";
        if (::write(dev_.fd(), out.data(), out.size()) < 0) return;
    }
    void run() {
        bool open = false;
        auto booted = std::chrono::steady_clock::now();
        std::string pending;
        while (!stop_) {
            pollfd p{dev_.fd(), POLLIN, 0};
            int n = ::poll(&p, 1, 20);
            if (n < 0) continue;
            if ((p.revents & POLLHUP) != 0) {  // nobody has the port open
                open = false;
                std::this_thread::sleep_for(2ms);
                continue;
            }
            if (!open) {  // the port was just opened: a resetting board boots
                open = true;
                booted = std::chrono::steady_clock::now() + options_.boot;
                if (options_.boot.count() > 0) reply("BOOT 12,99");
            }
            if ((p.revents & POLLIN) == 0) continue;
            char buf[256];
            ssize_t got = ::read(dev_.fd(), buf, sizeof buf);
            if (got <= 0) continue;
            std::lock_guard lock(mutex_);
            received_.append(buf, static_cast<std::size_t>(got));
            if (std::chrono::steady_clock::now() < booted) {
                ignored_ += static_cast<int>(got);  // the bootloader swallows it
                continue;
            }
            pending.append(buf, static_cast<std::size_t>(got));
            for (auto end = pending.find("\r\n"); end != std::string::npos; end = pending.find("\r\n")) {
                std::string command = pending.substr(0, end);
                pending.erase(0, end + 2);
                if (command == "R1 ?") {
                    ++queries_;
                    if (options_.ignore_queries > 0) {
                        --options_.ignore_queries;
                        continue;
                    }
                } else if (command == "R1 ON") {
                    on_ = true;
                } else if (command == "R1 OFF") {
                    on_ = false;
                } else {
                    continue;
                }
                reply(on_ ? "OK R1 ON" : "OK R1 OFF");
            }
        }
    }

    PtyDevice& dev_;
    Options options_;
    bool on_;
    std::mutex mutex_;
    std::string received_;
    int ignored_ = 0;
    int queries_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::string queried_relay_map(const std::string& port, const std::string& device_extra = "",
                              const std::string& relay_extra = "safe_state: off, ") {
    return "devices:\n"
           "  - {id: relays, driver: serial, port: " + port + ", delimiter: '\\r\\n', reconnect_min: 50ms" + device_extra + "}\n"
           "sensors:\n"
           "  - {id: boot_value, device: relays, csv_column: 2}\n"
           "relays:\n"
           "  - {id: r1, device: relays, " + relay_extra + "on_command: 'R1 ON\\r\\n', off_command: 'R1 OFF\\r\\n',\n"
           "     confirm_on: '^OK R1 ON$', confirm_off: '^OK R1 OFF$', confirm_timeout: 300ms, query_command: 'R1 ?\\r\\n'}\n";
}

// All `state` messages of r1 until one says `state`; fails the test if none does in time.
std::vector<json> states_until(WsClient& c, const std::string& state, const Daemon& daemon,
                               std::chrono::milliseconds timeout = 10000ms) {
    std::vector<json> seen;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto m = c.wait_for([](const json& x) { return is_state(x, "r1"); },
                            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        if (!m) break;
        seen.push_back(*m);
        if ((*m)["state"] == state) return seen;
    }
    ADD_FAILURE() << "no state '" << state << "' for r1; saw " << testing::PrintToString(seen) << "\n" << daemon.log();
    return seen;
}

TEST(SerialBoards, StartUpAsksARelayWithAQueryCommandAndReportsTheBoardsStateWithoutSwitchingIt) {
    PtyDevice dev;
    RelayBoard board(dev, {.on = true});
    Daemon daemon(queried_relay_map(dev.path()));
    json hello;
    auto c = board_client(daemon, "relay", hello);
    auto r1 = board_channel(hello, "r1");
    if (r1["state"] != "on") {
        // Not answered yet: the relay is held offline while asked, so nobody (not the failsafe) switches it.
        auto states = states_until(*c, "on", daemon);
        ASSERT_FALSE(states.empty());
        EXPECT_EQ(states.size(), 1u) << "the first state reported is the board's: " << testing::PrintToString(states);
        EXPECT_EQ(states.back()["cause"], "driver");
    }
    ASSERT_TRUE(board_online(*c, hello, "r1"));
    // Something the board will see after anything the start-up sent: a client's switch.
    c->send_json({{"type", "set"}, {"id", 1}, {"channel", "r1"}, {"state", "off"}});
    ASSERT_TRUE(board.wait_received("R1 OFF\r\n"));
    EXPECT_EQ(board.received(), "R1 ?\r\nR1 OFF\r\n") << "start-up only asked; nothing was switched\n" << daemon.log();
    auto ack = c->wait_type("ack");
    ASSERT_TRUE(ack) << daemon.log();
    EXPECT_EQ((*ack)["state"], "off");
    EXPECT_EQ(daemon.log().find("failsafe"), std::string::npos) << daemon.log();
}

TEST(SerialBoards, StartUpSetsTheInitialStateWithCauseStartupAndTheFailsafeDoesNotRaceIt) {
    PtyDevice dev;
    RelayBoard board(dev, {.on = true});
    Daemon daemon("devices:\n"
                  "  - {id: relays, driver: serial, port: " + dev.path() + ", delimiter: '\\r\\n'}\n"
                  "relays:\n"
                  "  - {id: r1, device: relays, safe_state: off, on_command: 'R1 ON\\r\\n', off_command: 'R1 OFF\\r\\n',\n"
                  "     confirm_on: '^OK R1 ON$', confirm_off: '^OK R1 OFF$', confirm_timeout: 300ms}\n");
    json hello;
    auto c = board_client(daemon, "relay", hello);
    if (board_channel(hello, "r1")["state"] != "off") {
        auto states = states_until(*c, "off", daemon);
        ASSERT_FALSE(states.empty());
        EXPECT_EQ(states.size(), 1u) << testing::PrintToString(states);
        EXPECT_EQ(states.back()["cause"], "startup");
    }
    ASSERT_TRUE(board_online(*c, hello, "r1"));
    c->send_json({{"type", "set"}, {"id", 1}, {"channel", "r1"}, {"state", "on"}});
    ASSERT_TRUE(board.wait_received("R1 ON\r\n"));
    EXPECT_EQ(board.received(), "R1 OFF\r\nR1 ON\r\n") << "the initial state is written once\n" << daemon.log();
    EXPECT_EQ(daemon.log().find("failsafe"), std::string::npos) << daemon.log();
}

TEST(SerialBoards, QueryIsRepeatedUntilTheBoardAnswersAndNothingIsSwitchedMeanwhile) {
    PtyDevice dev;
    RelayBoard board(dev, {.on = true, .ignore_queries = 2});
    Daemon daemon(queried_relay_map(dev.path()));  // default query_attempts: 3
    json hello;
    auto c = board_client(daemon, "relay", hello);
    if (board_channel(hello, "r1")["state"] != "on") {
        auto states = states_until(*c, "on", daemon);
        ASSERT_FALSE(states.empty());
        EXPECT_EQ(states.size(), 1u) << testing::PrintToString(states);
        EXPECT_EQ(states.back()["cause"], "driver");
    }
    EXPECT_EQ(board.queries(), 3);
    EXPECT_EQ(board.received(), "R1 ?\r\nR1 ?\r\nR1 ?\r\n") << daemon.log();
}

TEST(SerialBoards, UnansweredQueryLetsTheFailsafeActAndTheBoardIsAskedAgainLater) {
    PtyDevice dev;
    // Answers no query until the 4th: start-up gives up after query_attempts (2), the failsafe
    // switches it off (the board confirms), and the state stays what the board confirmed.
    RelayBoard board(dev, {.on = true, .ignore_queries = 2});
    Daemon daemon(queried_relay_map(dev.path(), "", "safe_state: off, query_attempts: 2, "));
    json hello;
    auto c = board_client(daemon, "relay", hello);
    auto states = states_until(*c, "off", daemon);
    ASSERT_FALSE(states.empty());
    EXPECT_EQ(states.back()["cause"], "failsafe");
    ASSERT_TRUE(board.wait_received("R1 OFF\r\n"));
    EXPECT_EQ(board.received().rfind("R1 ?\r\nR1 ?\r\nR1 OFF\r\n", 0), 0u) << board.received();
    auto log = log_with(daemon, "no answer to query_command after 2 tries");
    EXPECT_NE(log.find("no answer to query_command after 2 tries"), std::string::npos) << log;
}

TEST(SerialBoards, BoardThatResetsWhenThePortOpensIsLeftToSettleBeforeAnythingIsSentOrRead) {
    PtyDevice dev;
    // Boots for 200 ms after the open (ignoring input), printing a banner that parses as data.
    RelayBoard board(dev, {.on = true, .boot = 200ms});
    Daemon daemon(queried_relay_map(dev.path(), ", settle: 1500ms, dtr: on", ""));
    json hello;
    auto c = board_client(daemon, "relay", hello);
    if (board_channel(hello, "r1")["state"] != "on") {
        auto states = states_until(*c, "on", daemon);
        ASSERT_FALSE(states.empty());
        EXPECT_EQ(states.back()["cause"], "driver");
    }
    EXPECT_EQ(board.ignored(), 0) << "the bridge wrote while the board was booting";
    EXPECT_EQ(board.queries(), 1) << "one query after the settle time was enough";
    json sensor_hello;
    auto s = board_client(daemon, "sensor", sensor_hello);
    EXPECT_TRUE(board_channel(sensor_hello, "boot_value")["value"].is_null()) << "the boot banner was not a reading: "
                                                                             << sensor_hello.dump();
    auto log = log_with(daemon, "has no modem control lines");
    EXPECT_NE(log.find("letting the device settle for 1.5 s"), std::string::npos) << log;
    EXPECT_NE(log.find("has no modem control lines"), std::string::npos) << log;  // dtr: on, on a pty
}

TEST(SerialBoards, RelayWithAQueryCommandIsAskedAgainAfterAReconnectAndReportsTheBoardsState) {
    PtyDevice dev;
    auto board = std::make_unique<RelayBoard>(dev, RelayBoard::Options{.on = false});
    Daemon daemon(queried_relay_map(dev.path(), "", ""));  // no safe_state: asked, not set
    json hello;
    auto c = board_client(daemon, "relay", hello);
    if (board_channel(hello, "r1")["state"] != "off") states_until(*c, "off", daemon);
    board.reset();
    dev.unplug();
    ASSERT_TRUE(c->wait_for([](const json& m) { return is_status(m, "r1", false); }));
    dev.plug();
    board = std::make_unique<RelayBoard>(dev, RelayBoard::Options{.on = true});  // switched by hand meanwhile
    auto states = states_until(*c, "on", daemon);
    ASSERT_FALSE(states.empty());
    EXPECT_EQ(states.back()["cause"], "driver");
    EXPECT_EQ(board->received(), "R1 ?\r\n") << "asked, not switched";
}

// ---- a mixed stream; messages ----------------------------------------------------------------

TEST(SerialBoards, MixedStreamWarningsNameTheSensorAndFramesForOtherSensorsAreNotComplainedAbout) {
    PtyDevice dev;
    Daemon daemon("devices:\n"
                  "  - {id: mixed, driver: serial, port: " + dev.path() + "}\n"
                  "sensors:\n"
                  "  - {id: count, device: mixed, pattern: '^N=(?<n>\\d+)'}\n"
                  "  - {id: csv_temp, device: mixed, csv_column: 2, match: '^T,'}\n"
                  "  - {id: csv_level, device: mixed, csv_column: 2}\n");
    json hello;
    auto c = board_client(daemon, "sensor", hello);
    ASSERT_TRUE(board_ready(daemon, "mixed"));
    // "N=105, x" is for `count`; csv_level (no match:) cannot read column 2 of it, csv_temp does not
    // look at it. "L,abc" is for nobody that can read it: csv_level says so, by name.
    dev.write("N=105, x\nT,21.5\nL,abc\nN=106, x\n");
    std::vector<std::string> seen;
    while (seen.size() < 4) {
        auto m = c->next(5000ms);
        ASSERT_TRUE(m) << daemon.log();
        if ((*m)["type"] == "reading") seen.push_back((*m)["channel"].get<std::string>() + "=" + (*m)["value"].dump());
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"count=105", "csv_temp=21.5", "csv_level=21.5", "count=106"}));
    const std::string warning = "sensor csv_level: frame with an unreadable value discarded ('L,abc')";
    auto log = log_with(daemon, warning);
    EXPECT_NE(log.find(warning), std::string::npos) << log;
    EXPECT_EQ(log.find("N=105"), std::string::npos) << "a frame another sensor read is no complaint\n" << log;
}

TEST(SerialBoards, RetryDelayIsPrintedToTheMillisecond) {
    Daemon daemon("devices:\n"
                  "  - {id: gone, driver: serial, port: /tmp/hwb-no-such-port-19, reconnect_min: 250ms, reconnect_max: 1s}\n"
                  "sensors:\n"
                  "  - {id: t, device: gone, csv_column: 1}\n");
    json hello;
    auto c = board_client(daemon, "sensor", hello);
    auto t = board_channel(hello, "t");
    std::string reason = t["reason"];
    if (reason.find("retrying in 0.25 s") == std::string::npos) {
        // The first failure may have been replaced by the next already: 0.5 s, then 1 s.
        EXPECT_TRUE(reason.find("retrying in 0.5 s") != std::string::npos || reason.find("retrying in 1 s") != std::string::npos)
            << reason;
    }
    const std::string warning = "port /tmp/hwb-no-such-port-19 missing; retrying in 0.25 s";
    auto log = log_with(daemon, warning);
    EXPECT_NE(log.find(warning), std::string::npos) << log;
}

// ---- filters and framing through the daemon ------------------------------------------------------

TEST(SerialBoards, ThrottlePublishesTheLatestValueAtTheEndOfTheIntervalInsteadOfDroppingIt) {
    PtyDevice dev;
    Daemon daemon("devices:\n"
                  "  - {id: fast, driver: serial, port: " + dev.path() + "}\n"
                  "sensors:\n"
                  "  - {id: level, device: fast, pattern: '^L=(?<l>\\d+)$', throttle: 300ms}\n");
    json hello;
    auto c = board_client(daemon, "sensor", hello);
    ASSERT_TRUE(board_ready(daemon, "fast"));
    dev.write("L=1\nL=2\nL=3\n");
    auto first = c->wait_for([](const json& m) { return m["type"] == "reading"; });
    ASSERT_TRUE(first);
    EXPECT_EQ((*first)["value"], 1);
    auto later = c->wait_for([](const json& m) { return m["type"] == "reading"; }, 5000ms);
    ASSERT_TRUE(later) << "the last value before a pause must not be lost";
    EXPECT_EQ((*later)["value"], 3);
    EXPECT_GE((*later)["time"].get<std::int64_t>() - (*first)["time"].get<std::int64_t>(), 290);
}

TEST(SerialBoards, FixedFramesAndAMovingAverageThroughTheDaemon) {
    PtyDevice dev;
    Daemon daemon("devices:\n"
                  "  - {id: bin, driver: serial, port: " + dev.path() + ", framing: fixed, frame_length: 5}\n"
                  "sensors:\n"
                  "  - {id: raw, device: bin, pattern: '^T(?<v>\\d{3})\\x00$'}\n"
                  "  - {id: smooth, device: bin, pattern: '^T(?<v>\\d{3})\\x00$', filter: moving_average, window: 2}\n");
    json hello;
    auto c = board_client(daemon, "sensor", hello);
    ASSERT_TRUE(board_ready(daemon, "bin"));
    dev.write(std::string("T100\0T2", 7));
    dev.write(std::string("00\0T300\0", 8));
    std::vector<double> raw, smooth;
    while (raw.size() < 3 || smooth.size() < 3) {
        auto m = c->next(5000ms);
        ASSERT_TRUE(m) << daemon.log();
        if ((*m)["type"] != "reading") continue;
        ((*m)["channel"] == "raw" ? raw : smooth).push_back((*m)["value"]);
    }
    EXPECT_EQ(raw, (std::vector<double>{100, 200, 300}));
    EXPECT_EQ(smooth, (std::vector<double>{100, 150, 250}));
}

// ---- USB matching and --list-ports, as far as a machine without USB adapters allows ------------

TEST(SerialBoards, UsbMatchWithNoSuchAdapterIsOfflineWithTheMatchInTheReasonAndListPortsRuns) {
    Daemon daemon("devices:\n"
                  "  - {id: uno, driver: serial, usb_vendor: 'fffe', usb_product: '0019', usb_serial: 'X19'}\n"
                  "sensors:\n"
                  "  - {id: t, device: uno, csv_column: 1}\n");
    json hello;
    auto c = board_client(daemon, "sensor", hello);
    auto t = board_channel(hello, "t");
    EXPECT_EQ(t["online"], false);
    EXPECT_NE(t["reason"].get<std::string>().find("port USB fffe:0019 serial X19 missing; retrying in"), std::string::npos)
        << t.dump();
    auto listed = run_hwbridge({"--list-ports"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_FALSE(listed.out.empty());
}

// ---- the new keys in --check -----------------------------------------------------------------

TEST(SerialBoards, MisspeltBoardKeysAreLocatedErrorsWithASuggestion) {
    TempFile map(".yaml",
                 "devices:\n"
                 "  - {id: uno, driver: serial, port: /dev/x, settel: 2s, dtr: of}\n"
                 "sensors:\n"
                 "  - {id: h, device: uno, csv_column: 1, range: [0, 100], out_of_range: clip}\n"
                 "relays:\n"
                 "  - {id: r, device: uno, on_command: '1', off_command: '0', query_atempts: 2}\n");
    auto r = run_hwbridge({"--check", map.path()});
    EXPECT_EQ(r.exit_code, 1);
    auto at = [&](const std::string& where) { return map.path() + ":" + where + ": error: "; };
    EXPECT_NE(r.err.find(at("2:45") + "unknown key 'settel' in device 'uno'; did you mean 'settle'?"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(at("2:62") + "'dtr' must be one of keep, on, off, got 'of'; did you mean 'on'?"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(at("4:72") + "'out_of_range' must be one of drop, clamp, publish, got 'clip'; did you mean 'clamp'?"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(at("6:61") + "unknown key 'query_atempts' in relay 'r'; did you mean 'query_attempts'?"),
              std::string::npos)
        << r.err;

    TempFile unranged(".yaml",
                      "devices:\n"
                      "  - {id: uno, driver: serial, port: /dev/x, settle: 2s}\n"
                      "sensors:\n"
                      "  - {id: t, device: uno, csv_column: 2, out_of_range: drop}\n");
    auto u = run_hwbridge({"--check", unranged.path()});
    EXPECT_EQ(u.exit_code, 1);
    EXPECT_NE(u.err.find(unranged.path() + ":4:55: error: 'out_of_range' applies to sensors with a 'range'"), std::string::npos)
        << u.err;
}

}  // namespace
}  // namespace hwb::test
