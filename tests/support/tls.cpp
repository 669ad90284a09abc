#include "support/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

namespace hwb::test {

namespace {

std::string ssl_error() {
    unsigned long code = ERR_get_error();
    if (code == 0) return "no OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    ERR_clear_error();
    return text;
}

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

void write_pem(const std::string& path, const std::function<int(FILE*)>& write) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + path);
    int ok = write(f);
    std::fclose(f);
    if (ok != 1) throw std::runtime_error("cannot write PEM " + path + ": " + ssl_error());
}

std::string make_temp_dir() {
    char pattern[] = "/tmp/hwb-tls-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

KeyPtr new_key() {
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key) throw std::runtime_error("key generation failed: " + ssl_error());
    return key;
}

// A certificate for `common_name` with `extensions` (nid, value), signed by `issuer` with
// `issuer_key` (nullptr: self-signed with `key`).
CertPtr make_cert(const char* common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                  const std::vector<std::pair<int, const char*>>& extensions, long serial) {
    CertPtr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509* signer = issuer != nullptr ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, signer, cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : extensions) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (ext == nullptr) throw std::runtime_error("certificate extension failed: " + ssl_error());
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0)
        throw std::runtime_error("signing failed: " + ssl_error());
    return cert;
}

void write_cert(const std::string& path, X509* cert) {
    write_pem(path, [&](FILE* f) { return PEM_write_X509(f, cert); });
}

void write_key(const std::string& path, EVP_PKEY* key) {
    write_pem(path, [&](FILE* f) { return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr); });
}

const std::vector<std::pair<int, const char*>> server_extensions = {
    {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"}};
const std::vector<std::pair<int, const char*>> ca_extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                                                                {NID_key_usage, "critical,keyCertSign"}};

}  // namespace

SelfSignedCert::SelfSignedCert() : dir_(make_temp_dir()), cert_(dir_ + "/cert.pem"), key_(dir_ + "/key.pem") {
    KeyPtr key = new_key();
    CertPtr cert = make_cert("localhost", key.get(), nullptr, nullptr,
                             {{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                              {NID_basic_constraints, "critical,CA:TRUE"}},
                             1);
    write_cert(cert_, cert.get());
    write_key(key_, key.get());
}

SelfSignedCert::~SelfSignedCert() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

CertChain::CertChain()
    : dir_(make_temp_dir()), root_(dir_ + "/root.pem"), intermediate_(dir_ + "/intermediate.pem"),
      leaf_(dir_ + "/leaf.pem"), leaf_key_(dir_ + "/leaf-key.pem") {
    KeyPtr root_key = new_key(), intermediate_key = new_key(), leaf_key = new_key();
    CertPtr root = make_cert("Test Root", root_key.get(), nullptr, nullptr, ca_extensions, 1);
    CertPtr intermediate =
        make_cert("Test Intermediate", intermediate_key.get(), root.get(), root_key.get(), ca_extensions, 2);
    CertPtr leaf = make_cert("localhost", leaf_key.get(), intermediate.get(), intermediate_key.get(), server_extensions, 3);
    write_cert(root_, root.get());
    write_cert(intermediate_, intermediate.get());
    write_cert(leaf_, leaf.get());
    write_key(leaf_key_, leaf_key.get());
}

CertChain::~CertChain() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

TlsStream::TlsStream(int fd, const std::string& ca_file, const std::string& alpn) : fd_(fd) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) {
        error_ = ssl_error();
        return;
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
        error_ = "cannot load " + ca_file + ": " + ssl_error();
        return;
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    std::string wire;  // ALPN list: length-prefixed names
    wire += static_cast<char>(alpn.size());
    wire += alpn;
    SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(wire.data()), static_cast<unsigned>(wire.size()));
    // The socket is blocking; a stuck handshake is bounded by a receive timeout.
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (SSL_connect(ssl_) != 1) {
        error_ = "TLS handshake failed: " + ssl_error();
        return;
    }
    ok_ = true;
}

TlsStream::~TlsStream() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

std::string TlsStream::alpn() const {
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    if (ssl_ != nullptr) SSL_get0_alpn_selected(ssl_, &data, &length);
    return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), length);
}

void TlsStream::write_all(const std::string& data) {
    if (!ok_) throw std::runtime_error("TLS write without a connection: " + error_);
    std::size_t off = 0;
    while (off < data.size()) {
        int n = SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off));
        if (n <= 0) throw std::runtime_error("TLS write failed: " + ssl_error());
        off += static_cast<std::size_t>(n);
    }
}

bool TlsStream::read_some(std::string& into, std::chrono::steady_clock::time_point deadline) {
    if (!ok_) return false;
    if (SSL_pending(ssl_) == 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    }
    char chunk[16384];
    int n = SSL_read(ssl_, chunk, sizeof(chunk));
    if (n <= 0) return false;
    into.append(chunk, static_cast<std::size_t>(n));
    return true;
}

HttpResponse https_get(std::uint16_t port, const std::string& path, const std::string& ca_file, std::string* alpn_out) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        throw std::runtime_error("connect failed");
    }
    HttpResponse response;
    {
        TlsStream tls(fd, ca_file);
        if (!tls.ok()) {
            response.head = tls.error();
        } else {
            if (alpn_out != nullptr) *alpn_out = tls.alpn();
            tls.write_all("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nConnection: close\r\n\r\n");
            std::string raw;
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (tls.read_some(raw, deadline)) {
            }
            auto end = raw.find("\r\n\r\n");
            response.head = raw.substr(0, end);
            if (end != std::string::npos) response.body = raw.substr(end + 4);
            if (response.head.rfind("HTTP/1.", 0) == 0 && response.head.size() > 9)
                response.status = std::atoi(response.head.c_str() + 9);
        }
    }
    ::close(fd);
    return response;
}

}  // namespace hwb::test
