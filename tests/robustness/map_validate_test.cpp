// POST /api/map/validate with hostile drafts (issue 18, item 2): YAML aliases make a small request
// stand for a huge document, and every error message used to quote the aliased scalar in full (a
// 103 KB request answered with 100 MB). The answer stays small, the daemon's memory bounded, and
// the map's expansion through aliases is refused before it is read.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

// `scalar_bytes` of text under an anchor, then `aliases` references to it as sensors.
std::string aliased_draft(std::size_t scalar_bytes, std::size_t aliases, const std::string& item) {
    std::string yaml = "big: &big \"" + std::string(scalar_bytes, 'A') + "\"\n";
    yaml += "devices:\n  - {id: bench, driver: sim}\nsensors:\n";
    for (std::size_t i = 0; i < aliases; ++i) {
        std::string line = item;
        for (auto at = line.find("%"); at != std::string::npos; at = line.find("%")) line.replace(at, 1, std::to_string(i));
        yaml += line + "\n";
    }
    return yaml;
}

struct Measured {
    HttpResponse answer;
    long rss_growth_kb = 0;
};

Measured validate(Daemon& daemon, const std::string& draft) {
    const long before = rss_kb(daemon.pid());
    Measured m;
    m.answer = http_request(daemon.port(), "POST", "/api/map/validate", {"Content-Type: text/plain"}, draft, 120s);
    m.rss_growth_kb = rss_kb(daemon.pid()) - before;
    std::cout << "request " << draft.size() << " bytes: answer " << m.answer.body.size() << " bytes, RSS +"
              << m.rss_growth_kb << " kB\n";
    return m;
}

TEST(MapValidate, AScalarAliasedAThousandTimesGetsASmallAnswerAndBoundedMemory) {
    Daemon daemon(robustness_map());
    const std::string draft = aliased_draft(100 * 1024, 1000, "  - *big");
    ASSERT_LT(draft.size(), 110u * 1024);
    auto m = validate(daemon, draft);
    ASSERT_EQ(m.answer.status, 200) << m.answer.head;
    EXPECT_LT(m.answer.body.size(), 4 * draft.size()) << "the answer is larger than a few times the request";
    EXPECT_LT(m.rss_growth_kb, 32 * 1024) << "validation grew the daemon by " << m.rss_growth_kb << " kB";
    auto body = nlohmann::json::parse(m.answer.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << m.answer.body.substr(0, 200);
    EXPECT_EQ(body["ok"], false);
    ASSERT_TRUE(body["problems"].is_array());
    EXPECT_FALSE(body["problems"].empty());
    EXPECT_TRUE(daemon_still_serves(daemon.port()));
}

TEST(MapValidate, AnAliasedScalarUnderTheExpansionLimitIsQuotedShortInEveryMessage) {
    Daemon daemon(robustness_map());
    // 3 KB x 1,000: 3 MB expanded, allowed, so each alias is read and reported.
    const std::string draft = aliased_draft(3000, 1000, "  - *big");
    auto m = validate(daemon, draft);
    ASSERT_EQ(m.answer.status, 200) << m.answer.head;
    EXPECT_LT(m.answer.body.size(), 4 * draft.size()) << "the answer is larger than a few times the request";
    auto body = nlohmann::json::parse(m.answer.body, nullptr, false);
    ASSERT_TRUE(body.is_object());
    EXPECT_EQ(body["ok"], false);
    EXPECT_LE(body["problems"].size(), 101u);
}

TEST(MapValidate, AValidLookingMapThatExpandsToMegabytesThroughAliasesIsRefused) {
    Daemon daemon(robustness_map());
    // Well-formed sensors whose labels are one aliased 100 KB scalar: as a map, 100 MB of labels.
    const std::string draft = aliased_draft(100 * 1024, 1000, "  - {id: s%, device: bench, label: *big}");
    auto m = validate(daemon, draft);
    ASSERT_EQ(m.answer.status, 200) << m.answer.head;
    EXPECT_LT(m.answer.body.size(), 4 * draft.size());
    EXPECT_LT(m.rss_growth_kb, 32 * 1024);
    auto body = nlohmann::json::parse(m.answer.body, nullptr, false);
    ASSERT_TRUE(body.is_object());
    EXPECT_EQ(body["ok"], false) << "a map that expands to 100 MB through aliases was accepted";
    EXPECT_NE(m.answer.body.find("alias"), std::string::npos) << m.answer.body.substr(0, 500);
}

TEST(MapValidate, NineThousandErrorsAreCappedInTheAnswer) {
    Daemon daemon(robustness_map());
    std::string draft = "devices:\n  - {id: bench, driver: sim}\n";
    for (int i = 0; i < 9000; ++i) draft += "unknown_key_" + std::to_string(i) + ": 1\n";
    auto m = validate(daemon, draft);
    ASSERT_EQ(m.answer.status, 200) << m.answer.head;
    auto body = nlohmann::json::parse(m.answer.body, nullptr, false);
    ASSERT_TRUE(body.is_object());
    EXPECT_EQ(body["ok"], false);
    EXPECT_LE(body["problems"].size(), 201u);
    EXPECT_NE(body["problems"].back()["message"].get<std::string>().find("more"), std::string::npos)
        << body["problems"].back().dump();
}

TEST(MapValidate, AMebibyteOfTinyKeysIsRefusedBeforeYamlCppBuildsIt) {
    Daemon daemon(robustness_map());
    // yaml-cpp takes about 600 bytes per node: this draft used to take the daemon to 135 MB.
    std::string draft = "devices:\n  - {id: bench, driver: sim}\n";
    for (int i = 0; draft.size() < 1000 * 1000; ++i) draft += "k" + std::to_string(i) + ": 1\n";
    auto m = validate(daemon, draft);
    ASSERT_EQ(m.answer.status, 200) << m.answer.head;
    EXPECT_LT(m.rss_growth_kb, 32 * 1024) << "validation grew the daemon by " << m.rss_growth_kb << " kB";
    auto body = nlohmann::json::parse(m.answer.body, nullptr, false);
    ASSERT_TRUE(body.is_object());
    EXPECT_EQ(body["ok"], false);
}

}  // namespace
}  // namespace hwb::test
