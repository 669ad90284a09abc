// DNS rebinding (docs/security.md): a foreign page whose name resolves to the bridge sends its own
// name in Host and a matching Origin. Every request and upgrade that does not name the bridge in
// Host is refused with 421 before any handler runs; the bridge's own names keep working.
#include <gtest/gtest.h>

#include <unistd.h>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

std::string machine_name() {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    return name;
}

std::string state_of(std::uint16_t port, const std::string& relay) {
    WsClient probe(port, "relay");
    auto hello = probe.wait_type("hello");
    if (!hello) return "no hello";
    for (const auto& ch : (*hello)["channels"])
        if (ch["id"] == relay) return ch["state"].get<std::string>();
    return "no such relay";
}

TEST(DnsRebinding, AForeignHostGetsNeitherUpgradeNorApi) {
    Daemon daemon(robustness_map());
    const std::string evil = "evil.example:" + std::to_string(daemon.port());
    WsClient::Options options{"relay", "http://" + evil, "/"};
    options.host = evil;
    WsClient client(daemon.port(), options);
    EXPECT_FALSE(client.ok()) << "the upgrade must be refused";
    EXPECT_NE(client.refusal().head.find(" 421 "), std::string::npos) << client.refusal().head;

    for (const char* path : {"/api/map", "/api/channels", "/", "/healthz"}) {
        auto r = http_request(daemon.port(), "GET", path, {"Host: " + evil, "Origin: http://" + evil});
        EXPECT_EQ(r.status, 421) << path << ": " << r.head;
    }
    auto validate = http_request(daemon.port(), "POST", "/api/map/validate",
                                 {"Host: " + evil, "Origin: http://" + evil, "Content-Type: text/plain"}, "a: 1\n");
    EXPECT_EQ(validate.status, 421) << validate.head;
    // Malformed Host values are foreign too.
    for (std::string bad : std::vector<std::string>{"", "127.0.0.1:80x", "[::1", "a b"}) {
        auto r = http_request(daemon.port(), "GET", "/api/channels", {"Host: " + bad});
        EXPECT_EQ(r.status, 421) << "'" << bad << "': " << r.head;
    }
    EXPECT_EQ(state_of(daemon.port(), "pump"), "off");
    EXPECT_NE(daemon.log().find("is not a name of this bridge"), std::string::npos) << daemon.log();
}

TEST(DnsRebinding, TheBridgesOwnNamesWork) {
    Daemon daemon(robustness_map("  allowed_hosts: [panel.example.org, \"*.lab.example\"]\n"));
    const std::string port = std::to_string(daemon.port());
    const std::vector<std::string> hosts = {"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST.", "[::1]:" + port,
                                            machine_name(),
                                            machine_name().substr(0, machine_name().find('.')) + ".local:" + port,
                                            "panel.example.org", "bench3.lab.example:" + port};
    for (const auto& host : hosts) {
        auto r = http_request(daemon.port(), "GET", "/api/channels", {"Host: " + host});
        EXPECT_EQ(r.status, 200) << host << ": " << r.head;
    }
    // The wildcard is for names below the domain, not the domain's look-alikes.
    EXPECT_EQ(http_request(daemon.port(), "GET", "/api/channels", {"Host: evillab.example"}).status, 421);
    WsClient::Options options{"relay", "http://panel.example.org", "/"};
    options.host = "panel.example.org";
    WsClient client(daemon.port(), options);
    EXPECT_TRUE(client.ok()) << client.refusal().head;
}

}  // namespace
}  // namespace hwb::test
