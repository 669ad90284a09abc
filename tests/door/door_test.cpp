// The door with a front that is not a WebSocket: a plain C++ requester (as the MQTT uplink or an
// automation will be) gets the same refusals as a browser (forbidden, rate_limited, interlock,
// too_soon) and exactly one audit line per request, in the same words.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "door/door.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

// A relay output that confirms every write at once.
class Confirming final : public RelayOutput {
public:
    void write(bool on, Done done) override {
        ++writes;
        done(relay_state(on), std::nullopt);
    }
    int writes = 0;
};

DeviceMap door_test_map() {
    DeviceMap map;
    DeviceConfig device;
    device.id = "bench";
    device.driver = "test";
    auto relay = [&](std::string id, auto&& adjust) {
        RelayConfig config;
        config.info.id = std::move(id);
        config.info.device = "bench";
        adjust(config.info);
        device.relays.push_back(std::move(config));
    };
    relay("pump", [](RelayInfo&) {});
    relay("heater", [](RelayInfo& info) { info.min_on_ms = 60000; });
    relay("forward", [](RelayInfo& info) { info.interlock = "motor"; });
    relay("reverse", [](RelayInfo& info) { info.interlock = "motor"; });
    relay("gate", [](RelayInfo&) {});
    map.devices.push_back(std::move(device));
    map.auth.control["gate"] = Role::admin;  // an operator may not switch it
    return map;
}

class DoorTest : public ::testing::Test {
protected:
    DoorTest() : channels(door_test_map(), loop), door(loop, limits()) {
        for (const auto& relay : channels.relays()) {
            relay->bind(&output);
            relay->report(RelayState::off, Cause::of(Cause::Kind::startup));
        }
        door.attach(channels);
        door.set_auth(door_test_map().auth, "");
        // Capture the log the way the daemon writes it (pattern: the message only).
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
        sink->set_pattern("%v");
        previous = spdlog::default_logger();
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("door-test", sink));
        front.identity = door.access().anonymous();  // no auth configured: operator
    }
    ~DoorTest() override { spdlog::set_default_logger(previous); }

    static LimitsConfig limits() {
        LimitsConfig l;
        l.relay_requests = RateLimit{0.001, 3};
        l.max_refusals = 2;
        return l;
    }

    Result<RelayState> ask(RelayCommand command) {
        std::optional<Result<RelayState>> answer;
        door.relay(front, command, [&](Result<RelayState> r) { answer = std::move(r); });
        EXPECT_TRUE(answer.has_value()) << "the door must answer (confirming output)";
        return answer.value_or(Error{"none", "no answer"});
    }
    static RelayCommand set(std::string channel, bool on) {
        RelayCommand c;
        c.channel = std::move(channel);
        c.on = on;
        return c;
    }
    std::size_t lines_with(const std::string& what) const {
        std::size_t n = 0;
        std::istringstream in(log.str());
        for (std::string line; std::getline(in, line);) n += line.find(what) != std::string::npos;
        return n;
    }
    std::size_t audit_lines() const { return lines_with("audit: "); }

    test::ManualLoop loop;
    Channels channels;
    Confirming output;
    Door door;
    Requester front{"test", "unit test", "t1"};
    std::ostringstream log;
    std::shared_ptr<spdlog::logger> previous;
};

TEST_F(DoorTest, AllowedRequestIsExecutedAndAuditedOnce) {
    auto r = ask(set("pump", true));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(channels.relay("pump")->state(), RelayState::on);
    EXPECT_EQ(audit_lines(), 1u) << log.str();
    EXPECT_EQ(lines_with("audit: relay set pump on by anonymous from unit test (t1): done, off -> on"), 1u) << log.str();
}

TEST_F(DoorTest, ForbiddenChannelIsRefusedBeforeCore) {
    auto r = ask(set("gate", true));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "forbidden");
    EXPECT_EQ(channels.relay("gate")->state(), RelayState::off);
    EXPECT_EQ(output.writes, 0) << "a refused request never reaches the hardware";
    EXPECT_EQ(lines_with("audit: relay set gate on by anonymous from unit test (t1): refused (forbidden)"), 1u) << log.str();
    EXPECT_EQ(audit_lines(), 1u) << log.str();
}

TEST_F(DoorTest, AViewerMayNotSwitchAnything) {
    front.identity.role = Role::viewer;
    auto r = ask(set("pump", true));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "forbidden");
    EXPECT_EQ(output.writes, 0);
}

TEST_F(DoorTest, InterlockAndTooSoonComeFromCoreAndAreAuditedOnce) {
    ASSERT_TRUE(ask(set("forward", true)).ok());
    auto interlocked = ask(set("reverse", true));
    ASSERT_FALSE(interlocked.ok());
    EXPECT_EQ(interlocked.error().code, "interlock");
    EXPECT_EQ(lines_with("audit: relay set reverse on by anonymous from unit test (t1): refused (interlock)"), 1u) << log.str();

    // A fresh requester (its own budget) for the second policy.
    Requester other("test", "unit test", "t2");
    other.identity = door.access().anonymous();
    std::optional<Result<RelayState>> on, off;
    door.relay(other, set("heater", true), [&](Result<RelayState> r) { on = std::move(r); });
    door.relay(other, set("heater", false), [&](Result<RelayState> r) { off = std::move(r); });
    ASSERT_TRUE(on && on->ok());
    ASSERT_TRUE(off && !off->ok());
    EXPECT_EQ(off->error().code, "too_soon");
    EXPECT_EQ(lines_with("audit: relay set heater off by anonymous from unit test (t2): refused (too_soon)"), 1u) << log.str();
    EXPECT_EQ(audit_lines(), 4u) << log.str();  // one per request, and no second line per switch
}

TEST_F(DoorTest, RateLimitRefusesThenMarksTheRequesterAbusive) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ask(set("pump", i % 2 == 0)).ok()) << i;  // the burst
    auto limited = ask(set("pump", true));
    ASSERT_FALSE(limited.ok());
    EXPECT_EQ(limited.error().code, "rate_limited");
    EXPECT_FALSE(front.abusive());
    EXPECT_EQ(lines_with("audit: refused relay request of client t1 from unit test: rate limited"), 1u) << log.str();
    ask(set("pump", true));
    ask(set("pump", true));  // over max_refusals (2)
    EXPECT_TRUE(front.abusive());
    EXPECT_EQ(output.writes, 3) << "only the burst reached the hardware";
}

TEST_F(DoorTest, TheRelayIsProtectedFromAllItsRequestersTogether) {
    LimitsConfig l = limits();
    l.relay_requests = RateLimit{0, 1};  // no per-requester limit
    l.relay_switches = RateLimit{0.001, 2};
    door.configure(l);
    std::vector<std::unique_ptr<Requester>> many;
    int ok = 0, limited = 0;
    for (int i = 0; i < 4; ++i) {
        many.push_back(std::make_unique<Requester>("test", "unit test", "m" + std::to_string(i)));
        many.back()->identity = door.access().anonymous();
        door.relay(*many.back(), set("pump", i % 2 == 0), [&](Result<RelayState> r) {
            if (r.ok()) ++ok;
            else if (r.error().code == "rate_limited") ++limited;
        });
    }
    EXPECT_EQ(ok, 2);
    EXPECT_EQ(limited, 2);
}

TEST_F(DoorTest, ALeaseEndsWhenItsRequesterLeaves) {
    RelayCommand command = set("pump", true);
    command.lease = Millis(60000);
    ASSERT_TRUE(ask(command).ok());
    ASSERT_TRUE(channels.relay("pump")->lease());
    EXPECT_TRUE(door.renew_lease(front, "pump", Millis(60000)).ok());
    door.leave(front);
    EXPECT_EQ(channels.relay("pump")->state(), RelayState::off);
    EXPECT_EQ(lines_with("audit: relay pump on -> off by lease_expired t1"), 1u) << log.str();
}

TEST_F(DoorTest, UnknownChannelIsAnErrorNotAnAuditLine) {
    auto r = ask(set("nope", true));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "unknown_channel");
    EXPECT_EQ(audit_lines(), 0u) << log.str();
}

}  // namespace
}  // namespace hwb

namespace hwb {
namespace {

// Forbidden requests cost a request too: a requester that keeps asking for what it may not do is
// rate limited in the log and dropped like any other flood.
TEST_F(DoorTest, AFloodOfForbiddenRequestsEndsAbusive) {
    for (int i = 0; i < 6; ++i) {
        auto r = ask(set("gate", true));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, "forbidden");
    }
    EXPECT_TRUE(front.abusive());
    EXPECT_EQ(output.writes, 0);
    // Three within the burst are audited one by one; the rest through the throttle.
    EXPECT_EQ(lines_with("audit: relay set gate on by anonymous from unit test (t1): refused (forbidden)"), 3u) << log.str();
}

}  // namespace
}  // namespace hwb
