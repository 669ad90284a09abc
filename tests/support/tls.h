// TLS for the tests (OpenSSL): a self-signed certificate made at test time in a temporary folder,
// and a small blocking TLS connection over loopback that verifies the bridge's certificate
// against it and offers ALPN "http/1.1", as a browser does.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/ws_client.h"

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace hwb::test {

// A fresh EC P-256 key and a certificate for CN=localhost with subjectAltName DNS:localhost and
// IP:127.0.0.1, as PEM files in a temporary folder removed at destruction.
class SelfSignedCert {
public:
    SelfSignedCert();
    ~SelfSignedCert();
    SelfSignedCert(const SelfSignedCert&) = delete;
    SelfSignedCert& operator=(const SelfSignedCert&) = delete;

    const std::string& dir() const { return dir_; }
    const std::string& cert() const { return cert_; }
    const std::string& key() const { return key_; }

private:
    std::string dir_, cert_, key_;
};

// A root CA, an intermediate CA signed by it, and a certificate for localhost/127.0.0.1 signed by
// the intermediate (as Let's Encrypt issues them): clients trust root(); the server must send
// intermediate() along with leaf() for them to verify it.
class CertChain {
public:
    CertChain();
    ~CertChain();
    CertChain(const CertChain&) = delete;
    CertChain& operator=(const CertChain&) = delete;

    const std::string& root() const { return root_; }
    const std::string& intermediate() const { return intermediate_; }
    const std::string& leaf() const { return leaf_; }
    const std::string& leaf_key() const { return leaf_key_; }

private:
    std::string dir_, root_, intermediate_, leaf_, leaf_key_;
};

// TLS over an already connected socket `fd` (not owned). Verifies the peer against `ca_file` and
// the name 127.0.0.1. ok() false: the handshake failed, error() says why.
class TlsStream {
public:
    TlsStream(int fd, const std::string& ca_file, const std::string& alpn = "http/1.1");
    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }
    // The protocol the server chose by ALPN ("" if none).
    std::string alpn() const;

    void write_all(const std::string& data);
    // Appends what arrives before the deadline; false on EOF, error or timeout.
    bool read_some(std::string& into, std::chrono::steady_clock::time_point deadline);

private:
    int fd_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    bool ok_ = false;
    std::string error_;
};

// GET `path` over TLS with Connection: close. `alpn_out`: the negotiated protocol. A failed
// handshake gives status 0 and the reason in `head`.
HttpResponse https_get(std::uint16_t port, const std::string& path, const std::string& ca_file,
                       std::string* alpn_out = nullptr);

}  // namespace hwb::test
