// The client library against the real daemon over loopback: hello and metadata, subscriptions,
// relays with typed refusals, leases kept alive by the library, text channels, TLS, tokens, and
// reconnection with re-subscription after the daemon restarts.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/token.h"
#include "client/blocking.h"
#include "client/client_map.h"
#include "support/client_events.h"
#include "support/daemon.h"
#include "support/tls.h"

namespace hwb::test {
namespace {

using namespace std::chrono_literals;
using client::BlockingClient;
using client::Event;

class ClientTest : public ::testing::Test {
protected:
    Daemon daemon{client_test_map()};
    BlockingClient c{client_options(daemon.port())};
};

TEST_F(ClientTest, HelloCarriesTheBridgeAndItsChannelsWithCurrentValues) {
    auto hello = c.connect(ChannelKind::relay);
    ASSERT_TRUE(hello.ok()) << hello.error().message;
    EXPECT_EQ(hello.value().bridge, "Client bench");
    EXPECT_EQ(hello.value().version, 1);
    ASSERT_EQ(hello.value().channels.size(), 6u);
    EXPECT_EQ(hello.value().channels[0].id, "pump");
    EXPECT_EQ(hello.value().channels[0].label, "Water pump");
    EXPECT_EQ(hello.value().channels[0].value, "off");

    auto all = c.channels();
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all.value().size(), 2u + 6u + 2u);
    EXPECT_EQ(all.value().front().first, ChannelKind::sensor);
    EXPECT_EQ(all.value().front().second.unit, "°C");
}

TEST_F(ClientTest, SubscribeDeliversReadingsOfTheChosenSensorsOnly) {
    auto ack = c.subscribe(std::vector<std::string>{"door"});
    ASSERT_TRUE(ack.ok()) << ack.error().message;
    EXPECT_EQ(ack.value()["channels"], client::Json::array({"door"}));
    int doors = 0;
    for (int i = 0; i < 30 && doors < 3; ++i) {
        auto e = c.next_event(2s, is<client::ReadingMessage>());
        ASSERT_TRUE(e.has_value());
        auto& r = std::get<client::ReadingMessage>(*e);
        // Readings sent before the subscription took effect may still be on the wire.
        if (r.channel == "door") ++doors;
    }
    // After the ack only door readings arrive.
    for (int i = 0; i < 5; ++i) {
        auto e = c.next_event(2s, is<client::ReadingMessage>());
        ASSERT_TRUE(e.has_value());
        EXPECT_EQ(std::get<client::ReadingMessage>(*e).channel, "door");
    }
    EXPECT_FALSE(c.subscribe(std::vector<std::string>{"nope"}).ok());
}

TEST_F(ClientTest, RelayRequestsAnswerWithTheConfirmedStateAndEveryoneSeesIt) {
    BlockingClient other{client_options(daemon.port())};
    ASSERT_TRUE(other.connect(ChannelKind::relay).ok());
    auto on = c.set("pump", true);
    ASSERT_TRUE(on.ok()) << on.error().message;
    EXPECT_EQ(on.value()["state"], "on");
    EXPECT_TRUE(other.next_event(3s, state_of("pump", "on")).has_value());
    auto toggled = c.toggle("pump");
    ASSERT_TRUE(toggled.ok());
    EXPECT_EQ(toggled.value()["state"], "off");
    auto pulse = c.pulse("pump", 100ms);
    ASSERT_TRUE(pulse.ok());
    EXPECT_TRUE(other.next_event(3s, is<client::StateMessage>([](const client::StateMessage& m) {
                                     return m.channel == "pump" && m.state == "off" && m.cause == "pulse_end";
                                 })).has_value());
    // The cached hello follows the states.
    ASSERT_NE(other.client().hello(ChannelKind::relay), nullptr);
    EXPECT_EQ(other.client().hello(ChannelKind::relay)->channels[0].value, "off");
}

TEST_F(ClientTest, RefusalsCarryTheBridgesErrorCode) {
    EXPECT_EQ(c.set("nope", true).error().code, "unknown_channel");
    ASSERT_TRUE(c.set("forward", true).ok());
    EXPECT_EQ(c.set("reverse", true).error().code, "interlock");
    ASSERT_TRUE(c.set("lamp", true).ok());
    EXPECT_EQ(c.set("lamp", false).error().code, "too_soon");
    ASSERT_TRUE(c.set("valve", true).ok());
    EXPECT_EQ(c.set("valve", false).error().code, "hardware");
    ASSERT_TRUE(c.open_text("display").ok());
    EXPECT_EQ(c.send("display", "x").error().code, "read_only");
    EXPECT_EQ(c.send("console", "x").error().code, "not_open");
}

TEST_F(ClientTest, ALeaseIsRenewedByTheLibraryUntilReleased) {
    BlockingClient watcher{client_options(daemon.port())};
    ASSERT_TRUE(watcher.connect(ChannelKind::relay).ok());
    auto on = c.set("pump", true, 1000ms);
    ASSERT_TRUE(on.ok()) << on.error().message;
    EXPECT_TRUE(c.client().holds_lease("pump"));
    // Three lease lengths later the pump is still on: the library renewed it.
    c.pump(3000ms);
    watcher.pump(10ms);
    EXPECT_FALSE(watcher.next_event(0ms, state_of("pump", "off")).has_value());
    EXPECT_EQ(watcher.client().hello(ChannelKind::relay)->channels[0].value, "on");
    EXPECT_TRUE(c.client().holds_lease("pump"));
    // Released: the bridge drives the relay to its safe state at once.
    c.client().release_leases();
    auto off = watcher.next_event(3s, state_of("pump", "off"));
    ASSERT_TRUE(off.has_value());
    EXPECT_EQ(std::get<client::StateMessage>(*off).cause, "lease_expired");
}

TEST_F(ClientTest, ALeaseEndedByAnotherClientIsReportedLost) {
    ASSERT_TRUE(c.set("pump", true, 5000ms).ok());
    BlockingClient other{client_options(daemon.port())};
    ASSERT_TRUE(other.set("pump", false).ok());
    auto lost = c.next_event(3s, is<client::LeaseLost>());
    ASSERT_TRUE(lost.has_value());
    EXPECT_EQ(std::get<client::LeaseLost>(*lost).channel, "pump");
    EXPECT_FALSE(c.client().holds_lease("pump"));
}

TEST_F(ClientTest, TextChannelsOpenSendAndReceive) {
    auto opened = c.open_text("console");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_TRUE(opened.value()["history"].is_array());
    ASSERT_TRUE(c.send("console", "hello").ok());
    auto echo = c.next_event(3s, is<client::LineMessage>([](const client::LineMessage& l) {
                                   return l.dir == "rx" && l.line == "echo: hello";
                               }));
    EXPECT_TRUE(echo.has_value());
    EXPECT_EQ(c.send("console", std::string(65, 'x')).error().code, "too_long");
}

TEST_F(ClientTest, ABridgeThatCannotBeReachedFailsWithConnectFailed) {
    const std::uint16_t port = daemon.port();
    daemon.stop(SIGTERM);
    BlockingClient lonely{client_options(port)};
    auto hello = lonely.connect(ChannelKind::sensor);
    ASSERT_FALSE(hello.ok());
    EXPECT_EQ(hello.error().code, "connect_failed");
    EXPECT_EQ(lonely.set("pump", true).error().code, "connect_failed");
}

TEST(ClientTimeout, ARequestToABridgeThatNeverAnswersFailsWithNoAnswerInTime) {
    // A socket that listens but never accepts: the handshake never completes.
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(fd, 1), 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    auto o = client_options(ntohs(addr.sin_port));
    o.request_timeout = 300ms;
    BlockingClient c{o};
    const auto start = std::chrono::steady_clock::now();
    auto r = c.set("pump", true);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "no_answer");
    EXPECT_LT(took, 2s);
    close(fd);
}

TEST(ClientReconnect, AfterTheDaemonRestartsTheClientReconnectsAndSubscribesAgain) {
    auto first = std::make_unique<Daemon>(client_test_map());
    const std::uint16_t port = first->port();
    BlockingClient c{client_options(port)};
    ASSERT_TRUE(c.subscribe(std::vector<std::string>{"door"}).ok());
    ASSERT_TRUE(c.open_text("console").ok());
    ASSERT_TRUE(c.next_event(3s, is<client::ReadingMessage>()).has_value());
    first->stop(SIGTERM);
    auto lost = c.next_event(5s, is<client::Disconnected>([](const client::Disconnected& d) { return d.kind == ChannelKind::sensor; }));
    ASSERT_TRUE(lost.has_value());
    EXPECT_TRUE(std::get<client::Disconnected>(*lost).retrying);
    Daemon second{client_test_map(), {}, "127.0.0.1:" + std::to_string(port)};
    auto back = c.next_event(10s, is<client::Hello>([](const client::Hello& h) {
                                 return h.kind == ChannelKind::sensor && h.reconnected;
                             }));
    ASSERT_TRUE(back.has_value());
    // The subscription came back with it: door readings, and only those, after a moment.
    c.pump(300ms);
    while (c.next_event(0ms, is<client::ReadingMessage>())) {
    }
    for (int i = 0; i < 5; ++i) {
        auto e = c.next_event(3s, is<client::ReadingMessage>());
        ASSERT_TRUE(e.has_value());
        EXPECT_EQ(std::get<client::ReadingMessage>(*e).channel, "door");
    }
    // And the text channel is open again: sends work without a new open.
    auto text_back = c.next_event(5s, is<client::Hello>([](const client::Hello& h) {
                                      return h.kind == ChannelKind::text && h.reconnected;
                                  }));
    ASSERT_TRUE(text_back.has_value());
    auto sent = c.send("console", "again");
    ASSERT_TRUE(sent.ok()) << sent.error().code << ": " << sent.error().message;
    EXPECT_TRUE(c.next_event(3s, is<client::LineMessage>([](const client::LineMessage& l) { return l.line == "echo: again"; }))
                    .has_value());
}

TEST(ClientTls, ConnectsOverWssVerifyingTheBridgeAgainstTheGivenCa) {
    SelfSignedCert cert;
    Daemon daemon{client_test_map("  tls:\n    cert: " + cert.cert() + "\n    key: " + cert.key() + "\n")};
    auto o = client_options(daemon.port(), "https");
    o.ca_file = cert.cert();
    BlockingClient c{o};
    auto hello = c.connect(ChannelKind::relay);
    ASSERT_TRUE(hello.ok()) << hello.error().message;
    EXPECT_TRUE(c.set("pump", true).ok());
    // Without the CA the certificate is not trusted.
    auto untrusted = client_options(daemon.port(), "wss");
    BlockingClient refused{untrusted};
    auto no = refused.connect(ChannelKind::relay);
    ASSERT_FALSE(no.ok());
    EXPECT_EQ(no.error().code, "connect_failed");
}

TEST(ClientAuth, TokensOpenTheBridgeAndRefusalsAreTyped) {
    const std::string machine = auth::new_machine_token();
    Daemon daemon{client_test_map("", "auth:\n  machine_tokens:\n    - name: plc\n      sha256: " +
                                          auth::token_sha256_hex(machine) +
                                          "\n      role: operator\n      channels: [pump]\n")};
    {
        BlockingClient none{client_options(daemon.port())};
        auto hello = none.connect(ChannelKind::relay);
        ASSERT_FALSE(hello.ok());
        EXPECT_EQ(hello.error().code, "unauthorized");
    }
    {
        auto o = client_options(daemon.port());
        o.token = "hwbm_" + std::string(43, 'A');
        BlockingClient bad{o};
        auto hello = bad.connect(ChannelKind::relay);
        ASSERT_FALSE(hello.ok());
        EXPECT_EQ(hello.error().code, "bad_token");
    }
    auto o = client_options(daemon.port());
    o.token = machine;
    BlockingClient good{o};
    auto hello = good.connect(ChannelKind::relay);
    ASSERT_TRUE(hello.ok()) << hello.error().message;
    ASSERT_TRUE(hello.value().access.has_value());
    EXPECT_EQ(hello.value().access->role, "operator");
    EXPECT_TRUE(good.set("pump", true).ok());
    EXPECT_EQ(good.set("valve", true).error().code, "forbidden");
}

}  // namespace
}  // namespace hwb::test
