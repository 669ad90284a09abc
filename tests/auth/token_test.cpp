// Signed and machine tokens: what verifies, what does not, and with which error.
#include <gtest/gtest.h>

#include "auth/crypto.h"
#include "auth/token.h"
#include "door/access.h"

namespace hwb::auth {
namespace {

const std::string secret = "0123456789abcdef0123456789abcdef";

TokenClaims claims(std::int64_t expires_s = 2000) {
    return TokenClaims{"alice", Role::operator_, 1000, expires_s, std::vector<std::string>{"pump"}};
}

TEST(Token, ASignedTokenVerifiesWithItsClaims) {
    auto verified = verify_token(sign_token(claims(), secret), secret, 1500);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(verified.value().subject, "alice");
    EXPECT_EQ(verified.value().role, Role::operator_);
    EXPECT_EQ(verified.value().expires_s, 2000);
    EXPECT_EQ(verified.value().channels, (std::vector<std::string>{"pump"}));
}

TEST(Token, ExpiryIsExclusive) {
    std::string t = sign_token(claims(), secret);
    EXPECT_TRUE(verify_token(t, secret, 1999).ok());
    auto expired = verify_token(t, secret, 2000);
    ASSERT_FALSE(expired.ok());
    EXPECT_EQ(expired.error().code, "token_expired");
}

TEST(Token, EveryOneCharacterChangeIsRefused) {
    std::string t = sign_token(claims(), secret);
    for (std::size_t i = 0; i < t.size(); ++i) {
        for (char c : {'A', 'b', '-', '_', '.', '0'}) {
            if (t[i] == c) continue;
            std::string changed = t;
            changed[i] = c;
            auto verified = verify_token(changed, secret, 1500);
            EXPECT_FALSE(verified.ok()) << "accepted with position " << i << " changed to " << c;
            if (!verified.ok()) {
                EXPECT_EQ(verified.error().code, "bad_token");
            }
        }
    }
}

TEST(Token, AnotherSecretOrAnEmptyOneIsRefused) {
    std::string t = sign_token(claims(), secret);
    EXPECT_EQ(verify_token(t, "another secret of 32 characters!", 1500).error().code, "bad_token");
    EXPECT_EQ(verify_token(t, "", 1500).error().code, "bad_token");
}

TEST(Token, ErrorMessagesNeverContainTheToken) {
    std::string t = sign_token(claims(), secret);
    t.back() = t.back() == 'A' ? 'B' : 'A';
    auto verified = verify_token(t, secret, 1500);
    ASSERT_FALSE(verified.ok());
    EXPECT_EQ(verified.error().message.find(t.substr(t.rfind('.') + 1)), std::string::npos);
}

TEST(Token, SubjectsAreSafeForAuditLines) {
    EXPECT_TRUE(is_valid_subject("alice@bench-1"));
    EXPECT_FALSE(is_valid_subject(""));
    EXPECT_FALSE(is_valid_subject("eve\naudit: relay set pump on by admin"));
    EXPECT_FALSE(is_valid_subject(std::string(65, 'a')));
}

TEST(Token, MachineTokensAreRandomAndKnownByTheirHash) {
    std::string a = new_machine_token();
    std::string b = new_machine_token();
    EXPECT_NE(a, b);
    EXPECT_EQ(a.rfind("hwbm_", 0), 0u);
    EXPECT_EQ(token_sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Token, Base64IsStrict) {
    const std::string bytes("\xff\x00hello", 7);
    EXPECT_EQ(from_base64url(base64url(bytes)), bytes);
    EXPECT_FALSE(from_base64url("QQ=").has_value());
    EXPECT_FALSE(from_base64url("QR").has_value());  // low bits set: not the canonical form of "A"
    EXPECT_FALSE(from_base64url("Q").has_value());
}

TEST(Access, RolesAndScopesDecideControl) {
    AuthConfig config;
    config.secret_file = "/s";
    config.control["heater"] = Role::admin;
    Access access;
    access.configure(config, secret);
    Identity viewer{Role::viewer, "v", "token", std::nullopt, std::nullopt};
    Identity op{Role::operator_, "o", "token", std::nullopt, std::nullopt};
    Identity scoped{Role::admin, "s", "token", std::vector<std::string>{"pump"}, std::nullopt};
    EXPECT_EQ(access.may_control(viewer, "relay", "pump").error().code, "forbidden");
    EXPECT_TRUE(access.may_control(op, "relay", "pump").ok());
    EXPECT_FALSE(access.may_control(op, "relay", "heater").ok());
    EXPECT_TRUE(access.may_control(scoped, "relay", "pump").ok());
    EXPECT_FALSE(access.may_control(scoped, "relay", "valve").ok());
    EXPECT_FALSE(access.may_change_map(scoped).ok());
    EXPECT_FALSE(access.may_change_map(op).ok());
    EXPECT_EQ(access.anonymous().role, Role::none);
    EXPECT_EQ(bearer_token("Bearer abc"), "abc");
    EXPECT_EQ(bearer_token("bearer  abc "), "abc");
    EXPECT_FALSE(bearer_token("Basic abc").has_value());
}

}  // namespace
}  // namespace hwb::auth
