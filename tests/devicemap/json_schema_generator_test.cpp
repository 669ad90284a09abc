// The JSON Schema generator on the test registry's `probe` driver (one option of every type).
// Agreement with the loader on real maps is json_schema_test.py's job (a real validator).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "devicemap/json_schema.h"
#include "test_maps.h"

namespace {

using nlohmann::json;

json schema() { return json::parse(hwb::devicemap::json_schema(hwb::test::test_drivers())); }

// The `then` branch that applies to devices with `driver: NAME`.
json device_options_of(const json& root, const std::string& name) {
    for (const auto& rule : root["properties"]["devices"]["items"]["allOf"])
        if (rule["if"]["properties"]["driver"]["const"] == name) return rule["then"];
    ADD_FAILURE() << "no if/then for driver " << name;
    return json::object();
}

TEST(DeviceMapJsonSchema, DriverOptionsKeepTheirTypesBoundsChoicesDefaultsAndRequiredKeys) {
    const json probe = device_options_of(schema(), "probe");
    const json& p = probe["properties"];
    EXPECT_EQ(p["retries"], json::parse(R"({"description": "", "type": "integer", "minimum": 0, "maximum": 9,
                                            "default": 3})"));
    EXPECT_EQ(p["gain"]["type"], "number");
    EXPECT_EQ(p["gain"]["minimum"], -1);
    EXPECT_EQ(p["gain"]["maximum"], 1);
    EXPECT_FALSE(p["gain"].contains("default"));
    EXPECT_EQ(p["verbose"]["type"], "boolean");
    EXPECT_EQ(p["verbose"]["default"], false);
    EXPECT_EQ(p["parity"]["enum"], json::parse(R"(["none", "even", "odd"])"));
    EXPECT_EQ(p["parity"]["default"], "none");
    EXPECT_EQ(p["timeout"]["type"], "string");
    EXPECT_EQ(p["timeout"]["default"], "1s");
    EXPECT_NE(p["timeout"]["description"].get<std::string>().find("between 10ms and 1m"), std::string::npos);
    EXPECT_EQ(p["tags"]["type"], "array");
    EXPECT_EQ(probe["required"], json::parse(R"(["port"])"));
    EXPECT_EQ(probe["additionalProperties"], false);
    // The common keys stay allowed beside the driver's.
    EXPECT_EQ(p["id"], true);
    EXPECT_EQ(p["label"], true);
}

TEST(DeviceMapJsonSchema, DeviceOptionsDependOnTheDriverNamed) {
    const json root = schema();
    EXPECT_EQ(root["properties"]["devices"]["items"]["properties"]["driver"]["enum"],
              json::parse(R"(["probe", "sim"])"));
    EXPECT_TRUE(device_options_of(root, "sim")["properties"].contains("seed"));
    EXPECT_FALSE(device_options_of(root, "sim")["properties"].contains("port"));
    EXPECT_FALSE(device_options_of(root, "probe")["properties"].contains("seed"));
}

TEST(DeviceMapJsonSchema, ChannelsFitTheOptionsOfOneDriverOfTheirKind) {
    const json sensor = schema()["properties"]["sensors"]["items"];
    ASSERT_EQ(sensor["anyOf"].size(), 2u);
    bool probe_scale = false;
    for (const auto& fit : sensor["anyOf"]) {
        EXPECT_EQ(fit["additionalProperties"], false);
        EXPECT_EQ(fit["properties"]["range"], true);  // a key of every sensor
        if (fit["properties"].contains("scale")) probe_scale = fit["properties"]["scale"]["default"] == 1.0;
    }
    EXPECT_TRUE(probe_scale);
    EXPECT_EQ(sensor["required"], json::parse(R"(["id", "device"])"));
}

TEST(DeviceMapJsonSchema, RefusesUnknownKeysOfTheMapAndTheBridge) {
    const json root = schema();
    EXPECT_EQ(root["additionalProperties"], false);
    EXPECT_EQ(root["required"], json::parse(R"(["devices"])"));
    EXPECT_EQ(root["properties"]["bridge"]["additionalProperties"], false);
    EXPECT_EQ(root["$schema"], "http://json-schema.org/draft-07/schema#");
}

}  // namespace
