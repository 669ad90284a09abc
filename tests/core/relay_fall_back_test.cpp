// The relay's automatic switches under races and failures: a lease whose holder leaves while its
// `set on` is still in flight, and fall-back / max_on / pulse-end writes the hardware refuses.
// A lease never outlives its holder; a switch towards off/safe that fails is retried and reported.
#include <gtest/gtest.h>

#include "core/channels.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

// Completions triggered by the test, as a board that answers later (or not as asked).
class LateOutput final : public RelayOutput {
public:
    void write(bool on, Done done) override {
        writes.push_back(on);
        pending = std::move(done);
    }
    bool waiting() const { return static_cast<bool>(pending); }
    void confirm(RelayState actual) { std::exchange(pending, nullptr)(actual, std::nullopt); }
    // The board refuses the write and stays as it was (the sim driver's `fail_every`).
    void refuse(RelayState actual) { std::exchange(pending, nullptr)(actual, Error{"hardware", "write refused"}); }
    std::vector<bool> writes;
    Done pending;
};

struct Watcher final : ChannelObserver {
    void on_relay_change(const Relay& relay, const Cause& cause) override {
        changes.push_back(std::string(to_string(relay.state())) + " " + to_string(cause.kind) +
                          (cause.client.empty() ? "" : " " + cause.client) + (relay.lease() ? " leased" : ""));
    }
    void on_relay_failure(const Relay& relay, const RelayFailure& failure) override {
        failures.push_back(relay.id() + (failure.on ? " on " : " off ") + to_string(failure.cause.kind) + " " +
                           failure.error.code + (failure.retry_in ? " retry " + std::to_string(failure.retry_in->count()) : ""));
    }
    std::vector<std::string> changes;
    std::vector<std::string> failures;
};

class FallBackTest : public ::testing::Test {
protected:
    explicit FallBackTest(RelayInfo info = RelayInfo{.id = "pump", .safe_state = false}) : relay(std::move(info), watch, loop) {
        relay.bind(&output);
        relay.report(RelayState::off, Cause::of(Cause::Kind::startup));
        watch.changes.clear();
    }
    // A client's request; its answer lands in `reply`.
    void set(bool on, const std::string& client, std::optional<LeaseRequest> lease = std::nullopt) {
        reply.reset();
        relay.set(on, Cause::by_client(client), [this](Result<RelayState> r) { reply = std::move(r); }, std::move(lease));
    }
    static LeaseRequest day_lease(const std::string& owner) { return LeaseRequest{owner, std::chrono::hours(24)}; }

    test::ManualLoop loop;
    Watcher watch;
    LateOutput output;
    Relay relay;
    std::optional<Result<RelayState>> reply;
};

TEST_F(FallBackTest, ConfirmationArrivingAfterTheLeaseHolderLeftSwitchesBackAtOnce) {
    set(true, "c7", day_lease("c7"));
    relay.release_leases_of("c7");  // the connection closed while the write was in flight
    output.confirm(RelayState::on);
    ASSERT_TRUE(reply && reply->ok());
    EXPECT_FALSE(relay.lease()) << "a lease was installed for a client that is gone";
    loop.run_ready();  // from the loop, not from inside the driver's callback
    ASSERT_EQ(output.writes, std::vector<bool>({true, false}));
    output.confirm(RelayState::off);
    EXPECT_EQ(relay.state(), RelayState::off);
    EXPECT_FALSE(relay.lease());
    EXPECT_EQ(watch.changes, std::vector<std::string>({"on client c7", "off lease_expired c7"}));
    loop.advance(std::chrono::hours(25));
    EXPECT_EQ(output.writes.size(), 2u);
}

TEST_F(FallBackTest, HolderRenewingBySetAndLeavingMidFlightStillFallsBack) {
    set(true, "c7", LeaseRequest{"c7", std::chrono::seconds(10)});
    output.confirm(RelayState::on);
    ASSERT_TRUE(relay.lease());
    set(true, "c7", day_lease("c7"));  // the holder asks again, for a day
    relay.release_leases_of("c7");
    output.confirm(RelayState::on);
    EXPECT_FALSE(relay.lease());
    loop.advance(std::chrono::milliseconds(20));
    ASSERT_EQ(output.writes, std::vector<bool>({true, true, false}));
    output.confirm(RelayState::off);
    EXPECT_EQ(relay.state(), RelayState::off);
    EXPECT_EQ(watch.changes.back(), "off lease_expired c7");
}

TEST_F(FallBackTest, AnotherClientLeavingDoesNotTouchTheRequestInFlight) {
    set(true, "c7", day_lease("c7"));
    relay.release_leases_of("c8");
    output.confirm(RelayState::on);
    ASSERT_TRUE(relay.lease());
    EXPECT_EQ(relay.lease()->owner, "c7");
    loop.run_ready();
    EXPECT_EQ(output.writes.size(), 1u);
}

TEST_F(FallBackTest, LeaseFallBackThatFailsIsRetriedWithBackoffAndReported) {
    set(true, "c7", day_lease("c7"));
    output.confirm(RelayState::on);
    relay.release_leases_of("c7");
    ASSERT_EQ(output.writes, std::vector<bool>({true, false}));
    output.refuse(RelayState::on);  // the board stays on
    EXPECT_EQ(relay.state(), RelayState::on);
    EXPECT_EQ(watch.failures, std::vector<std::string>({"pump off lease_expired hardware retry 1000"}));
    loop.advance(std::chrono::milliseconds(999));
    EXPECT_EQ(output.writes.size(), 2u);
    loop.advance(std::chrono::milliseconds(1));
    ASSERT_EQ(output.writes.size(), 3u);
    EXPECT_FALSE(output.writes[2]);
    output.refuse(RelayState::on);
    EXPECT_EQ(watch.failures.back(), "pump off lease_expired hardware retry 2000");
    loop.advance(std::chrono::milliseconds(2000));
    ASSERT_EQ(output.writes.size(), 4u);
    output.confirm(RelayState::off);
    EXPECT_EQ(relay.state(), RelayState::off);
    EXPECT_EQ(watch.changes.back(), "off lease_expired c7");
    loop.advance(std::chrono::minutes(5));
    EXPECT_EQ(output.writes.size(), 4u);  // settled
}

TEST_F(FallBackTest, LeaseExpiryThatFailsIsRetried) {
    set(true, "c7", LeaseRequest{"c7", std::chrono::seconds(5)});
    output.confirm(RelayState::on);
    loop.advance(std::chrono::seconds(5));
    ASSERT_EQ(output.writes.size(), 2u);
    output.refuse(RelayState::on);
    loop.advance(std::chrono::seconds(1));
    ASSERT_EQ(output.writes.size(), 3u);
    output.confirm(RelayState::off);
    EXPECT_EQ(relay.state(), RelayState::off);
}

TEST_F(FallBackTest, AClientDecidingAfterAFailedFallBackEndsTheRetries) {
    set(true, "c7", day_lease("c7"));
    output.confirm(RelayState::on);
    relay.release_leases_of("c7");
    output.refuse(RelayState::on);
    set(true, "c9");  // someone switches it on for good
    output.confirm(RelayState::on);
    loop.advance(std::chrono::minutes(5));
    EXPECT_EQ(output.writes.size(), 3u);
    EXPECT_EQ(relay.state(), RelayState::on);
}

TEST_F(FallBackTest, EveryFailedWriteIsReportedClientsToo) {
    set(true, "c7");
    output.refuse(RelayState::off);
    ASSERT_TRUE(reply && !reply->ok());
    EXPECT_EQ(watch.failures, std::vector<std::string>({"pump on client hardware"}));  // the client retries, not the relay
}

class MaxOnFailureTest : public FallBackTest {
protected:
    MaxOnFailureTest() : FallBackTest(RelayInfo{.id = "heater", .max_on_ms = 60000}) {}
};

TEST_F(MaxOnFailureTest, MaxOnThatFailsIsRetriedEvenIfSomeoneSetsOnAgain) {
    set(true, "c1");
    output.confirm(RelayState::on);
    loop.advance(std::chrono::seconds(60));
    ASSERT_EQ(output.writes.size(), 2u);
    output.refuse(RelayState::on);
    EXPECT_EQ(watch.failures, std::vector<std::string>({"heater off max_on hardware retry 1000"}));
    set(true, "c1");  // a plain set on of a relay already on does not restart max_on
    output.confirm(RelayState::on);
    loop.advance(std::chrono::seconds(1));
    ASSERT_EQ(output.writes.size(), 4u);
    EXPECT_FALSE(output.writes[3]);
    output.confirm(RelayState::off);
    EXPECT_EQ(watch.changes.back(), "off max_on");
}

TEST_F(FallBackTest, PulseEndThatFailsIsRetried) {
    relay.pulse(std::chrono::milliseconds(500), Cause::by_client("c1"), [](auto) {});
    output.confirm(RelayState::on);
    loop.advance(std::chrono::milliseconds(500));
    ASSERT_EQ(output.writes.size(), 2u);
    output.refuse(RelayState::on);
    loop.advance(std::chrono::seconds(1));
    ASSERT_EQ(output.writes.size(), 3u);
    output.confirm(RelayState::off);
    EXPECT_EQ(watch.changes.back(), "off pulse_end");
}

}  // namespace
}  // namespace hwb
