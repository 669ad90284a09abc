// The /api/map HTTP layer in-process: a real Server on a loopback port, served on its own thread,
// with a MapAdmin the test controls, so results can arrive late, after the client went away, or
// fail in every way the interface allows. The real app behind it: map_api_daemon_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "core/channels.h"
#include "server/map_api.h"
#include "server/server.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;

// Validates by looking for the word "oops" (line:column of its first occurrence); apply answers
// at once, or keeps `done` for the test to run later on the loop thread.
class FakeAdmin final : public MapAdmin {
public:
    MapDocument current() const override { return {"/etc/hwbridge/map.yaml", text, version}; }
    std::vector<MapProblem> validate(const std::string& draft, bool /*admin*/) const override {
        int line = 1;
        std::size_t line_start = 0;
        for (std::size_t i = 0; i < draft.size(); ++i) {
            if (draft.compare(i, 4, "oops") == 0)
                return {{line, static_cast<int>(i - line_start) + 1, "unknown key 'oops'"}};
            if (draft[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        return {};
    }
    void apply(const std::string& draft, const std::string& base, bool save,
               std::function<void(MapApplyResult)> done) override {
        ++applies;
        last_save = save;
        MapApplyResult result;
        auto problems = validate(draft, true);
        if (!problems.empty()) {
            result.error = Error{"invalid", "the map has errors"};
            result.problems = problems;
        } else if (base != version) {
            result.error = Error{"stale", "the map changed since version " + base};
        } else {
            text = draft;
            version = "v" + std::to_string(applies + 1);
            result.summary = {"sensor t: label changed"};
        }
        result.version = version;
        if (defer) {
            std::lock_guard lock(mutex);
            later = [done, result] { done(result); };
            return;
        }
        done(result);
    }

    std::string text = "bridge: {name: Fake}\n";
    std::string version = "v1";
    std::atomic<int> applies{0};
    std::atomic<bool> last_save{false};
    std::atomic<bool> defer{false};
    std::mutex mutex;
    std::function<void()> later;
};

class MapApi : public ::testing::Test {
protected:
    void SetUp() override { start({}); }
    void start(std::vector<std::string> allowed_origins) {
        BridgeConfig config;
        config.listen_port = 0;
        config.allowed_origins = std::move(allowed_origins);
        server = std::make_unique<Server>(config);
        channels = std::make_unique<Channels>(DeviceMap{}, server->loop());
        server->attach(*channels);
        server->set_map_admin(&admin);
        // The test thread only flips atomics; this timer acts on them on the loop thread.
        tick = std::make_unique<Timer>(server->loop(), [this] {
            if (run_later.exchange(false)) {
                std::function<void()> f;
                {
                    std::lock_guard lock(admin.mutex);
                    f = std::move(admin.later);
                    admin.later = nullptr;
                }
                if (f) f();
                ran_later = true;
            }
            if (quit) {
                server->stop();
                return;
            }
            tick->start(std::chrono::milliseconds(10));
        });
        tick->start(std::chrono::milliseconds(10));
        thread = std::thread([this] { server->run(); });
    }
    void TearDown() override {
        quit = true;
        thread.join();
        tick.reset();
        server.reset();
    }
    // Runs the kept `done` on the loop thread and waits until it ran.
    void finish_apply() {
        ran_later = false;
        run_later = true;
        for (int i = 0; i < 300 && !ran_later; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_TRUE(ran_later);
    }
    std::uint16_t port() const { return server->port(); }
    HttpResponse post(const std::string& path, const json& body, std::vector<std::string> headers = {}) {
        headers.push_back("Content-Type: application/json");
        return http_request(port(), "POST", path, headers, body.dump());
    }

    FakeAdmin admin;
    std::unique_ptr<Server> server;
    std::unique_ptr<Channels> channels;
    std::unique_ptr<Timer> tick;
    std::thread thread;
    std::atomic<bool> quit{false}, run_later{false}, ran_later{false};
};

TEST_F(MapApi, GetReturnsTheRunningMapItsVersionAndThatLoopbackIsAdmin) {
    auto r = http_get(port(), "/api/map");
    ASSERT_EQ(r.status, 200) << r.head;
    auto body = json::parse(r.body);
    EXPECT_EQ(body["path"], "/etc/hwbridge/map.yaml");
    EXPECT_EQ(body["text"], admin.text);
    EXPECT_EQ(body["version"], "v1");
    EXPECT_EQ(body["admin"], true);
    EXPECT_NE(body["admin_reason"].get<std::string>().find("loopback"), std::string::npos);
}

TEST_F(MapApi, ValidateAcceptsPlainTextAndJsonAndReportsLineAndColumn) {
    auto plain = http_request(port(), "POST", "/api/map/validate", {"Content-Type: text/plain"}, "a: 1\nb: 2\n  oops: 3\n");
    ASSERT_EQ(plain.status, 200) << plain.head;
    auto body = json::parse(plain.body);
    EXPECT_EQ(body["ok"], false);
    ASSERT_EQ(body["problems"].size(), 1u);
    EXPECT_EQ(body["problems"][0]["line"], 3);
    EXPECT_EQ(body["problems"][0]["column"], 3);
    EXPECT_EQ(body["problems"][0]["message"], "unknown key 'oops'");

    auto good = post("/api/map/validate", {{"text", "a: 1\n"}});
    ASSERT_EQ(good.status, 200);
    EXPECT_EQ(json::parse(good.body)["ok"], true);
    EXPECT_EQ(json::parse(good.body)["problems"].size(), 0u);
}

TEST_F(MapApi, ApplyWithTheRunningVersionReloadsAndReturnsTheNewVersion) {
    auto r = post("/api/map/apply", {{"text", "bridge: {name: New}\n"}, {"version", "v1"}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = json::parse(r.body);
    EXPECT_EQ(body["version"], "v2");
    EXPECT_EQ(body["summary"][0], "sensor t: label changed");
    EXPECT_FALSE(admin.last_save);
    EXPECT_EQ(http_request(port(), "POST", "/api/map/save", {"If-Match: \"v2\""}, "x: 1\n").status, 200);
    EXPECT_TRUE(admin.last_save);
}

TEST_F(MapApi, ApplyOfAnOutdatedVersionIs409AndOfAnInvalidMap422WithProblems) {
    auto stale = post("/api/map/apply", {{"text", "a: 1\n"}, {"version", "v0"}});
    EXPECT_EQ(stale.status, 409) << stale.body;
    EXPECT_EQ(json::parse(stale.body)["error"]["code"], "stale");
    EXPECT_EQ(json::parse(stale.body)["version"], "v1");

    auto invalid = post("/api/map/save", {{"text", "\noops\n"}, {"version", "v1"}});
    EXPECT_EQ(invalid.status, 422) << invalid.body;
    EXPECT_EQ(json::parse(invalid.body)["problems"][0]["line"], 2);
    EXPECT_EQ(admin.version, "v1");
}

TEST_F(MapApi, ApplyWithoutABaseVersionIsRefused) {
    EXPECT_EQ(http_request(port(), "POST", "/api/map/apply", {}, "a: 1\n").status, 428);
    EXPECT_EQ(admin.applies, 0);
}

TEST_F(MapApi, ResultThatArrivesLaterIsSentToTheWaitingClient) {
    admin.defer = true;
    std::thread finisher([this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        finish_apply();
    });
    auto start = std::chrono::steady_clock::now();
    auto r = post("/api/map/apply", {{"text", "a: 2\n"}, {"version", "v1"}});
    finisher.join();
    EXPECT_EQ(r.status, 200) << r.head;
    EXPECT_EQ(json::parse(r.body)["version"], "v2");
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST_F(MapApi, ResultForAClientThatLeftIsDroppedAndTheServerStaysUp) {
    admin.defer = true;
    // A client that sends the request and hangs up before the answer.
    {
        std::string body = json{{"text", "a: 3\n"}, {"version", "v1"}}.dump();
        auto r = http_request(port(), "POST", "/api/map/apply", {"Content-Type: application/json"}, body, 300ms);
        EXPECT_EQ(r.status, 0);  // no answer yet; the client closes
    }
    for (int i = 0; i < 100 && admin.applies == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(admin.applies, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server sees the hang-up
    finish_apply();  // the wsi is gone: must not be written to (AddressSanitizer would say)
    EXPECT_EQ(http_get(port(), "/api/map").status, 200);
}

TEST_F(MapApi, PostFromAForeignOriginIsRefusedAndTheOwnOriginAccepted) {
    auto evil = http_request(port(), "POST", "/api/map/validate", {"Origin: http://evil.example"}, "a: 1\n");
    EXPECT_EQ(evil.status, 403);
    auto evil_apply = post("/api/map/apply", {{"text", "a: 1\n"}, {"version", "v1"}}, {"Origin: http://evil.example"});
    EXPECT_EQ(evil_apply.status, 403);
    EXPECT_EQ(admin.applies, 0);
    auto own = http_request(port(), "POST", "/api/map/validate",
                            {"Origin: http://127.0.0.1:" + std::to_string(port())}, "a: 1\n");
    EXPECT_EQ(own.status, 200);
}

TEST_F(MapApi, ApplyIsRefusedWhenThePageWasOpenedByANonLoopbackName) {
    // DNS rebinding: evil.example resolved to 127.0.0.1 sends its own name as Host and Origin.
    auto r = http_request(port(), "POST", "/api/map/apply",
                          {"Host: evil.example:8080", "Origin: http://evil.example:8080", "Content-Type: application/json"},
                          json{{"text", "a: 1\n"}, {"version", "v1"}}.dump());
    EXPECT_EQ(r.status, 421) << r.head;
    EXPECT_EQ(admin.applies, 0);
}

TEST_F(MapApi, BodyAboveOneMebibyteIs413) {
    std::string big(map_api::max_body_bytes + 1, '#');
    auto r = http_request(port(), "POST", "/api/map/validate", {"Content-Type: text/plain"}, big);
    EXPECT_EQ(r.status, 413) << r.head;
    // Exactly at the cap is accepted.
    std::string at_cap(map_api::max_body_bytes, '#');
    EXPECT_EQ(http_request(port(), "POST", "/api/map/validate", {}, at_cap).status, 200);
}

TEST_F(MapApi, OtherMethodsAre405) {
    for (const char* method : {"PUT", "DELETE", "PATCH"}) {
        auto r = http_request(port(), method, "/api/map", {}, "a: 1\n");
        EXPECT_EQ(r.status, 405) << method << ": " << r.head;
    }
    EXPECT_EQ(http_get(port(), "/api/map/apply").status, 405);
    EXPECT_EQ(http_request(port(), "POST", "/index.html", {}, "x").status, 405);
}

TEST(MapApiAdmin, OnlyLoopbackPeersOpenedByALoopbackNameAreAdmins) {
    for (const char* peer : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"})
        EXPECT_TRUE(map_api::admin_check(peer, "127.0.0.1:8080").admin) << peer;
    for (const char* peer : {"192.168.1.5", "10.0.0.1", "::ffff:192.168.1.5", "fe80::1", "128.0.0.1", "?", ""})
        EXPECT_FALSE(map_api::admin_check(peer, "127.0.0.1:8080").admin) << peer;
    for (const char* host : {"localhost", "localhost:8080", "127.0.0.1", "[::1]:8080", "LOCALHOST:1"})
        EXPECT_TRUE(map_api::admin_check("127.0.0.1", host).admin) << host;
    for (const char* host : {"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "",
                             "[::2]:80", "localhost:x"})
        EXPECT_FALSE(map_api::admin_check("127.0.0.1", host).admin) << host;
}

}  // namespace
}  // namespace hwb::test
