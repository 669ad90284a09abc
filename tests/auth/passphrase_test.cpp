// Pass-phrase hashes: the right pass-phrase matches, others do not, and the text form is checked.
#include <gtest/gtest.h>

#include "auth/passphrase.h"

namespace hwb::auth {
namespace {

TEST(Passphrase, MatchesOnlyThePassphraseItWasMadeFrom) {
    std::string text = hash_passphrase("correct horse", min_passphrase_iterations);
    EXPECT_EQ(text.rfind("pbkdf2-sha256$100000$", 0), 0u) << text;
    auto hash = parse_passphrase_hash(text);
    ASSERT_TRUE(hash.has_value());
    EXPECT_TRUE(passphrase_matches("correct horse", *hash));
    EXPECT_FALSE(passphrase_matches("correct horsE", *hash));
    EXPECT_FALSE(passphrase_matches("", *hash));
    // Salted: the same pass-phrase hashes differently each time.
    EXPECT_NE(hash_passphrase("correct horse", min_passphrase_iterations), text);
}

TEST(Passphrase, MalformedHashesSayWhatIsWrong) {
    std::string problem;
    EXPECT_FALSE(parse_passphrase_hash("sha1$1$a$b", &problem));
    EXPECT_NE(problem.find("pbkdf2-sha256$ITERATIONS$SALT$HASH"), std::string::npos);
    EXPECT_FALSE(parse_passphrase_hash("pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &problem));
    EXPECT_NE(problem.find("iteration count"), std::string::npos) << problem;
    EXPECT_FALSE(parse_passphrase_hash("pbkdf2-sha256$100000$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &problem));
    EXPECT_NE(problem.find("salt"), std::string::npos) << problem;
}

}  // namespace
}  // namespace hwb::auth
