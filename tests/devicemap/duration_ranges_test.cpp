// Every duration and every rate a map can set has a finite range checked at load (issue 18, item
// 12): `max_rate_hz: 1e-300` overflowed an int64 interval before it was range-checked. A duration
// or rate without bounds can become a timer of centuries, an overflowing microsecond count or an
// interval of zero; these tests enumerate the map's own keys and every registered driver's.
#include <gtest/gtest.h>

#include <cmath>

#include "devicemap/schema.h"
#include "serial/serial_driver.h"
#include "sim/sim_driver.h"
#include "test_maps.h"
#ifdef HWB_TEST_HAVE_GPIO_DRIVER
#include "gpio/gpio_driver.h"
#endif

namespace hwb {
namespace {

struct Key {
    std::string where;
    OptionSpec spec;
};

std::vector<Key> every_key() {
    namespace schema = devicemap::schema;
    std::vector<Key> keys;
    auto add = [&](const std::string& where, const std::vector<OptionSpec>& specs) {
        for (const auto& spec : specs) keys.push_back({where + "." + spec.key, spec});
    };
    add("bridge", schema::bridge());
    add("bridge.tls", schema::tls());
    add("bridge.limits", schema::limits());
    add("device", schema::device());
    add("channel", schema::channel());
    add("sensor", schema::sensor());
    add("relay", schema::relay());
    add("relay", schema::relay_policy());
    add("text", schema::text());
    add("auth", schema::auth());
    add("machine_token", schema::machine_token());
    add("channel", schema::channel_access());
    DriverRegistry drivers;
    register_sim_driver(drivers);
    register_serial_driver(drivers);
#ifdef HWB_TEST_HAVE_GPIO_DRIVER
    register_gpio_driver(drivers);
#endif
    for (const auto& name : drivers.names()) {
        const DriverInfo* d = drivers.find(name);
        add(name + " device", d->device_options);
        add(name + " sensor", d->sensor_options);
        add(name + " relay", d->relay_options);
        add(name + " text", d->text_options);
    }
    return keys;
}

// Longest duration any key may take: timers are microseconds in an int64 and wall-clock
// deadlines are milliseconds since 1970 plus the duration; 30 days is far beyond any use.
constexpr double longest_duration_ms = 30.0 * 86400000.0;

TEST(DurationRanges, EveryDurationKeyHasAFiniteRange) {
    int durations = 0;
    for (const auto& key : every_key()) {
        if (key.spec.type != OptionType::duration) continue;
        ++durations;
        EXPECT_TRUE(std::isfinite(key.spec.min) && key.spec.min >= 0) << key.where << " has no lower bound";
        EXPECT_TRUE(std::isfinite(key.spec.max) && key.spec.max <= longest_duration_ms)
            << key.where << " may be up to " << key.spec.max << " ms";
    }
    EXPECT_GE(durations, 10);
}

TEST(DurationRanges, EveryRateKeyHasAPositiveFiniteRange) {
    int rates = 0;
    for (const auto& key : every_key()) {
        if (key.spec.type != OptionType::number || key.spec.key.find("rate") == std::string::npos) continue;
        ++rates;
        EXPECT_TRUE(std::isfinite(key.spec.min) && key.spec.min >= 0) << key.where;
        EXPECT_TRUE(std::isfinite(key.spec.max) && key.spec.max <= 1e6) << key.where << " max " << key.spec.max;
    }
    EXPECT_GE(rates, 4);
}

TEST(DurationRanges, OutOfRangeDurationsAreRefusedAtLoad) {
    const char* cases[][2] = {
        {"max_on", "1000000h"}, {"min_on", "1000000h"}, {"min_off", "1000000h"},
    };
    for (const auto& c : cases) {
        auto result = test::load(std::string("devices:\n  - {id: bench, driver: sim}\nrelays:\n  - {id: r, device: bench, ") +
                                 c[0] + ": " + c[1] + "}\n");
        EXPECT_FALSE(result.ok()) << c[0] << ": " << c[1] << " was accepted";
    }
    auto bridge = test::load("bridge: {ping_interval: 1000000h, ping_timeout: 1000000h}\ndevices:\n  - {id: bench, driver: sim}\n");
    EXPECT_EQ(bridge.error_count, 2u);
}

}  // namespace
}  // namespace hwb
