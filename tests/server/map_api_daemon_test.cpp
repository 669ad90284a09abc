// /api/map on the real daemon (the app's MapAdmin behind it): what a page or curl sees.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "server/test_map.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;

class MapApiDaemon : public ::testing::Test {
protected:
    std::string map = server_test_map();
    Daemon daemon{map};

    json current() {
        auto r = http_get(daemon.port(), "/api/map");
        EXPECT_EQ(r.status, 200) << r.head;
        return json::parse(r.body, nullptr, false);
    }
    HttpResponse post_json(const std::string& path, const json& body, std::vector<std::string> headers = {}) {
        headers.push_back("Content-Type: application/json");
        return http_request(daemon.port(), "POST", path, headers, body.dump());
    }
};

// Line (1-based) of the first line of `text` that contains `needle`.
int line_of(const std::string& text, const std::string& needle) {
    auto at = text.find(needle);
    return at == std::string::npos ? 0 : 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

TEST_F(MapApiDaemon, GetReturnsTheLoadedFileItsVersionAndAdminForLoopback) {
    auto doc = current();
    EXPECT_EQ(doc["text"], map);
    EXPECT_FALSE(doc["version"].get<std::string>().empty());
    EXPECT_NE(doc["path"].get<std::string>().find(".yaml"), std::string::npos) << doc["path"];
    EXPECT_EQ(doc["admin"], true);
    EXPECT_TRUE(doc["admin_reason"].is_string());
}

TEST_F(MapApiDaemon, ValidateReportsTheLineAndColumnOfAnUnknownKey) {
    std::string draft = map;
    auto at = draft.find("    precision: 1");
    ASSERT_NE(at, std::string::npos);
    draft.replace(at, 16, "    precison: 1");
    auto r = http_request(daemon.port(), "POST", "/api/map/validate", {"Content-Type: text/plain"}, draft);
    ASSERT_EQ(r.status, 200) << r.head << r.body;
    auto body = json::parse(r.body);
    EXPECT_EQ(body["ok"], false);
    ASSERT_GE(body["problems"].size(), 1u) << body;
    EXPECT_EQ(body["problems"][0]["line"], line_of(draft, "precison")) << body;
    EXPECT_EQ(body["problems"][0]["column"], 5) << body;
    EXPECT_NE(body["problems"][0]["message"].get<std::string>().find("precison"), std::string::npos) << body;

    auto ok = post_json("/api/map/validate", {{"text", map}});
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(json::parse(ok.body)["ok"], true) << ok.body;
}

// The value of header `name` (lower case) in a response head; empty when absent.
std::string header_of(const HttpResponse& r, const std::string& name) {
    std::string head = r.head;
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    auto at = head.find("\r\n" + name + ":");
    if (at == std::string::npos) return {};
    at += name.size() + 3;
    auto end = r.head.find("\r\n", at);
    std::string value = r.head.substr(at, end - at);
    value.erase(0, value.find_first_not_of(' '));
    return value;
}

// GET /api/map/schema: what `hwbridge --schema` prints (compact), with each driver's keys and
// each key's doc; a strong ETag the browser revalidates with (304, no body), gzip when accepted.
TEST_F(MapApiDaemon, SchemaIsTheDeviceMapSchemaWithAStrongETagAndGzip) {
    auto r = http_get(daemon.port(), "/api/map/schema");
    ASSERT_EQ(r.status, 200) << r.head;
    EXPECT_NE(header_of(r, "content-type").find("application/json"), std::string::npos) << r.head;
    EXPECT_EQ(header_of(r, "cache-control"), "no-cache") << r.head;
    EXPECT_EQ(header_of(r, "content-encoding"), "") << r.head;
    auto schema = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(schema.is_discarded()) << r.body.substr(0, 200);
    EXPECT_EQ(schema["title"], "hwbridge device map");
    // Devices: one if/then per driver; modbus's `then` has its own keys, each with a description.
    bool modbus = false;
    for (const auto& branch : schema["properties"]["devices"]["items"]["allOf"]) {
        if (branch["if"]["properties"]["driver"]["const"] != "modbus") continue;
        modbus = true;
        ASSERT_TRUE(branch["then"]["properties"].contains("unit_id")) << branch;
        EXPECT_FALSE(branch["then"]["properties"]["unit_id"]["description"].get<std::string>().empty());
    }
    EXPECT_TRUE(modbus) << "no modbus branch";
    const auto& kind = schema["properties"]["sensors"]["items"]["properties"]["type"];
    EXPECT_TRUE(kind["enum"].is_array()) << kind;

    const std::string etag = header_of(r, "etag");
    EXPECT_TRUE(etag.size() > 2 && etag.front() == '"' && etag.back() == '"') << r.head;
    auto again = http_request(daemon.port(), "GET", "/api/map/schema", {"If-None-Match: " + etag});
    EXPECT_EQ(again.status, 304) << again.head;
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(header_of(again, "etag"), etag);

    auto gz = http_request(daemon.port(), "GET", "/api/map/schema", {"Accept-Encoding: gzip"});
    ASSERT_EQ(gz.status, 200) << gz.head;
    EXPECT_EQ(header_of(gz, "content-encoding"), "gzip") << gz.head;
    ASSERT_GE(gz.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz.body[1]), 0x8b);
    EXPECT_LT(gz.body.size(), r.body.size() / 3);
    const std::string gz_etag = header_of(gz, "etag");
    EXPECT_NE(gz_etag, etag);
    EXPECT_EQ(http_request(daemon.port(), "GET", "/api/map/schema", {"Accept-Encoding: gzip", "If-None-Match: " + gz_etag}).status,
              304);
    // POST is not a thing there.
    EXPECT_EQ(post_json("/api/map/schema", {{"text", map}}).status, 405);
}

TEST_F(MapApiDaemon, PostFromAForeignOriginIsRefusedAndLoggedWithThePeer) {
    auto r = post_json("/api/map/apply", {{"text", map}, {"version", current()["version"]}}, {"Origin: http://evil.example"});
    EXPECT_EQ(r.status, 403) << r.head;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "refused");
    EXPECT_NE(daemon.log().find("refused POST /api/map/apply from 127.0.0.1: origin 'http://evil.example'"),
              std::string::npos)
        << daemon.log();
}

TEST_F(MapApiDaemon, OversizedBodyIs413AndTheDaemonCarriesOn) {
    auto r = http_request(daemon.port(), "POST", "/api/map/validate", {}, std::string(2 * 1024 * 1024, 'x'));
    EXPECT_EQ(r.status, 413) << r.head;
    EXPECT_EQ(http_get(daemon.port(), "/healthz").status, 200);
}

TEST_F(MapApiDaemon, MethodsOtherThanGetAndPostAre405) {
    EXPECT_EQ(http_request(daemon.port(), "PUT", "/api/map", {}, map).status, 405);
    EXPECT_EQ(http_request(daemon.port(), "DELETE", "/api/map").status, 405);
    EXPECT_EQ(http_get(daemon.port(), "/api/map/save").status, 405);
}

TEST_F(MapApiDaemon, ApplyOfAnOutdatedVersionIs409AndChangesNothing) {
    auto before = current();
    std::string draft = map;
    draft.replace(draft.find("label: Temperature"), 18, "label: Water temperature");
    auto stale = post_json("/api/map/apply", {{"text", draft}, {"version", "not-" + before["version"].get<std::string>()}});
    EXPECT_EQ(stale.status, 409) << stale.body;
    EXPECT_EQ(json::parse(stale.body)["error"]["code"], "stale");
    EXPECT_EQ(current()["text"], map);

    auto applied = post_json("/api/map/apply", {{"text", draft}, {"version", before["version"]}});
    ASSERT_EQ(applied.status, 200) << applied.body;
    auto after = current();
    EXPECT_EQ(after["text"], draft);
    EXPECT_EQ(after["version"], json::parse(applied.body)["version"]);
    EXPECT_NE(after["version"], before["version"]);
    EXPECT_NE(daemon.log().find("audit: map apply by anonymous from 127.0.0.1 (http): done"), std::string::npos) << daemon.log();
    // The old version is stale now.
    EXPECT_EQ(post_json("/api/map/apply", {{"text", map}, {"version", before["version"]}}).status, 409);
}

}  // namespace
}  // namespace hwb::test
