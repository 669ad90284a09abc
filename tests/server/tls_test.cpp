// bridge.tls against the real daemon: a certificate made at test time, https and wss on the one
// port with ALPN http/1.1, the Origin rule with the https scheme, plain http refused, and clear
// errors for wrong or missing certificate files (at start-up and in --check).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "server/test_map.h"
#include "support/daemon.h"
#include "support/tls.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;

std::string tls_lines(const std::string& cert, const std::string& key) {
    return "  tls:\n    cert: " + cert + "\n    key: " + key + "\n";
}

class TlsTest : public ::testing::Test {
protected:
    SelfSignedCert cert;
    Daemon daemon{server_test_map(tls_lines(cert.cert(), cert.key()))};

    WsClient::Options wss(const std::string& subprotocol, std::optional<std::string> origin = std::nullopt) {
        WsClient::Options o;
        o.subprotocol = subprotocol;
        o.origin = std::move(origin);
        o.tls_ca = cert.cert();
        return o;
    }
};

TEST_F(TlsTest, PageIsServedOverHttpsWithAlpnHttp11) {
    std::string alpn;
    auto page = https_get(daemon.port(), "/", cert.cert(), &alpn);
    ASSERT_EQ(page.status, 200) << page.head;
    EXPECT_NE(page.body.find("<html"), std::string::npos);
    EXPECT_EQ(alpn, "http/1.1");
    auto health = https_get(daemon.port(), "/healthz", cert.cert());
    EXPECT_EQ(health.status, 200) << health.head;
    EXPECT_NE(daemon.log().find("listening on https://127.0.0.1:"), std::string::npos) << daemon.log();
}

TEST_F(TlsTest, RelayOverWssGetsItsHelloAndSwitchesARelay) {
    std::string origin = "https://127.0.0.1:" + std::to_string(daemon.port());
    WsClient a(daemon.port(), wss("relay", origin));
    ASSERT_TRUE(a.ok()) << a.refusal().head;
    EXPECT_TRUE(a.tls_ok());
    EXPECT_EQ(a.tls_alpn(), "http/1.1");
    auto hello = a.wait_type("hello");
    ASSERT_TRUE(hello);
    EXPECT_EQ((*hello)["protocol"], "relay");
    WsClient b(daemon.port(), wss("relay"));
    ASSERT_TRUE(b.ok()) << b.refusal().head;
    ASSERT_TRUE(b.wait_type("hello"));

    a.send_json({{"type", "set"}, {"id", "t1"}, {"channel", "pump"}, {"state", "on"}});
    auto ack = a.wait_for([](const json& m) { return m.value("id", json()) == "t1"; });
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["type"], "ack");
    EXPECT_EQ((*ack)["state"], "on");
    auto seen = b.wait_for([](const json& m) { return m.value("type", json()) == "state" && m.value("channel", json()) == "pump"; });
    ASSERT_TRUE(seen);
    EXPECT_EQ((*seen)["state"], "on");
}

TEST_F(TlsTest, SameHostOriginMustUseHttps) {
    std::string host = "127.0.0.1:" + std::to_string(daemon.port());
    WsClient plain_origin(daemon.port(), wss("sensor", "http://" + host));
    EXPECT_FALSE(plain_origin.ok());
    EXPECT_EQ(plain_origin.refusal().status, 403);
    WsClient https_origin(daemon.port(), wss("sensor", "https://" + host));
    EXPECT_TRUE(https_origin.ok()) << https_origin.refusal().head;
}

TEST_F(TlsTest, PlainHttpToTheTlsPortDoesNotGetThePage) {
    auto page = http_get(daemon.port(), "/");
    EXPECT_NE(page.status, 200) << page.head;
    EXPECT_EQ(page.body.find("<html"), std::string::npos);
    WsClient plain(daemon.port(), "relay");
    EXPECT_FALSE(plain.ok());
    // The daemon is unharmed by it.
    EXPECT_EQ(https_get(daemon.port(), "/healthz", cert.cert()).status, 200);
}

TEST_F(TlsTest, ClientThatDoesNotTrustTheCertificateIsNotConnected) {
    SelfSignedCert other;
    auto page = https_get(daemon.port(), "/", other.cert());
    EXPECT_EQ(page.status, 0);
    EXPECT_NE(page.head.find("handshake failed"), std::string::npos) << page.head;
}

TEST_F(TlsTest, ReloadWithoutTlsSaysItNeedsARestartAndKeepsServingHttps) {
    std::ofstream(daemon.map_path()) << server_test_map();
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
    std::string log;
    for (int i = 0; i < 50 && log.find("bridge.tls changed") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        log = daemon.log();
    }
    EXPECT_NE(log.find("bridge.tls changed: takes effect after a restart"), std::string::npos) << log;
    EXPECT_EQ(https_get(daemon.port(), "/healthz", cert.cert()).status, 200);
    WsClient wss_client(daemon.port(), wss("relay"));
    EXPECT_TRUE(wss_client.ok()) << wss_client.refusal().head;
}

TEST(TlsChain, IntermediateCertificateFromCaIsSentSoClientsTrustingTheRootVerify) {
    CertChain chain;
    Daemon with_ca(server_test_map("  tls:\n    cert: " + chain.leaf() + "\n    key: " + chain.leaf_key() +
                                   "\n    ca: " + chain.intermediate() + "\n"));
    auto page = https_get(with_ca.port(), "/healthz", chain.root());
    EXPECT_EQ(page.status, 200) << page.head;
    // Without it the chain is incomplete and the same client refuses the bridge.
    Daemon without_ca(server_test_map(tls_lines(chain.leaf(), chain.leaf_key())));
    auto refused = https_get(without_ca.port(), "/healthz", chain.root());
    EXPECT_EQ(refused.status, 0);
    EXPECT_NE(refused.head.find("handshake failed"), std::string::npos) << refused.head;
}

std::string startup_error(const std::string& map) {
    try {
        Daemon daemon(map);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "it started";
}

TEST(TlsStartup, FileThatIsNotACertificateIsAClearError) {
    SelfSignedCert cert;
    TempFile junk(".pem", "not a certificate\n");
    std::string error = startup_error(server_test_map(tls_lines(junk.path(), cert.key())));
    EXPECT_NE(error.find("cannot serve TLS: certificate " + junk.path() + " is not a PEM certificate"), std::string::npos)
        << error;
}

TEST(TlsStartup, KeyOfAnotherCertificateIsAClearError) {
    SelfSignedCert cert, other;
    std::string error = startup_error(server_test_map(tls_lines(cert.cert(), other.key())));
    EXPECT_NE(error.find("does not belong to certificate " + cert.cert()), std::string::npos) << error;
}

TEST(TlsCheck, MissingFilesAndKeysAreLocatedErrors) {
    TempFile map(".yaml", "bridge:\n  tls:\n    cert: /nonexistent/cert.pem\n" + server_test_map().substr(8));
    auto result = run_hwbridge({"--check", map.path()});
    EXPECT_EQ(result.exit_code, 1);
    std::string all = result.out + result.err;
    EXPECT_NE(all.find(map.path() + ":3:11: error: cannot read 'cert' file /nonexistent/cert.pem: no such file"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("'bridge.tls' is missing required key 'key'"), std::string::npos) << all;
}

TEST(TlsCheck, RelativePathsAreTakenFromTheMapsFolder) {
    SelfSignedCert cert;
    std::string path = cert.dir() + "/map.yaml";
    std::ofstream(path) << server_test_map("  tls: {cert: cert.pem, key: key.pem}\n");
    auto result = run_hwbridge({"--check", path});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

}  // namespace
}  // namespace hwb::test
