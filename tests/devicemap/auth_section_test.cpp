// The `auth:` section and the `control:` key: values reach AuthConfig, every mistake is reported
// where it is written, and a map reachable beyond loopback needs authentication or says otherwise.
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using test::error_lines;
using test::load;

const std::string channels = R"(devices: [{id: bench, driver: sim}]
relays:
  - id: pump
    device: bench
  - id: heater
    device: bench
    control: admin
texts:
  - id: console
    device: bench
)";

const std::string hash = "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

TEST(DeviceMapAuth, KeysReachTheAuthConfig) {
    auto result = load(channels + R"(auth:
  secret_file: /etc/hwbridge/secret
  allow_anonymous: viewer
  passphrase_hash: ")" + hash + R"("
  passphrase_role: admin
  passphrase_ttl: 30m
  machine_tokens:
    - name: plc
      sha256: 00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff
      channels: [pump, console]
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const AuthConfig& auth = result.map->auth;
    EXPECT_TRUE(auth.configured());
    EXPECT_EQ(auth.secret_file, "/etc/hwbridge/secret");
    EXPECT_EQ(auth.secret_file_where.line, 12);
    EXPECT_EQ(auth.allow_anonymous, Role::viewer);
    EXPECT_EQ(auth.passphrase_role, Role::admin);
    EXPECT_EQ(auth.passphrase_ttl, std::chrono::minutes(30));
    ASSERT_EQ(auth.machine_tokens.size(), 1u);
    EXPECT_EQ(auth.machine_tokens[0].role, Role::operator_);
    EXPECT_EQ(auth.machine_tokens[0].sha256, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    EXPECT_EQ(auth.machine_tokens[0].channels, (std::vector<std::string>{"pump", "console"}));
    EXPECT_EQ(auth.control_role("heater"), Role::admin);
    EXPECT_EQ(auth.control_role("pump"), Role::operator_);
}

TEST(DeviceMapAuth, WithoutAnAuthSectionNothingIsConfigured) {
    auto result = load(channels);
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(result.map->auth.configured());
    EXPECT_FALSE(result.map->auth.allow_anonymous.has_value());
}

TEST(DeviceMapAuth, MistakesAreReportedWhereTheyAreWritten) {
    auto result = load(channels + R"(auth:
  secret_file: secret.txt
  allow_anonymous: admin
  passphrase_hash: md5$abc
  passphrase_ttl: 10s
  machine_tokens:
    - name: plc
      sha256: hwbm_the-token-itself
      channels: [pmup]
    - name: plc
      sha256: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
      rol: admin
)");
    auto errors = error_lines(result);
    ASSERT_EQ(errors.size(), 7u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0].rfind("map.yaml:12:16: error: 'secret_file' must be an absolute path", 0), 0u) << errors[0];
    EXPECT_EQ(errors[1].rfind("map.yaml:13:20: error: 'allow_anonymous' must be one of none, viewer, operator", 0), 0u) << errors[1];
    EXPECT_EQ(errors[2].rfind("map.yaml:14:20: error: 'passphrase_hash' is not valid: expected pbkdf2-sha256$", 0), 0u) << errors[2];
    EXPECT_EQ(errors[3].rfind("map.yaml:15:19: error: 'passphrase_ttl' must be a duration between 1m and 168h", 0), 0u) << errors[3];
    EXPECT_EQ(errors[4].rfind("map.yaml:18:15: error: 'sha256' must be the 64 hex digits", 0), 0u) << errors[4];
    EXPECT_EQ(errors[5], "map.yaml:19:18: error: machine token channel 'pmup' is not a relay or text channel of this map; did you mean 'pump'?");
    EXPECT_EQ(errors[6].rfind("map.yaml:22:7: error: unknown key 'rol' in machine token 'plc'; did you mean 'role'?", 0), 0u) << errors[6];
}

TEST(DeviceMapAuth, MachineTokensHaveUniqueNamesAndHashes) {
    const std::string sha = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    auto errors = error_lines(load(channels + "auth:\n  machine_tokens:\n    - {name: plc, sha256: " + sha +
                                   "}\n    - {name: plc, sha256: " + std::string(64, 'a') + "}\n    - {name: other, sha256: " +
                                   sha + "}\n"));
    ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0], "map.yaml:14:7: error: machine token 'plc' repeats the name of the machine token at map.yaml:13:7");
    EXPECT_EQ(errors[1], "map.yaml:15:7: error: machine token 'other' repeats the hash of the machine token at map.yaml:13:7");
}

TEST(DeviceMapAuth, APassphraseNeedsTheSecretFile) {
    auto result = load(channels + "auth:\n  passphrase_hash: \"" + hash + "\"\n");
    auto errors = error_lines(result);
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0].rfind("map.yaml:12:3: error: 'passphrase_hash' needs 'secret_file'", 0), 0u) << errors[0];
}

TEST(DeviceMapAuth, ControlIsOperatorOrAdminAndOnlyOnRelaysAndTexts) {
    std::string map = channels;
    map.replace(map.find("control: admin"), 14, "control: viewer");
    auto errors = error_lines(load(map + "sensors:\n  - id: t\n    device: bench\n    control: admin\n"));
    ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0].rfind("map.yaml:7:14: error: 'control' must be one of operator, admin", 0), 0u) << errors[0];
    EXPECT_EQ(errors[1].rfind("map.yaml:14:5: error: unknown key 'control' in sensor 't'", 0), 0u) << errors[1];
}

TEST(DeviceMapAuth, ListeningBeyondLoopbackNeedsAuthOrAllowAnonymous) {
    auto refused = load("bridge:\n  listen: 0.0.0.0:8080\n" + channels);
    auto errors = error_lines(refused);
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0].rfind("map.yaml:2:11: error: 'listen' is 0.0.0.0, reachable from other machines, but the map "
                              "has no authentication", 0), 0u) << errors[0];
    EXPECT_NE(errors[0].find("allow_anonymous: viewer"), std::string::npos) << errors[0];
    EXPECT_TRUE(load("bridge:\n  listen: 0.0.0.0:8080\n" + channels + "auth: {allow_anonymous: operator}\n").ok());
    EXPECT_TRUE(load("bridge:\n  listen: 0.0.0.0:8080\n" + channels + "auth: {secret_file: /etc/s}\n").ok());
    for (const char* local : {"127.0.0.1:8080", "localhost:80", "'[::1]:8080'", "127.1.2.3:1"})
        EXPECT_TRUE(load(std::string("bridge:\n  listen: ") + local + "\n" + channels).ok()) << local;
    EXPECT_FALSE(load("bridge:\n  listen: '[::]:8080'\n" + channels).ok());
    EXPECT_FALSE(load("bridge:\n  listen: pi.local:8080\n" + channels).ok());
}

}  // namespace
}  // namespace hwb
