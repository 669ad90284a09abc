// /api/map/validate and the files a draft names (issue 18, items 9 and 12): for a requester who
// may not apply, the answer must not tell whether a file exists on the bridge; an admin gets the
// precise answer, including a secret file that apply would refuse.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>

#include "auth/token.h"
#include "robustness/robustness.h"

namespace hwb::test {
namespace {

using nlohmann::json;

class MapFileOracle : public ::testing::Test {
protected:
    std::string viewer = auth::new_machine_token();
    std::string admin = auth::new_machine_token();
    Daemon daemon{R"(bridge:
  name: Oracle bench
devices:
  - {id: bench, driver: sim}
relays:
  - {id: lamp, device: bench, latency: 0ms}
auth:
  machine_tokens:
    - {name: reader, sha256: )" + auth::token_sha256_hex(viewer) + R"(, role: viewer}
    - {name: root, sha256: )" + auth::token_sha256_hex(admin) + R"(, role: admin}
)"};

    json validate(const std::string& token, const std::string& draft) {
        auto r = http_request(daemon.port(), "POST", "/api/map/validate",
                              {"Content-Type: text/plain", "Authorization: Bearer " + token}, draft);
        EXPECT_EQ(r.status, 200) << r.head << r.body;
        return json::parse(r.body, nullptr, false);
    }
    static std::string tls_draft(const std::string& cert) {
        return "bridge:\n  tls: {cert: " + cert + ", key: " + cert + "}\ndevices:\n  - {id: bench, driver: sim}\n";
    }
    static std::string secret_draft(const std::string& secret_file) {
        return "devices:\n  - {id: bench, driver: sim}\nauth:\n  secret_file: " + secret_file + "\n";
    }
};

TEST_F(MapFileOracle, AViewerCannotTellAnExistingFileFromAMissingOne) {
    TempFile existing(".pem", "not really a certificate\n");
    const std::string missing = existing.path() + ".missing";
    auto a = validate(viewer, tls_draft(existing.path()));
    auto b = validate(viewer, tls_draft(missing));
    ASSERT_TRUE(a.is_object() && b.is_object());
    EXPECT_EQ(a["ok"], b["ok"]);
    EXPECT_EQ(a["problems"], b["problems"]) << "existing: " << a.dump() << "\nmissing: " << b.dump();
}

TEST_F(MapFileOracle, AnAdminIsToldWhichFileIsMissing) {
    TempFile existing(".pem", "not really a certificate\n");
    const std::string missing = existing.path() + ".missing";
    auto a = validate(admin, tls_draft(existing.path()));
    auto b = validate(admin, tls_draft(missing));
    EXPECT_EQ(a["ok"], true) << a.dump();
    EXPECT_EQ(b["ok"], false);
    EXPECT_NE(b.dump().find("no such file"), std::string::npos) << b.dump();
}

TEST_F(MapFileOracle, AnAdminIsToldASecretFileThatApplyWouldRefuse) {
    TempFile everyone(".secret", std::string(64, 'a') + "\n");
    ASSERT_EQ(::chmod(everyone.path().c_str(), 0644), 0);
    auto world_readable = validate(admin, secret_draft(everyone.path()));
    EXPECT_EQ(world_readable["ok"], false) << "validation said ok for a secret file that apply refuses";
    ASSERT_FALSE(world_readable["problems"].empty());
    EXPECT_EQ(world_readable["problems"][0]["line"], 4);
    EXPECT_NE(world_readable["problems"][0]["message"].get<std::string>().find("readable by every user"), std::string::npos)
        << world_readable.dump();

    auto missing = validate(admin, secret_draft(everyone.path() + ".missing"));
    EXPECT_EQ(missing["ok"], false);
    EXPECT_NE(missing.dump().find("cannot read the secret file"), std::string::npos) << missing.dump();

    TempFile good(".secret", std::string(64, 'b') + "\n");
    ASSERT_EQ(::chmod(good.path().c_str(), 0600), 0);
    EXPECT_EQ(validate(admin, secret_draft(good.path()))["ok"], true);

    // A viewer learns nothing about either file.
    EXPECT_EQ(validate(viewer, secret_draft(everyone.path())), validate(viewer, secret_draft(good.path())));
}

}  // namespace
}  // namespace hwb::test
