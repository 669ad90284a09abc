// /api/map on the real daemon (the app's MapAdmin behind it): what a page or curl sees.
#include <gtest/gtest.h>

#include <algorithm>

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
