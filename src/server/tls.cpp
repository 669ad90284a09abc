#include "server/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <memory>

namespace hwb {

namespace {

// The most recent OpenSSL error as text ("PEM routines::no start line"), emptying the queue.
std::string openssl_error() {
    unsigned long code = 0;
    unsigned long last = 0;
    while ((code = ERR_get_error()) != 0) last = code;
    if (last == 0) return "unknown OpenSSL error";
    char text[256];
    ERR_error_string_n(last, text, sizeof(text));
    return text;
}

}  // namespace

std::optional<std::string> tls_problem(const TlsConfig& tls) {
    if (!tls.enabled()) return std::nullopt;
    ERR_clear_error();
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
    if (!ctx) return "cannot set up OpenSSL: " + openssl_error();
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert.c_str()) != 1)
        return "certificate " + tls.cert + " is not a PEM certificate: " + openssl_error();
    // Read the key on its own first, so "not a key" and "another certificate's key" get their
    // own messages; no pass phrase callback (OpenSSL would prompt on the terminal).
    std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(tls.key.c_str(), "r"), &BIO_free);
    if (!file) return "cannot open key " + tls.key + ": " + openssl_error();
    auto no_pass_phrase = [](char*, int, int, void*) { return 0; };
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(file.get(), nullptr, no_pass_phrase, nullptr), &EVP_PKEY_free);
    if (!key)
        return "key " + tls.key + " is not a PEM private key (or is encrypted with a pass phrase): " + openssl_error();
    if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
        return "key " + tls.key + " does not belong to certificate " + tls.cert + ": " + openssl_error();
    if (!tls.ca.empty() && SSL_CTX_load_verify_locations(ctx.get(), tls.ca.c_str(), nullptr) != 1)
        return "ca " + tls.ca + " is not a PEM certificate file: " + openssl_error();
    return std::nullopt;
}

void apply_tls(lws_context_creation_info& info, const TlsConfig& tls) {
    if (!tls.enabled()) return;
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = tls.cert.c_str();
    info.ssl_private_key_filepath = tls.key.c_str();
    if (!tls.ca.empty()) info.ssl_ca_filepath = tls.ca.c_str();
    // HTTP/1.1 only: the page, the API and WebSocket upgrades are served over HTTP/1.1 and that
    // is what is tested; libwebsockets would otherwise offer h2.
    info.alpn = "http/1.1";
}

}  // namespace hwb
