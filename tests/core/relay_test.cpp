#include <gtest/gtest.h>

#include "core/channels.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

// A relay output whose completions the test triggers by hand.
class ScriptedOutput final : public RelayOutput {
public:
    void write(bool on, Done done) override {
        writes.push_back(on);
        pending = std::move(done);
    }
    void confirm(RelayState actual) { std::exchange(pending, nullptr)(actual, std::nullopt); }
    void fail(RelayState actual, std::string code) {
        std::exchange(pending, nullptr)(actual, Error{std::move(code), "scripted failure"});
    }
    std::vector<bool> writes;
    Done pending;
};

struct Changes final : ChannelObserver {
    void on_relay_change(const Relay& relay, const Cause& cause) override {
        seen.push_back({relay.state(), cause.kind, cause.client});
    }
    struct Change {
        RelayState state;
        Cause::Kind kind;
        std::string client;
    };
    std::vector<Change> seen;
};

class RelayTest : public ::testing::Test {
protected:
    RelayTest() : relay(RelayInfo{"pump", "Pump", "bench", false, false}, changes, loop) {
        relay.bind(&output);
        relay.report(RelayState::off, Cause::of(Cause::Kind::startup));
        changes.seen.clear();
    }
    test::ManualLoop loop;
    Changes changes;
    ScriptedOutput output;
    Relay relay;
    std::optional<Result<RelayState>> reply;
    Relay::Reply capture() {
        return [this](Result<RelayState> r) { reply = std::move(r); };
    }
};

TEST_F(RelayTest, StateChangesOnlyWhenTheHardwareConfirms) {
    relay.set(true, Cause::by_client("c1"), capture());
    EXPECT_TRUE(relay.pending());
    EXPECT_EQ(relay.state(), RelayState::off);
    EXPECT_TRUE(changes.seen.empty());
    output.confirm(RelayState::on);
    ASSERT_TRUE(reply && reply->ok());
    EXPECT_EQ(reply->value(), RelayState::on);
    EXPECT_EQ(relay.state(), RelayState::on);
    ASSERT_EQ(changes.seen.size(), 1u);
    EXPECT_EQ(changes.seen[0].client, "c1");
    EXPECT_FALSE(relay.pending());
}

TEST_F(RelayTest, FailedWriteKeepsConfirmedStateAndReportsError) {
    relay.set(true, Cause::by_client("c1"), capture());
    output.fail(RelayState::off, "hardware");
    ASSERT_TRUE(reply && !reply->ok());
    EXPECT_EQ(reply->error().code, "hardware");
    EXPECT_EQ(relay.state(), RelayState::off);
    EXPECT_TRUE(changes.seen.empty());
}

TEST_F(RelayTest, ReadBackDisagreeingWithRequestIsAnErrorAndTheReadBackIsPublished) {
    relay.set(true, Cause::by_client("c1"), capture());
    output.confirm(RelayState::unknown);
    ASSERT_TRUE(reply && !reply->ok());
    EXPECT_EQ(reply->error().code, "hardware");
    EXPECT_EQ(relay.state(), RelayState::unknown);
    ASSERT_EQ(changes.seen.size(), 1u);
    EXPECT_EQ(changes.seen[0].state, RelayState::unknown);
}

TEST_F(RelayTest, RequestWhileWriteInFlightIsRefusedAsBusy) {
    relay.set(true, Cause::by_client("c1"), [](auto) {});
    relay.set(false, Cause::by_client("c2"), capture());
    ASSERT_TRUE(reply && !reply->ok());
    EXPECT_EQ(reply->error().code, "busy");
    EXPECT_EQ(output.writes.size(), 1u);
}

TEST_F(RelayTest, ToggleOfUnknownStateIsRefused) {
    relay.report(RelayState::unknown, Cause::of(Cause::Kind::driver));
    relay.toggle(Cause::by_client("c1"), capture());
    ASSERT_TRUE(reply && !reply->ok());
    EXPECT_EQ(reply->error().code, "unknown_state");
    EXPECT_TRUE(output.writes.empty());
}

TEST_F(RelayTest, UnboundRelayIsOffline) {
    relay.bind(nullptr);
    relay.set(true, Cause::by_client("c1"), capture());
    ASSERT_TRUE(reply && !reply->ok());
    EXPECT_EQ(reply->error().code, "offline");
}

TEST_F(RelayTest, PulseSwitchesOffAfterItsDuration) {
    relay.pulse(Millis(500), Cause::by_client("c1"), capture());
    output.confirm(RelayState::on);
    ASSERT_TRUE(reply && reply->ok());
    loop.advance(std::chrono::milliseconds(499));
    EXPECT_TRUE(output.writes.size() == 1u);
    loop.advance(std::chrono::milliseconds(1));
    ASSERT_EQ(output.writes.size(), 2u);
    EXPECT_FALSE(output.writes[1]);
    output.confirm(RelayState::off);
    ASSERT_EQ(changes.seen.size(), 2u);
    EXPECT_EQ(changes.seen[1].kind, Cause::Kind::pulse_end);
}

TEST_F(RelayTest, SetDuringPulseCancelsTheAutomaticOff) {
    relay.pulse(Millis(500), Cause::by_client("c1"), [](auto) {});
    output.confirm(RelayState::on);
    relay.set(true, Cause::by_client("c2"), [](auto) {});
    output.confirm(RelayState::on);
    loop.advance(std::chrono::seconds(2));
    EXPECT_EQ(output.writes.size(), 2u);
    EXPECT_EQ(relay.state(), RelayState::on);
}

TEST_F(RelayTest, SafeStateSupersedesRequestInFlight) {
    Changes c2;
    test::ManualLoop l2;
    Relay heater(RelayInfo{"heater", "Heater", "bench", false, false}, c2, l2);
    ScriptedOutput out;
    heater.bind(&out);
    heater.report(RelayState::on, Cause::of(Cause::Kind::startup));
    std::optional<Result<RelayState>> first;
    heater.set(true, Cause::by_client("c1"), [&](auto r) { first = std::move(r); });
    std::optional<Result<RelayState>> safe;
    heater.apply_safe_state([&](auto r) { safe = std::move(r); });
    ASSERT_TRUE(first && !first->ok());
    out.confirm(RelayState::off);
    ASSERT_TRUE(safe && safe->ok());
    EXPECT_EQ(heater.state(), RelayState::off);
    EXPECT_EQ(c2.seen.back().kind, Cause::Kind::shutdown);
}

TEST_F(RelayTest, NoSafeStateLeavesTheRelayAlone) {
    Changes c2;
    Relay lamp(RelayInfo{"lamp", "Lamp", "bench", true, std::nullopt}, c2, loop);
    ScriptedOutput out;
    lamp.bind(&out);
    lamp.report(RelayState::on, Cause::of(Cause::Kind::startup));
    std::optional<Result<RelayState>> r;
    lamp.apply_safe_state([&](auto x) { r = std::move(x); });
    ASSERT_TRUE(r && r->ok());
    EXPECT_EQ(r->value(), RelayState::on);
    EXPECT_TRUE(out.writes.empty());
}

}  // namespace
}  // namespace hwb
