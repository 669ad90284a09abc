// The HTTP request path against the real daemon with hostile requests: random methods, paths,
// headers (Host, Origin, Content-Type, Authorization, If-Match, Transfer-Encoding) and bodies
// (maps with aliases, JSON, bytes). Properties: every request is answered or its connection
// closed, no answer is much larger than its request (except the page's own files), nothing is
// applied, no relay moves, and the daemon serves a healthy client afterwards.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

std::string random_text(std::mt19937& rng, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(rng() % 256);
    return s;
}

// A draft map whose errors quote an aliased scalar many times (alias amplification).
std::string alias_map(std::mt19937& rng) {
    std::string big(1000 + rng() % 20000, 'x');
    std::string text = "base: &a " + big + "\ndevices:\n";
    int n = 50 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) text += "  - {id: *a, driver: *a}\n";
    return text;
}

struct Request {
    std::string method;
    std::string path;
    std::vector<std::string> headers;
    std::string body;
};

Request make_request(std::mt19937& rng, std::uint16_t port) {
    auto pick = [&](std::size_t n) { return rng() % n; };
    static const char* methods[] = {"GET", "POST", "POST", "POST", "PUT", "HEAD", "OPTIONS", "DELETE", "G\x01T", "POSTPOSTPOSTPOSTPOST"};
    static const char* paths[] = {"/", "/index.html", "/api/map", "/api/map/validate", "/api/map/validate",
                                  "/api/map/apply", "/api/map/save", "/api/login", "/api/channels", "/healthz",
                                  "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/api/map/validate?x=1",
                                  "/api/map//validate", "/nothing"};
    Request r;
    r.method = methods[pick(std::size(methods))];
    r.path = pick(12) == 0 ? "/" + random_text(rng, 1 + pick(40)) : paths[pick(std::size(paths))];
    if (pick(30) == 0) r.path = "/" + std::string(6000 + pick(4000), 'p');
    const std::string own = "127.0.0.1:" + std::to_string(port);
    switch (pick(6)) {
        case 0: r.headers.push_back("Host: evil.example:" + std::to_string(port)); break;
        case 1: r.headers.push_back("Host: " + random_text(rng, pick(20))); break;
        default: break;  // http_request adds the bridge's own Host
    }
    if (pick(3) == 0) r.headers.push_back(pick(2) ? "Origin: http://" + own : "Origin: http://evil.example");
    switch (pick(4)) {
        case 0: r.headers.push_back("Content-Type: application/json"); break;
        case 1: r.headers.push_back("Content-Type: text/plain"); break;
        case 2: r.headers.push_back("Content-Type: " + random_text(rng, pick(30))); break;
        default: break;
    }
    if (pick(4) == 0) r.headers.push_back(pick(2) ? "Authorization: Bearer " + random_text(rng, pick(200)) : "Authorization: Basic eDp5");
    if (pick(5) == 0) r.headers.push_back("If-Match: \"" + random_text(rng, pick(50)) + "\"");
    switch (pick(6)) {
        case 0: r.body = alias_map(rng); break;
        case 1: r.body = R"({"text":")" + std::string(pick(5000), 'a') + R"(","version":"v"})"; break;
        case 2: r.body = random_text(rng, pick(4000)); break;
        case 3: r.body = R"({"passphrase":")" + random_text(rng, pick(100)) + "\"}"; break;
        case 4: r.body = "a: [" + std::string(pick(2000), '[') + "\n"; break;
        default: break;
    }
    return r;
}

TEST(HttpRequests, HostileRequestsGetBoundedAnswersAndChangeNothing) {
    Daemon daemon(robustness_map());
    const unsigned seed = robustness_seed(20261202);
    std::mt19937 rng(seed);
    SCOPED_TRACE("seed " + std::to_string(seed) + " (HWB_ROBUSTNESS_SEED reproduces a run)");
    const std::string map_before = http_get(daemon.port(), "/api/map").body;
    WsClient watcher(daemon.port(), "relay");
    ASSERT_TRUE(watcher.wait_type("hello"));

    std::size_t largest_asset = 0;
    for (const char* path : {"/", "/index.html"}) largest_asset = std::max(largest_asset, http_get(daemon.port(), path).body.size());
    std::map<int, int> statuses;
    std::size_t largest_ratio_answer = 0;
    for (int i = 0; i < 400; ++i) {
        Request r = make_request(rng, daemon.port());
        auto answer = http_request(daemon.port(), r.method, r.path, r.headers, r.body, std::chrono::seconds(10));
        ++statuses[answer.status];
        const std::size_t request_bytes = r.method.size() + r.path.size() + r.body.size() + 200;
        const std::size_t bound = std::max<std::size_t>(largest_asset, 4 * request_bytes + 64 * 1024);
        EXPECT_LE(answer.body.size(), bound) << "request " << i << ": " << r.method << " " << r.path.substr(0, 60)
                                             << " with a " << r.body.size() << "-byte body answered " << answer.status;
        if (r.path == "/api/map/apply" || r.path == "/api/map/save") {
            EXPECT_NE(answer.status, 200) << "request " << i << " applied a map";
        }
        EXPECT_LT(answer.status, 500) << "request " << i << " " << r.method << " " << r.path.substr(0, 60);
        if (r.path.rfind("/api/map/validate", 0) == 0) largest_ratio_answer = std::max(largest_ratio_answer, answer.body.size());
    }
    for (const auto& [status, n] : statuses) std::printf("status %d: %d\n", status, n);
    RecordProperty("largest_validate_answer", static_cast<int>(largest_ratio_answer));
    // Nothing changed: the map, the relays.
    EXPECT_EQ(http_get(daemon.port(), "/api/map").body, map_before);
    expect_relays_untouched_and_serving(watcher, daemon);
}

}  // namespace
}  // namespace hwb::test
