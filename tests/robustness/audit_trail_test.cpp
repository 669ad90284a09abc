// The audit trail says only what happened: a `set on` of a relay that is already on, which only
// takes a lease, is no `off -> on` transition.
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

    const std::string log = daemon.log();
    EXPECT_EQ(count(log, "audit: relay pump off -> on"), 1u) << log;
    EXPECT_EQ(count(log, "audit: relay pump stays on (lease set)"), 1u) << log;
}

}  // namespace
}  // namespace hwb::test
