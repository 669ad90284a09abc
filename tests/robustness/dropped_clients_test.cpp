// Clients that vanish in the middle of something: mid-handshake, mid-header, mid-payload, mid
// fragmented message, with a clean TCP close or a reset. The daemon forgets each of them and goes on.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

// Bytes of a well-formed message cut at every interesting point of its header and payload.
std::vector<std::pair<std::string, std::string>> cut_points() {
    const std::string small = raw_frame(0x81, R"({"type":"set","id":1,"channel":"pump","state":"on"})");
    const std::string medium = raw_frame(0x81, R"({"type":"send","id":1,"channel":"console","line":")" +
                                                   std::string(300, 'x') + "\"}");  // 16-bit length
    const std::string large = raw_frame(0x81, std::string(70000, ' '));             // 64-bit length
    return {
        {"after the first header byte", small.substr(0, 1)},
        {"before the mask", small.substr(0, 2)},
        {"inside the mask", small.substr(0, 4)},
        {"before the payload", small.substr(0, 6)},
        {"inside the payload", small.substr(0, small.size() - 5)},
        {"inside a 16-bit length", medium.substr(0, 3)},
        {"inside a 16-bit payload", medium.substr(0, 200)},
        {"inside a 64-bit length", large.substr(0, 6)},
        {"inside an oversized payload", large.substr(0, 3000)},
        {"after the first fragment", raw_frame(0x01, R"({"type":"set",)")},
        {"inside the second fragment", raw_frame(0x01, R"({"type":"set",)") + raw_frame(0x80, R"("id":1,"channel")").substr(0, 8)},
    };
}

int connect_raw(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(DroppedClients, ClientsClosingMidFrameAreForgottenAndNothingSwitches) {
    Daemon daemon(robustness_map());
    WsClient watcher(daemon.port(), "relay");
    ASSERT_TRUE(watcher.wait_type("hello"));

    int drops = 0;
    for (const char* subprotocol : {"sensor", "relay", "text"}) {
        for (const auto& [where, bytes] : cut_points()) {
            for (bool reset : {false, true}) {
                SCOPED_TRACE(std::string(subprotocol) + ", " + where + (reset ? ", reset" : ", closed"));
                WsClient client(daemon.port(), subprotocol);
                ASSERT_TRUE(client.ok());
                ASSERT_TRUE(client.wait_type("hello"));
                client.send_raw(bytes);
                client.drop(reset);
                ++drops;
            }
        }
    }
    // Mid-handshake: half an HTTP upgrade request, then gone.
    const std::string upgrade =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: relay\r\n\r\n";
    for (std::size_t cut : {std::size_t{3}, std::size_t{40}, upgrade.size() - 2}) {
        int fd = connect_raw(daemon.port());
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::send(fd, upgrade.data(), cut, MSG_NOSIGNAL), static_cast<ssize_t>(cut));
        ::close(fd);
        ++drops;
    }
    EXPECT_EQ(drops, 69);

    // Each was cleaned up (only the watcher is left) and the relay half-sent "on" never switched.
    EXPECT_TRUE(wait_for_clients(daemon.port(), 1, std::chrono::seconds(10)))
        << "clients still connected: " << health_clients(daemon.port());
    expect_relays_untouched_and_serving(watcher, daemon);
}

}  // namespace
}  // namespace hwb::test
