// value_path / state_path of the mqtt driver: what the syntax accepts, what it refuses with a
// reason, and what it finds in a payload.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mqttdev/json_path.h"

namespace hwb::mqttdev {
namespace {

TEST(JsonPath, FindsKeysAndArrayPositions) {
    auto doc = nlohmann::json::parse(R"({"ENERGY": {"Power": 42}, "values": [[1, 2], {"t-1": "x"}], "POWER": "ON"})");
    std::string error;
    auto find = [&](const std::string& text) {
        auto path = parse_json_path(text, error);
        EXPECT_TRUE(path) << text << ": " << error;
        return path ? follow_json_path(doc, *path) : nullptr;
    };
    ASSERT_NE(find("ENERGY.Power"), nullptr);
    EXPECT_EQ(*find("ENERGY.Power"), 42);
    EXPECT_EQ(*find("values[0][1]"), 2);
    EXPECT_EQ(*find("values[1].t-1"), "x");
    EXPECT_EQ(*find("POWER"), "ON");
    EXPECT_EQ(find("ENERGY.Voltage"), nullptr);
    EXPECT_EQ(find("values[5]"), nullptr);
    EXPECT_EQ(find("POWER.x"), nullptr);  // not an object
}

TEST(JsonPath, RefusesWhatItCannotReadWithAReason) {
    std::string error;
    for (const char* bad : {"", "a.", ".a", "a..b", "a[", "a[]", "a[x]", "a b", "a]", "a.[0]"}) {
        error.clear();
        EXPECT_FALSE(parse_json_path(bad, error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
    parse_json_path("a b", error);
    EXPECT_EQ(error, "expected '.' or '[' at character 2");
}

}  // namespace
}  // namespace hwb::mqttdev
