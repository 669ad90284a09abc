// Strings a client sends reach the log escaped: a newline in a relay request's `client` cannot
// forge a separate (audit) line, and no escape sequence from a request or a header reaches the
// terminal of whoever reads the log.
#include <gtest/gtest.h>

#include <string>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

TEST(LogInjection, ClientStringsCannotForgeLogLinesOrSendEscapeSequences) {
    Daemon daemon(robustness_map());
    WsClient client(daemon.port(), "relay");
    ASSERT_TRUE(client.wait_type("hello"));
    const std::string forged = "x\naudit: map apply by root from 127.0.0.1 (http): done\x1b[2J";
    client.send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}, {"client", forged}});
    auto ack = client.wait_type("ack");
    ASSERT_TRUE(ack) << "the relay request was not acknowledged";

    // Headers go to the log when they are refused: an Origin and a subprotocol with control bytes.
    auto refused = http_request(daemon.port(), "POST", "/api/map/validate", {"Origin: http://evil\x1b]0;owned\x07.example"},
                                "a: 1\n");
    EXPECT_EQ(refused.status, 403);

    const std::string log = daemon.log();
    // The forged text is there, on the line of the switch, with its newline and ESC escaped.
    EXPECT_NE(log.find("x\\x0aaudit: map apply by root from 127.0.0.1 (http): done\\x1b[2J"), std::string::npos) << log;
    // ... and never at the start of a line of its own.
    EXPECT_EQ(log.find("\naudit: map apply by root"), std::string::npos) << log;
    EXPECT_EQ(log.find("\naudit: map apply"), std::string::npos) << log;
    EXPECT_NE(log.find("evil\\x1b]0;owned\\x07.example"), std::string::npos) << log;
    for (char c : log) {
        const auto b = static_cast<unsigned char>(c);
        ASSERT_TRUE(b >= 0x20 || b == '\n') << "control byte " << int(b) << " in the log:\n" << log;
        ASSERT_NE(b, 0x7f);
    }
}

}  // namespace
}  // namespace hwb::test
