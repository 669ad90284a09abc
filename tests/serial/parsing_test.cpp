// Value extraction and filters: from frames to published sensor values.
#include <gtest/gtest.h>

#include "serial/extract.h"
#include "serial/filters.h"
#include "serial/pattern.h"

namespace hwb::serial {
namespace {

double value_of(const ExtractSpec& spec, std::string_view frame) {
    auto e = ValueExtractor::make(spec);
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
    double v = -999;
    EXPECT_EQ(e.value().extract(frame, v), ExtractOutcome::value) << frame;
    return v;
}

// Extraction tries the pattern on the whole frame, however long (RE2 is linear in it).
TEST(Extract, LongFrameIsSearchedWhole) {
    auto e = ValueExtractor::make(ExtractSpec{.kind = ExtractSpec::Kind::pattern, .pattern = "T=(?<t>[0-9]+)$"});
    ASSERT_TRUE(e.ok());
    double v = 0;
    EXPECT_EQ(e.value().extract(std::string(100000, 'x') + "T=42", v), ExtractOutcome::value);
    EXPECT_EQ(v, 42);
}

TEST(Extract, PatternWithFieldPicksTheNamedGroup) {
    ExtractSpec s;
    s.pattern = R"(T=(?<temp>[-0-9.]+);H=(?<hum>[0-9.]+))";
    s.field = "hum";
    EXPECT_DOUBLE_EQ(value_of(s, "T=21.5;H=40.25"), 40.25);
    s.field = "temp";
    EXPECT_DOUBLE_EQ(value_of(s, "T=-3.5;H=40"), -3.5);
}

TEST(Extract, PatternWithoutFieldUsesItsOnlyGroup) {
    ExtractSpec s;
    s.pattern = R"(^T=(?<temp>[-0-9.]+)$)";
    EXPECT_DOUBLE_EQ(value_of(s, "T=21.5"), 21.5);
    auto e = ValueExtractor::make(s).value();
    double v = 0;
    EXPECT_EQ(e.extract("H=40", v), ExtractOutcome::no_match);
    EXPECT_EQ(e.extract("T=--", v), ExtractOutcome::bad_value);
    s.pattern = "(?<a>1)(?<b>2)";
    EXPECT_FALSE(ValueExtractor::make(s).ok());
}

TEST(Extract, CsvColumnWithScaleAndOffset) {
    ExtractSpec s;
    s.kind = ExtractSpec::Kind::csv;
    s.column = 3;
    s.scale = 0.1;
    s.offset = -1;
    EXPECT_DOUBLE_EQ(value_of(s, "1700000000,ok, 215 ,x"), 20.5);
    s.column = 9;
    double v = 0;
    EXPECT_EQ(ValueExtractor::make(s).value().extract("a,b", v), ExtractOutcome::no_match);
}

TEST(Extract, JsonKeyNestedAndBoolean) {
    ExtractSpec s;
    s.kind = ExtractSpec::Kind::json;
    s.key = "env.temp";
    EXPECT_DOUBLE_EQ(value_of(s, R"({"env":{"temp":19.75},"id":3})"), 19.75);
    s.key = "door";
    s.boolean = true;
    EXPECT_DOUBLE_EQ(value_of(s, R"({"door":true})"), 1);
    EXPECT_DOUBLE_EQ(value_of(s, R"({"door":"off"})"), 0);
    double v = 0;
    EXPECT_EQ(ValueExtractor::make(s).value().extract("T=1", v), ExtractOutcome::no_match);
    EXPECT_EQ(ValueExtractor::make(s).value().extract("{broken", v), ExtractOutcome::bad_value);
}

TEST(Extract, BooleanWords) {
    double v = -1;
    for (const char* on : {"1", "ON", "true", "High", "yes"}) {
        EXPECT_TRUE(parse_boolean(on, v)) << on;
        EXPECT_EQ(v, 1) << on;
    }
    for (const char* off : {"0", "off", "FALSE", "low", "no"}) {
        EXPECT_TRUE(parse_boolean(off, v)) << off;
        EXPECT_EQ(v, 0) << off;
    }
    EXPECT_FALSE(parse_boolean("open", v));
    EXPECT_FALSE(parse_number("12abc", v));
    EXPECT_TRUE(parse_number(" +1e3 ", v));
    EXPECT_EQ(v, 1000);
}

TEST(Filters, MovingAverageAndMedian) {
    auto t = Clock::time_point{};
    ValueFilter avg({FilterSpec::Smoothing::moving_average, 3, {}, {}});
    EXPECT_DOUBLE_EQ(*avg.push(3, t), 3);
    EXPECT_DOUBLE_EQ(*avg.push(6, t), 4.5);
    EXPECT_DOUBLE_EQ(*avg.push(9, t), 6);
    EXPECT_DOUBLE_EQ(*avg.push(12, t), 9);
    ValueFilter med({FilterSpec::Smoothing::median, 3, {}, {}});
    med.push(1, t);
    med.push(100, t);  // a spike
    EXPECT_DOUBLE_EQ(*med.push(2, t), 2);
}

TEST(Filters, DeltaOnlyAndThrottle) {
    auto t = Clock::time_point{};
    ValueFilter delta({FilterSpec::Smoothing::none, 5, 0.5, {}});
    EXPECT_TRUE(delta.push(20.0, t));
    EXPECT_FALSE(delta.push(20.3, t));
    EXPECT_TRUE(delta.push(20.6, t));
    ValueFilter throttle({FilterSpec::Smoothing::none, 5, {}, Millis(1000)});
    EXPECT_TRUE(throttle.push(1, t));
    EXPECT_FALSE(throttle.push(2, t + Millis(500)));
    EXPECT_TRUE(throttle.push(3, t + Millis(1000)));
}

TEST(Filters, ThrottleHoldsTheLatestValueUntilTheEndOfTheInterval) {
    auto t = Clock::time_point{};
    ValueFilter f({FilterSpec::Smoothing::none, 5, {}, Millis(1000)});
    EXPECT_EQ(f.push(1, t), 1.0);
    EXPECT_FALSE(f.held_until());
    EXPECT_FALSE(f.push(2, t + Millis(100)));
    EXPECT_FALSE(f.push(3, t + Millis(200)));
    ASSERT_TRUE(f.held_until());
    EXPECT_EQ(*f.held_until(), t + Millis(1000));
    EXPECT_FALSE(f.release(t + Millis(999)));
    EXPECT_EQ(f.release(t + Millis(1000)), 3.0);  // the latest, not the first held
    EXPECT_FALSE(f.held_until());
    EXPECT_FALSE(f.push(4, t + Millis(1500)));  // the interval starts at the release
    f.reset();
    EXPECT_FALSE(f.held_until()) << "a reopen forgets the held value";
}

TEST(Extract, MatchKeepsASensorToItsOwnFrames) {
    ExtractSpec spec;
    spec.kind = ExtractSpec::Kind::csv;
    spec.column = 2;
    spec.match = "^T,";
    auto e = ValueExtractor::make(spec);
    ASSERT_TRUE(e.ok());
    double v = 0;
    EXPECT_EQ(e.value().extract("T,21.5", v), ExtractOutcome::value);
    EXPECT_EQ(v, 21.5);
    EXPECT_EQ(e.value().extract("N=105, x", v), ExtractOutcome::no_match);
    EXPECT_EQ(e.value().extract("T,abc", v), ExtractOutcome::bad_value);
}

}  // namespace
}  // namespace hwb::serial
