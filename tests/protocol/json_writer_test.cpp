#include "protocol/json_writer.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace hwb::protocol {
namespace {

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::string number(double v) {
    std::string out;
    append_json_number(out, v);
    return out;
}

TEST(JsonWriter, StringsRoundTripThroughAJsonParser) {
    std::string all_ascii;
    for (int c = 0; c < 0x80; ++c) all_ascii += static_cast<char>(c);
    for (const std::string& s : {std::string(), std::string("plain"), std::string("quote \" backslash \\ slash /"),
                                 all_ascii, std::string("°C é 中文 \xF0\x9F\x98\x80"),
                                 std::string("\xEF\xBF\xBF\xF4\x8F\xBF\xBF")}) {
        const auto text = json_string(s);
        EXPECT_EQ(nlohmann::json::parse(text).get<std::string>(), s) << text;
    }
}

TEST(JsonWriter, ControlCharactersAreEscaped) {
    EXPECT_EQ(json_string("a\nb\tc\x01\x1f\b\f\r"), R"("a\nb\tc\u0001\u001f\b\f\r")");
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacters) {
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(json_string("a\xFF"
                     "b"),
              "\"a" + fffd + "b\"");
    EXPECT_EQ(json_string("\xC0\xAF"), "\"" + fffd + fffd + "\"");               // overlong
    EXPECT_EQ(json_string("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");    // surrogate
    EXPECT_EQ(json_string("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
    EXPECT_EQ(json_string("x\xE2\x82"), "\"x" + fffd + fffd + "\"");             // truncated at the end
    EXPECT_FALSE(nlohmann::json::parse(json_string("\x80\xBF\xFE\xC2"), nullptr, false).is_discarded());
}

TEST(JsonWriter, NumbersUseShortestRoundTripForm) {
    for (double v : {0.0, 21.53, 0.1 + 0.2, -1e-300, 1.7976931348623157e308, 5e-324, 123456789012345.0, -0.0}) {
        const auto text = number(v);
        EXPECT_EQ(nlohmann::json::parse(text).get<double>(), v) << text;
    }
    EXPECT_EQ(number(21.53), "21.53");
    EXPECT_EQ(number(0.1 + 0.2), "0.30000000000000004");
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
    EXPECT_EQ(number(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriter, ObjectKeepsFieldOrder) {
    const auto text = ObjectWriter()
                          .str("type", "x")
                          .integer("a", std::int64_t{-1})
                          .integer("b", std::uint64_t{18446744073709551615u})
                          .boolean("c", true)
                          .null("d")
                          .json("e", nlohmann::json{{"k", 1}})
                          .raw("f", "[1,2]")
                          .number("g", 0.5)
                          .finish();
    EXPECT_EQ(text, R"({"type":"x","a":-1,"b":18446744073709551615,"c":true,"d":null,"e":{"k":1},"f":[1,2],"g":0.5})");
    EXPECT_EQ(ObjectWriter().finish(), "{}");
}

TEST(JsonWriter, DumpReplacesInvalidUtf8InsteadOfThrowing) {
    std::string out;
    EXPECT_NO_THROW(out = dump(nlohmann::json{{"bad", "\xFF"}}));
    EXPECT_EQ(nlohmann::json::parse(out)["bad"], "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace hwb::protocol
