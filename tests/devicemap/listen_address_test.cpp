#include <gtest/gtest.h>

#include "devicemap/loader.h"

namespace hwb {
namespace {

void expect_address(std::string_view text, const std::string& host, std::uint16_t port) {
    auto address = parse_listen_address(text);
    ASSERT_TRUE(address.ok()) << text << ": " << address.error().message;
    EXPECT_EQ(address.value().host, host) << text;
    EXPECT_EQ(address.value().port, port) << text;
}

TEST(ListenAddress, AcceptsHostsIpv4AndBracketedIpv6) {
    expect_address("127.0.0.1:8080", "127.0.0.1", 8080);
    expect_address("0.0.0.0:80", "0.0.0.0", 80);
    expect_address("localhost:0", "localhost", 0);  // port 0: the kernel picks one
    expect_address("pi.local:65535", "pi.local", 65535);
    expect_address("[::1]:8080", "::1", 8080);
    expect_address("[::]:443", "::", 443);
    expect_address("[fe80::1:2]:1", "fe80::1:2", 1);
}

TEST(ListenAddress, RejectsMalformedAddressesWithAReason) {
    for (const char* bad : {"", "8080", "127.0.0.1", ":8080", "::1:8080", "[::1]", "[::1]8080", "[::1:8080",
                            "host:65536", "host:-1", "host:80a", "host:", "[]:80", "ho st:80", "[zz]:80",
                            "host:123456", "-host:80"}) {
        auto address = parse_listen_address(bad);
        EXPECT_FALSE(address.ok()) << "accepted '" << bad << "'";
        if (!address.ok()) {
            EXPECT_EQ(address.error().code, "bad_listen_address");
            EXPECT_NE(address.error().message.find(std::string("'") + bad + "'"), std::string::npos)
                << address.error().message;
        }
    }
}

TEST(ListenAddress, UnbracketedIpv6ExplainsTheBrackets) {
    auto address = parse_listen_address("::1:8080");
    ASSERT_FALSE(address.ok());
    EXPECT_EQ(address.error().message, "listen address '::1:8080': IPv6 addresses need brackets, e.g. [::1]:8080");
}

TEST(ListenAddress, PortOutOfRangeSaysSo) {
    auto address = parse_listen_address("127.0.0.1:70000");
    ASSERT_FALSE(address.ok());
    EXPECT_EQ(address.error().message,
              "listen address '127.0.0.1:70000': the port must be a number from 0 to 65535, got '70000'");
}

}  // namespace
}  // namespace hwb
