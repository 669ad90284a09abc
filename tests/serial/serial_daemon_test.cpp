// Integration: the real hwbridge with serial devices on pseudo-terminals, real WebSocket clients.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "pty_device.h"
#include "serial/termios_port.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;

json channel_in(const json& hello, const std::string& id) {
    for (const auto& c : hello["channels"])
        if (c["id"] == id) return c;
    return nullptr;
}

std::unique_ptr<WsClient> connect(const Daemon& d, const std::string& subprotocol, json* hello = nullptr) {
    auto c = std::make_unique<WsClient>(d.port(), subprotocol);
    EXPECT_TRUE(c->ok());
    auto h = c->wait_type("hello");
    EXPECT_TRUE(h);
    if (hello != nullptr && h) *hello = *h;
    return c;
}

// The bridge drops what a device sends until it is ready after an open (the first bytes may be
// the tail of a cut line): tests write once it said so in the log (the channels are online then).
bool wait_online(const Daemon& d, const std::string& device, std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string ready = "device " + device + ": ready";
    while (d.log().find(ready) == std::string::npos) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

auto reading_of(const std::string& id) {
    return [id](const json& m) { return m["type"] == "reading" && m["channel"] == id; };
}
auto status_of(const std::string& id, bool online) {
    return [id, online](const json& m) { return m["type"] == "status" && m["channel"] == id && m["online"] == online; };
}

std::string sensor_map(const std::string& port) {
    return "bridge: {name: Serial bench}\n"
           "devices:\n"
           "  - {id: board, driver: serial, port: " + port + ", baud: 9600, max_frame: 64}\n"
           "sensors:\n"
           "  - {id: temp, device: board, unit: \"°C\", pattern: '^T=(?<temp>[-0-9.]+)$'}\n"
           "  - {id: hum, device: board, csv_column: 2}\n"
           "  - {id: pressure, device: board, json_key: env.p, scale: 0.01}\n"
           "  - {id: door, device: board, type: boolean, pattern: 'DOOR=(?<state>\\w+)'}\n";
}

TEST(SerialDaemon, DeviceLinesBecomeReadingsByPatternCsvAndJson) {
    PtyDevice dev;
    Daemon daemon(sensor_map(dev.path()));
    json hello;
    auto c = connect(daemon, "sensor", &hello);
    ASSERT_TRUE(wait_online(daemon, "board"));
    dev.write("T=21.5\r\nH,40.25,ok\r\n{\"env\":{\"p\":101325}}\r\nDOOR=open\r\nDOOR=ON\r\n");
    auto t = c->wait_for(reading_of("temp"));
    ASSERT_TRUE(t);
    EXPECT_EQ((*t)["value"], 21.5);
    auto h = c->wait_for(reading_of("hum"));
    ASSERT_TRUE(h);
    EXPECT_EQ((*h)["value"], 40.25);
    auto p = c->wait_for(reading_of("pressure"));
    ASSERT_TRUE(p);
    EXPECT_DOUBLE_EQ((*p)["value"].get<double>(), 1013.25);
    auto d = c->wait_for(reading_of("door"));
    ASSERT_TRUE(d);
    EXPECT_EQ((*d)["value"], true);  // DOOR=open is not a boolean word: counted, not published
}

TEST(SerialDaemon, MissingPortAtStartIsOfflineWithReasonAndDaemonRuns) {
    Daemon daemon(sensor_map("/tmp/hwb-no-such-port-0"));
    json hello;
    auto c = connect(daemon, "sensor", &hello);
    auto t = channel_in(hello, "temp");
    EXPECT_EQ(t["online"], false);
    EXPECT_NE(t["reason"].get<std::string>().find("port /tmp/hwb-no-such-port-0 missing; retrying in"), std::string::npos)
        << t.dump();
    EXPECT_EQ(http_get(daemon.port(), "/healthz").status, 200);
}

TEST(SerialDaemon, UnplugGoesOfflineAndReplugOnTheSamePathComesBackOnline) {
    PtyDevice dev;
    Daemon daemon(sensor_map(dev.path()));
    json hello;
    auto c = connect(daemon, "sensor", &hello);
    ASSERT_TRUE(wait_online(daemon, "board"));
    dev.write("T=1\n");
    ASSERT_TRUE(c->wait_for(reading_of("temp")));
    dev.unplug();
    auto off = c->wait_for(status_of("temp", false));
    ASSERT_TRUE(off);
    EXPECT_NE((*off)["reason"].get<std::string>().find("disconnected"), std::string::npos) << off->dump();
    dev.plug();
    auto on = c->wait_for(status_of("temp", true), std::chrono::milliseconds(5000));
    ASSERT_TRUE(on) << daemon.log();
    dev.write("T=2\n");
    auto r = c->wait_for(reading_of("temp"));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)["value"], 2);
    // The reconnect shows on GET /metrics.
    auto page = http_get(daemon.port(), "/metrics").body;
    EXPECT_EQ(metric_value(page, "hwbridge_device_reconnects_total{device=\"board\",driver=\"serial\"}"), 1) << page;
    // No busy loop while it was gone: a handful of reopen attempts, not thousands.
    auto log = daemon.log();
    std::size_t tries = 0;
    for (std::size_t at = log.find("retrying in"); at != std::string::npos; at = log.find("retrying in", at + 1)) ++tries;
    EXPECT_LT(tries, 20u);
}

TEST(SerialDaemon, GarbageAndOverlongFramesAreCountedAndOtherChannelsKeepFlowing) {
    PtyDevice dev;
    PtyDevice other;
    std::string map = sensor_map(dev.path()) +
                      "  - {id: other_temp, device: other, pattern: '^T=(?<t>[-0-9.]+)$'}\n";
    map.insert(map.find("sensors:"), "  - {id: other, driver: serial, port: " + other.path() + "}\n");
    Daemon daemon(map);
    json hello;
    auto c = connect(daemon, "sensor", &hello);
    ASSERT_TRUE(wait_online(daemon, "board"));
    ASSERT_TRUE(wait_online(daemon, "other"));
    dev.write(std::string("\x00\xff\xfe garbage\n", 12) + std::string(5000, 'x') + "\nT=abc\nT=\n");
    other.write("T=5\n");
    auto o = c->wait_for(reading_of("other_temp"));
    ASSERT_TRUE(o);
    EXPECT_EQ((*o)["value"], 5);
    dev.write("T=7\n");
    auto t = c->wait_for(reading_of("temp"));
    ASSERT_TRUE(t);
    EXPECT_EQ((*t)["value"], 7);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto log = daemon.log();
    EXPECT_NE(log.find("discarded"), std::string::npos) << log;
    EXPECT_EQ(kill(daemon.pid(), 0), 0);
    // Counted per device on GET /metrics: the over-long frame, and the garbage line and the two
    // lines with no readable value; nothing on the other port.
    auto page = http_get(daemon.port(), "/metrics").body;
    auto errors = [&](const std::string& device, const std::string& kind) {
        return metric_value(page, "hwbridge_device_errors_total{device=\"" + device + "\",driver=\"serial\",kind=\"" +
                                      kind + "\"}");
    };
    EXPECT_EQ(errors("board", "overlong_frame"), 1) << page;
    EXPECT_EQ(errors("board", "unrecognised_frame").value_or(-1) + errors("board", "unreadable_value").value_or(-1), 3)
        << page;
    for (const char* kind : {"overlong_frame", "unrecognised_frame", "unreadable_value"})
        EXPECT_EQ(errors("other", kind), 0) << page;
}

std::string relay_map(const std::string& port) {
    return "devices:\n"
           "  - {id: board, driver: serial, port: " + port + "}\n"
           "relays:\n"
           "  - id: r1\n"
           "    device: board\n"
           "    on_command: 'R1 ON\\r\\n'\n"
           "    off_command: 'R1 OFF\\r\\n'\n"
           "    confirm_on: '^OK R1 ON$'\n"
           "    confirm_off: '^OK R1 OFF$'\n"
           "    confirm_timeout: 300ms\n"
           "  - {id: r2, device: board, on_command: '\\xA0\\x01\\x01\\xA2', off_command: '\\xA0\\x01\\x00\\xA1'}\n";
}

TEST(SerialDaemon, RelayCommandsArriveAsExactBytesAndAckWaitsForConfirmation) {
    PtyDevice dev;
    Daemon daemon(relay_map(dev.path()));
    // Start-up: both relays are driven to their initial state (off); r1 is confirmed by the board.
    std::string startup = dev.read_until("\xA0\x01\x00\xA1", std::chrono::milliseconds(3000));
    EXPECT_NE(startup.find("R1 OFF\r\n"), std::string::npos);
    dev.write("OK R1 OFF\r\n");
    json hello;
    auto c = connect(daemon, "relay", &hello);
    if (channel_in(hello, "r1")["state"] != "off") {
        ASSERT_TRUE(c->wait_for([](const json& m) { return m["type"] == "state" && m["channel"] == "r1" && m["state"] == "off"; }));
    }
    EXPECT_EQ(channel_in(hello, "r2")["state"], "off");

    c->send_json({{"type", "set"}, {"id", "a"}, {"channel", "r1"}, {"state", "on"}});
    EXPECT_EQ(dev.read(7, std::chrono::milliseconds(2000)), "R1 ON\r\n");
    EXPECT_FALSE(c->wait_type("ack", std::chrono::milliseconds(100))) << "no ack before the board confirmed";
    dev.write("OK R1 ON\r\n");
    auto ack = c->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["id"], "a");
    EXPECT_EQ((*ack)["state"], "on");

    c->send_json({{"type", "set"}, {"id", "b"}, {"channel", "r2"}, {"state", "on"}});
    EXPECT_EQ(dev.read(4, std::chrono::milliseconds(2000)), "\xA0\x01\x01\xA2");
    auto ack2 = c->wait_type("ack");
    ASSERT_TRUE(ack2);
    EXPECT_EQ((*ack2)["state"], "on");
}

TEST(SerialDaemon, MissingConfirmationIsATimeoutErrorAndTheStateBecomesUnknown) {
    PtyDevice dev;
    Daemon daemon(relay_map(dev.path()));
    // Start-up: r1's and r2's initial commands (r2's last), possibly in separate reads.
    std::string startup = dev.read_until("\xA0\x01\x00\xA1", std::chrono::milliseconds(3000));
    ASSERT_NE(startup.find("R1 OFF\r\n"), std::string::npos);
    dev.write("OK R1 OFF\r\n");
    json hello;
    auto c = connect(daemon, "relay", &hello);
    if (channel_in(hello, "r1")["state"] != "off") {
        ASSERT_TRUE(c->wait_for([](const json& m) { return m["type"] == "state" && m["channel"] == "r1" && m["state"] == "off"; }));
    }
    c->send_json({{"type", "set"}, {"id", 9}, {"channel", "r1"}, {"state", "on"}});
    EXPECT_EQ(dev.read(7, std::chrono::milliseconds(2000)), "R1 ON\r\n");
    auto err = c->wait_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["id"], 9);
    EXPECT_EQ((*err)["code"], "timeout");
    auto state = c->wait_for([](const json& m) { return m["type"] == "state" && m["channel"] == "r1"; });
    ASSERT_TRUE(state);
    EXPECT_EQ((*state)["state"], "unknown");
    // A late "OK R1 ON" from the board is still believed: it is what the hardware says.
    dev.write("OK R1 ON\r\n");
    auto later = c->wait_for([](const json& m) { return m["type"] == "state" && m["channel"] == "r1"; });
    ASSERT_TRUE(later);
    EXPECT_EQ((*later)["state"], "on");
}

std::string text_map(const std::string& port) {
    return "devices:\n"
           "  - {id: board, driver: serial, port: " + port + ", max_frame: 256}\n"
           "texts:\n"
           "  - {id: console, device: board, line_ending: '\\r\\n', history_lines: 100}\n";
}

TEST(SerialDaemon, TextFlowsBothWaysAndInvalidUtf8IsShownEscaped) {
    PtyDevice dev;
    Daemon daemon(text_map(dev.path()));
    json hello;
    auto c = connect(daemon, "text", &hello);
    ASSERT_TRUE(wait_online(daemon, "board"));
    c->send_json({{"type", "open"}, {"id", 1}, {"channel", "console"}});
    ASSERT_TRUE(c->wait_type("ack"));
    dev.write("hello \xff\xfe w\xc3\xb6rld\r\n");
    auto line = c->wait_type("line");
    ASSERT_TRUE(line);
    EXPECT_EQ((*line)["line"], "hello \\xFF\\xFE wörld");
    EXPECT_EQ((*line)["dir"], "rx");
    c->send_json({{"type", "send"}, {"id", 2}, {"channel", "console"}, {"line", "status"}});
    EXPECT_EQ(dev.read(8, std::chrono::milliseconds(2000)), "status\r\n");
    EXPECT_TRUE(c->wait_type("ack"));
}

TEST(SerialDaemon, PortHeldByTheBridgeIsRefusedToOthersWithAClearError) {
    PtyDevice dev;
    Daemon first(sensor_map(dev.path()));
    json hello;
    auto c = connect(first, "sensor", &hello);
    ASSERT_TRUE(wait_online(first, "board"));
    std::string path = dev.path();
    serial::TermiosPort other(path, [path]() -> Result<std::string> { return path; }, {});
    auto refused = other.open();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, "port " + path + " is in use by another program");
    Daemon second(sensor_map(dev.path()));
    json hello2;
    connect(second, "sensor", &hello2);
    auto t = channel_in(hello2, "temp");
    EXPECT_EQ(t["online"], false);
    EXPECT_NE(t["reason"].get<std::string>().find("is in use by another program"), std::string::npos) << t.dump();
}

// 10,000 lines/s for 5 s through the pty to a text client: none lost, order kept.
TEST(SerialDaemon, TenThousandLinesPerSecondForFiveSecondsArriveCompleteAndInOrder) {
    PtyDevice dev;
    Daemon daemon(text_map(dev.path()));
    json hello;
    auto c = connect(daemon, "text", &hello);
    ASSERT_TRUE(wait_online(daemon, "board"));
    c->send_json({{"type", "open"}, {"id", 1}, {"channel", "console"}});
    ASSERT_TRUE(c->wait_type("ack"));
    constexpr int total = 50000;
    constexpr int per_batch = 100;  // every 10 ms
    auto started = std::chrono::steady_clock::now();
    std::thread writer([&] {
        char line[32];
        for (int batch = 0; batch < total / per_batch; ++batch) {
            std::string chunk;
            for (int i = 0; i < per_batch; ++i) {
                std::snprintf(line, sizeof line, "L%08d\n", batch * per_batch + i);
                chunk += line;
            }
            dev.write(chunk);
            std::this_thread::sleep_until(started + std::chrono::milliseconds(10 * (batch + 1)));
        }
    });
    int received = 0;
    std::int64_t last_seq = 0;
    char expected[32];
    while (received < total) {
        auto m = c->next(std::chrono::milliseconds(5000));
        if (!m) break;
        if ((*m)["type"] != "line") continue;
        std::snprintf(expected, sizeof expected, "L%08d", received);
        ASSERT_EQ((*m)["line"], expected) << "line " << received;
        std::int64_t seq = (*m)["seq"];
        if (last_seq != 0) {
            ASSERT_EQ(seq, last_seq + 1);
        }
        last_seq = seq;
        ++received;
    }
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    writer.join();
    EXPECT_EQ(received, total) << "closed: " << c->closed() << " code " << c->close_code() << "\n" << daemon.log();
    std::printf("[ throughput ] %d lines in %.2f s = %.0f lines/s end to end\n", received, elapsed, received / elapsed);
    EXPECT_LT(elapsed, 7.0);
}

}  // namespace
}  // namespace hwb::test

namespace hwb::test {
namespace {

// Patterns that made std::regex backtrack for seconds per line ((a|[ab])+c on a 25-byte line:
// 2.5 s, 4x per 2 more bytes; .*.*.*.*x on 150 bytes: more than 30 s) while lines up to the frame
// size are tried: with RE2 (linear time) the loop is never stalled, so a 300 ms pulse of a relay
// on the same bridge ends on time while the device streams such lines without pause.
TEST(SerialDaemon, CatastrophicPatternsDoNotStallTheLoop) {
    PtyDevice dev;
    Daemon daemon("bridge: {name: Pattern bench}\n"
                  "devices:\n"
                  "  - {id: board, driver: serial, port: " + dev.path() + ", baud: 115200, max_frame: 4096}\n"
                  "  - {id: sim, driver: sim}\n"
                  "sensors:\n"
                  "  - {id: alt, device: board, pattern: '(a|[ab])+c(?<v>[0-9]+)'}\n"
                  "  - {id: dots, device: board, pattern: '.*.*.*.*x(?<v>[0-9]+)'}\n"
                  "relays:\n"
                  "  - {id: door, device: sim, latency: 0ms}\n");
    auto relay = connect(daemon, "relay");
    ASSERT_TRUE(wait_online(daemon, "board"));
    std::atomic<bool> streaming{true};
    std::thread board([&] {
        // 41 bytes of (a|b) with no c: 2.5 s x 4^8 for std::regex; 1,000 dots with no x.
        const std::string alt = std::string(41, 'a').replace(20, 1, "b") + "\r\n";
        const std::string dots = std::string(1000, '.') + "\r\n";
        while (streaming) dev.write(alt + dots);
    });
    relay->send_json({{"type", "pulse"}, {"id", 1}, {"channel", "door"}, {"duration_ms", 300}});
    auto on = relay->wait_for([](const json& m) { return m["type"] == "state" && m["state"] == "on"; }, 10000ms);
    auto off = relay->wait_for(
        [](const json& m) { return m["type"] == "state" && m["state"] == "off" && m["cause"] == "pulse_end"; },
        30000ms);
    streaming = false;
    board.join();
    ASSERT_TRUE(on);
    ASSERT_TRUE(off) << "the pulse never ended: the loop is stalled";
    // The bridge's own clock: on for 300 ms, not for the seconds a backtracking match would take.
    // The margin is for a busy machine; a stall is hundreds of times longer.
    auto held = (*off)["time"].get<std::int64_t>() - (*on)["time"].get<std::int64_t>();
    EXPECT_GE(held, 300);
    EXPECT_LT(held, 5300) << "the relay was held on for " << held << " ms";
}

}  // namespace
}  // namespace hwb::test
