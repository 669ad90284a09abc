// A client that stops reading must not delay the hardware or other clients, nor grow the
// daemon without bound.
#include <gtest/gtest.h>

#include <thread>

#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

constexpr const char* fast_map = R"(bridge: {name: Fast, limits: {sensor_rate: 0}}  # 400 history requests at once are this test's load
devices: [{id: b, driver: sim}]
sensors:
  - {id: fast, device: b, signal: sine, rate: 2000}
  - {id: fast2, device: b, signal: triangle, rate: 2000}
relays:
  - {id: pump, device: b, latency: 0ms}
texts:
  - {id: display, device: b, mode: status, interval: 10ms}
)";

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST(SlowClient, ReaderThatStallsDoesNotDelayOthersAndMemoryStaysBounded) {
    Daemon daemon(fast_map);
    // Stalled clients: tiny receive buffers, never read after the handshake.
    WsClient::Options stalled{"sensor", {}, "/", 2048};
    std::vector<std::unique_ptr<WsClient>> stalls;
    for (int i = 0; i < 3; ++i) stalls.push_back(std::make_unique<WsClient>(daemon.port(), stalled));
    WsClient::Options stalled_text{"text", {}, "/", 2048};
    auto text = std::make_unique<WsClient>(daemon.port(), stalled_text);
    ASSERT_TRUE(text->ok());
    text->send_json({{"type", "open"}, {"id", 1}, {"channel", "display"}});

    std::this_thread::sleep_for(std::chrono::seconds(2));
    long rss_before = rss_kb(daemon.pid());

    WsClient healthy(daemon.port(), "sensor");
    ASSERT_TRUE(healthy.ok());
    int fresh = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < end) {
        auto m = healthy.wait_type("reading", std::chrono::milliseconds(500));
        ASSERT_TRUE(m) << "a healthy client stopped receiving readings";
        // Readings are current: no backlog of old values.
        if (now_ms() - (*m)["time"].get<std::int64_t>() < 250) ++fresh;
    }
    EXPECT_GT(fresh, 500);
    long rss_after = rss_kb(daemon.pid());
    // Sensor streams coalesce, so stalled sensor clients cost nothing more over time; the stalled
    // text client's queue is bounded (4 MiB) and it is closed when it overflows. Under
    // AddressSanitizer freed memory sits in its quarantine, so RSS says nothing there.
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(rss_after - rss_before, 8 * 1024) << "RSS grew from " << rss_before << " kB to " << rss_after << " kB";
#else
    (void)rss_before;
    (void)rss_after;
#endif
    for (auto& s : stalls) EXPECT_FALSE(s->closed());
}

// Messages that pile up while a client does not read go out several per write (one WebSocket
// frame each): every one must arrive whole, in order, whatever its length encoding.
TEST(SlowClient, PausedClientGetsEveryAnswerWholeAndInOrder) {
    Daemon daemon(fast_map);
    WsClient client(daemon.port(), "sensor");
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(client.wait_type("hello"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // some history to answer with
    std::string burst;
    constexpr int requests = 400;
    for (int id = 1; id <= requests; ++id) {
        nlohmann::json request = {{"type", "history"}, {"id", id}, {"channel", id % 2 ? "fast" : "fast2"}};
        std::string payload = request.dump();
        // A masked client text frame (mask 0: the payload goes as is).
        burst += static_cast<char>(0x81);
        burst += static_cast<char>(0x80 | payload.size());
        burst += std::string(4, '\0');
        burst += payload;
    }
    client.send_raw(burst);
    int expected = 1;
    bool long_frame = false;
    while (expected <= requests) {
        auto m = client.wait_type("ack");
        ASSERT_TRUE(m) << "answer " << expected << " missing";
        ASSERT_EQ((*m)["id"], expected);
        ASSERT_EQ((*m)["channel"], expected % 2 ? "fast" : "fast2");
        if ((*m)["readings"].dump().size() >= 126) long_frame = true;
        ++expected;
    }
    EXPECT_TRUE(long_frame) << "no answer needed the 16-bit length form";
    EXPECT_FALSE(client.closed());
}

// A hello longer than 65535 bytes takes the 64-bit length form.
TEST(SlowClient, HelloLongerThan64KiBArrivesWhole) {
    std::string map = "bridge: {name: Wide}\ndevices: [{id: b, driver: sim}]\nsensors:\n";
    constexpr int sensors = 800;
    for (int i = 0; i < sensors; ++i) {
        map += "  - {id: s" + std::to_string(i) + ", device: b, signal: constant, rate: 1, label: \"Sensor number " +
               std::to_string(i) + " in the long row\"}\n";
    }
    Daemon daemon(map);
    WsClient client(daemon.port(), "sensor");
    ASSERT_TRUE(client.ok());
    auto hello = client.wait_type("hello", std::chrono::seconds(10));
    ASSERT_TRUE(hello);
    EXPECT_GT(hello->dump().size(), 65535u);
    ASSERT_EQ((*hello)["channels"].size(), static_cast<std::size_t>(sensors));
    EXPECT_EQ((*hello)["channels"][sensors - 1]["id"], "s" + std::to_string(sensors - 1));
    EXPECT_TRUE(client.wait_type("reading"));
}

}  // namespace
}  // namespace hwb::test
