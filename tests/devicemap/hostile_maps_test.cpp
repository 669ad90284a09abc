// Maps written to hurt the bridge rather than describe hardware (issue 18, item 2): aliases that
// stand for megabytes, scalars quoted into messages, thousands of errors. The loader answers with
// a bounded number of short messages and refuses a map that expands too far, before reading it.
#include <gtest/gtest.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "devicemap/bounds.h"
#include "test_maps.h"

namespace hwb {
namespace {

using test::load;

std::size_t total_message_bytes(const LoadResult& result) {
    std::size_t n = 0;
    for (const auto& e : result.errors) n += e.message.size();
    return n;
}

TEST(HostileMaps, AnAliasedScalarIsQuotedAsAShortExcerpt) {
    // 3 KB x 1,000 aliases: 3 MB expanded, under the expansion limit, so every alias is read.
    std::string yaml = "big: &big \"" + std::string(3000, 'A') + "\"\ndevices:\n  - {id: bench, driver: sim}\nsensors:\n";
    for (int i = 0; i < 1000; ++i) yaml += "  - *big\n";
    auto result = load(yaml);
    ASSERT_FALSE(result.ok());
    EXPECT_LE(result.errors.size(), devicemap::max_reported_errors + 1);
    for (const auto& e : result.errors) EXPECT_LE(e.message.size(), 2 * devicemap::max_message_bytes) << e.message;
    EXPECT_LT(total_message_bytes(result), 2 * yaml.size()) << "the messages are much larger than the map";
    EXPECT_NE(result.errors[1].message.find("AAAA... (3000 bytes)"), std::string::npos) << result.errors[1].message;
    EXPECT_NE(result.errors.back().message.find("more errors not listed"), std::string::npos);
}

TEST(HostileMaps, AMapExpandingBeyondTheLimitThroughAliasesIsRefusedAtTheAlias) {
    std::string yaml = "big: &big \"" + std::string(100 * 1024, 'A') + "\"\ndevices:\n  - {id: bench, driver: sim}\nsensors:\n";
    for (int i = 0; i < 1000; ++i) yaml += "  - {id: s" + std::to_string(i) + ", device: bench, label: *big}\n";
    auto result = load(yaml);
    ASSERT_FALSE(result.ok());
    ASSERT_EQ(result.errors.size(), 1u);
    // The anchored scalar and 40 aliases of it (100 KB + 16 each) cross 4 MiB: the 40th sensor's
    // label, on line 44.
    EXPECT_EQ(result.errors[0].where.line, 44);
    EXPECT_NE(result.errors[0].message.find("takes the map over 4 MiB with its aliases expanded"), std::string::npos)
        << result.errors[0].message;
}

TEST(HostileMaps, BillionLaughsIsRefusedQuickly) {
    std::string yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int i = 1; i < 40; ++i) {
        yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) yaml += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
        yaml += "]\n";
    }
    yaml += "devices:\n  - {id: bench, driver: sim, label: *a39}\n";
    const auto start = std::chrono::steady_clock::now();
    auto result = load(yaml);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.errors[0].message.find("aliases expanded"), std::string::npos) << result.errors[0].message;
}

TEST(HostileMaps, SharingAnchorsWithinTheLimitIsFine) {
    auto result = load(R"(
defaults: &relay {device: bench, safe_state: off, latency: 0ms}
devices:
  - {id: bench, driver: sim}
relays:
  - {<<: *relay, id: pump}
  - {id: fan, device: bench, label: &fan_label "Fan in the shed"}
  - {id: fan2, device: bench, label: *fan_label}
)");
    // yaml-cpp 0.7 has no merge keys: '<<' is an unknown key; what matters is no expansion error.
    for (const auto& e : result.errors) EXPECT_EQ(e.message.find("aliases expanded"), std::string::npos) << e.message;
}

TEST(HostileMaps, ThousandsOfErrorsAreCappedWithACount) {
    std::string yaml = "devices:\n  - {id: bench, driver: sim}\n";
    for (int i = 0; i < 5000; ++i) yaml += "unknown_" + std::to_string(i) + ": 1\n";
    auto result = load(yaml);
    ASSERT_EQ(result.errors.size(), devicemap::max_reported_errors + 1);
    EXPECT_EQ(result.errors.back().where.line, 0);
    EXPECT_NE(result.errors.back().message.find("4900 more errors not listed (only the first 100 found are)"), std::string::npos)
        << result.errors.back().message;
}

TEST(HostileMaps, AHugeUnknownKeyIsQuotedShortAndNotComparedLetterByLetter) {
    const std::string key(200 * 1024, 'k');
    std::string yaml = "devices:\n  - {id: bench, driver: sim}\n" + key + ": 1\n";
    const auto start = std::chrono::steady_clock::now();
    auto result = load(yaml);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_LT(result.errors[0].message.size(), 200u) << result.errors[0].message.substr(0, 300);
}

TEST(HostileMaps, MessagesFullOfControlBytesStayWithinTheAnswerBudget) {
    std::string yaml = "devices:\n  - {id: bench, driver: sim}\n";
    std::string key;
    for (int i = 0; i < 38; ++i) key += "\\x01";  // YAML escapes: 38 control bytes
    for (int i = 0; i < 3000; ++i) yaml += "\"" + key + std::to_string(i) + "\": 1\n";
    auto result = load(yaml);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error_count, 3000u);
    nlohmann::json answer = nlohmann::json::array();
    for (const auto& e : result.errors) answer.push_back({{"line", e.where.line}, {"column", e.where.column}, {"message", e.message}});
    EXPECT_LE(answer.dump().size(), devicemap::max_answer_bytes + 2 * devicemap::max_message_bytes);
    EXPECT_NE(result.errors[0].message.find("\\x01\\x01"), std::string::npos) << result.errors[0].message;
    EXPECT_EQ(result.errors[0].message.find('\x01'), std::string::npos);
}

TEST(HostileMaps, AMapWithMoreNodesThanTheLimitIsRefusedBeforeItIsBuilt) {
    std::string yaml = "devices:\n  - {id: bench, driver: sim}\n";
    for (std::uint64_t i = 0; i < devicemap::max_nodes; ++i) yaml += "k" + std::to_string(i) + ": 1\n";
    auto result = load(yaml);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_NE(result.errors[0].message.find("more than " + std::to_string(devicemap::max_nodes) + " values, lists and mappings"), std::string::npos)
        << result.errors[0].message;
    // 8 nodes before the keys (the root mapping, 'devices', its list, the entry and its two pairs),
    // then 2 per line: node max_nodes + 1 is the key on line 3 + (max_nodes - 8) / 2.
    EXPECT_EQ(result.errors[0].where.line, 3 + static_cast<int>((devicemap::max_nodes - 8) / 2));
}

TEST(HostileMaps, FilesAreNotProbedWhenTheRequesterMayNotKnowThem) {
    const std::string yaml = "bridge:\n  tls: {cert: /nonexistent/cert.pem, key: /etc/hostname}\ndevices:\n  - {id: bench, driver: sim}\n";
    auto probed = load_device_map_string(yaml, "map.yaml", test::test_drivers());
    ASSERT_EQ(probed.errors.size(), 1u);
    EXPECT_NE(probed.errors[0].message.find("no such file"), std::string::npos);
    auto blind = load_device_map_string(yaml, "map.yaml", test::test_drivers(), LoadOptions{.probe_files = false});
    EXPECT_TRUE(blind.ok()) << (blind.errors.empty() ? "" : blind.errors[0].message);
}

TEST(HostileMaps, ExcerptCutsAtACharacterBoundary) {
    std::string text = std::string(39, 'x') + "\xc3\xa9" + std::string(10, 'y');  // é straddles byte 40
    EXPECT_EQ(devicemap::excerpt(text), std::string(39, 'x') + "... (51 bytes)");
    EXPECT_EQ(devicemap::excerpt("short"), "short");
}

}  // namespace
}  // namespace hwb
