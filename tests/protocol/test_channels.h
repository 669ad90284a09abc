// Channels for encoder tests: built from a hand-written DeviceMap on a loop whose timers never fire.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "protocol/messages.h"

namespace hwb::protocol::test {

class StillLoop : public EventLoop {
public:
    Clock::time_point now() const override { return Clock::time_point{}; }
    std::unique_ptr<TimerSlot> make_timer(std::function<void()>) override { return std::make_unique<Slot>(); }
    std::unique_ptr<FdWatch> watch_fd(int, std::function<void(FdEvent)>) override { return std::make_unique<Watch>(); }

private:
    struct Slot : TimerSlot {
        void start(std::chrono::microseconds) override { armed = true; }
        void cancel() override { armed = false; }
        bool active() const override { return armed; }
        bool armed = false;
    };
    struct Watch : FdWatch {
        void want_writable() override {}
    };
};

// Accepts every line at once, as a driver with an empty output buffer would.
class AcceptingTextOutput : public TextOutput {
public:
    void send_line(const std::string&, Done done) override { done(std::nullopt); }
};

inline SensorConfig sensor(std::string id, SensorType type = SensorType::number) {
    SensorConfig c;
    c.info.id = std::move(id);
    c.info.label = "Label of " + c.info.id;
    c.info.device = "bench";
    c.info.type = type;
    return c;
}

inline RelayConfig relay(std::string id, std::optional<bool> safe_state = std::nullopt) {
    RelayConfig c;
    c.info.id = std::move(id);
    c.info.label = "Label of " + c.info.id;
    c.info.device = "bench";
    c.info.safe_state = safe_state;
    return c;
}

inline TextConfig text(std::string id, std::size_t max_line_bytes = 4096) {
    TextConfig c;
    c.info.id = std::move(id);
    c.info.label = "Label of " + c.info.id;
    c.info.device = "bench";
    c.info.max_line_bytes = max_line_bytes;
    return c;
}

// One device "bench" holding the given channels.
struct Bench {
    explicit Bench(DeviceMap m) : map(std::move(m)), channels(map, loop) {}

    static DeviceMap map_of(std::vector<SensorConfig> sensors, std::vector<RelayConfig> relays = {},
                            std::vector<TextConfig> texts = {}) {
        DeviceMap m;
        m.bridge.name = "Demo bench";
        DeviceConfig d;
        d.id = "bench";
        d.driver = "sim";
        d.sensors = std::move(sensors);
        d.relays = std::move(relays);
        d.texts = std::move(texts);
        m.devices.push_back(std::move(d));
        return m;
    }

    StillLoop loop;
    DeviceMap map;
    Channels channels;
};

// Parses an encoder's output, failing the test (not crashing) when it is not valid JSON.
inline nlohmann::json parse_output(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not valid JSON: " << text;
    return j;
}

// The request of a successful parse (a copy: callers pass temporaries), or a test failure
// naming the error and an empty request.
template <class Want, class Parsed>
Want expect_request(const Parsed& parsed) {
    if (const auto* bad = std::get_if<1>(&parsed)) {
        ADD_FAILURE() << "rejected: " << bad->error.code << ": " << bad->error.message;
        return Want{};
    }
    const auto& request = std::get<0>(parsed);
    if (!std::holds_alternative<Want>(request)) {
        ADD_FAILURE() << "parsed as a different request (index " << request.index() << ")";
        return Want{};
    }
    return std::get<Want>(request);
}

// The BadRequest of a rejected frame; an empty one (and a test failure) if it was accepted.
template <class Parsed>
BadRequest expect_rejected(const Parsed& parsed) {
    if (const auto* bad = std::get_if<1>(&parsed)) return *bad;
    ADD_FAILURE() << "accepted a frame that should be rejected";
    return BadRequest{};
}

}  // namespace hwb::protocol::test
