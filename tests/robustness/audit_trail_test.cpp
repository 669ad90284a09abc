// The audit trail says only what happened, once: a `set on` of a relay that is already on, which
// only takes a lease, is no `off -> on` transition; a request is one line (the door's), and a
// change no request caused (a lease whose holder left) is a line of its own.
#include <gtest/gtest.h>

#include <string>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

TEST(AuditTrail, ALeaseOnARelayAlreadyOnIsNotLoggedAsATransition) {
    Daemon daemon(robustness_map());
    WsClient client(daemon.port(), "relay");
    ASSERT_TRUE(client.wait_type("hello"));
    client.send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}});
    auto first = client.wait_for([](const nlohmann::json& m) { return m.value("type", "") == "ack" && m.value("id", 0) == 1; });
    ASSERT_TRUE(first && (*first)["state"] == "on");
    client.send_json({{"type", "set"}, {"id", 2}, {"channel", "pump"}, {"state", "on"}, {"lease_ms", 60000}});
    auto second = client.wait_for([](const nlohmann::json& m) { return m.value("type", "") == "ack" && m.value("id", 0) == 2; });
    ASSERT_TRUE(second && (*second)["state"] == "on");

    // The holder leaves: the lease falls back, seen by another client.
    WsClient watcher(daemon.port(), "relay");
    ASSERT_TRUE(watcher.wait_type("hello"));
    client.drop();
    auto off = watcher.wait_for([](const nlohmann::json& m) {
        return m.value("type", "") == "state" && m.value("channel", "") == "pump" && m.value("state", "") == "off";
    });
    ASSERT_TRUE(off);

    const std::string log = daemon.log();
    EXPECT_EQ(count(log, "audit: relay set pump on by "), 2u) << log;
    EXPECT_EQ(count(log, "): done, off -> on"), 1u) << log;
    EXPECT_EQ(count(log, "): done, stays on (lease set)"), 1u) << log;
    // No second line for the same switch.
    EXPECT_EQ(count(log, "audit: relay pump off -> on"), 0u) << log;
    EXPECT_EQ(count(log, "audit: relay pump stays on"), 0u) << log;
    EXPECT_EQ(count(log, "audit: relay pump on -> off by lease_expired c"), 1u) << log;
}

}  // namespace
}  // namespace hwb::test
