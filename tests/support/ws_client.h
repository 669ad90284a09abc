// A small blocking WebSocket client (RFC 6455) over real loopback TCP, for integration tests.
// Written by hand so tests can also send what a well-behaved library would refuse to: oversized,
// fragmented or malformed frames, foreign Origins, missing subprotocols.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwb::test {

using namespace std::chrono_literals;

class TlsStream;

struct HttpResponse {
    int status = 0;
    std::string head;  // status line and headers
    std::string body;
};

// One HTTP/1.1 request with Connection: close; the whole answer.
HttpResponse http_get(std::uint16_t port, const std::string& path);

// The value of one sample on a GET /metrics page: `series` is its name and labels as written,
// e.g. hwbridge_modbus_timeouts_total{device="bus"}; nullopt when the page has no such line.
std::optional<double> metric_value(const std::string& page, const std::string& series);

// Any request with Connection: close: `headers` are whole lines without CRLF ("Origin: http://x");
// Host and Content-Length are added unless `headers` name them. Sends the whole body even if the
// server answers early (a refused upload), then waits up to `timeout` for the answer.
HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& path,
                          const std::vector<std::string>& headers = {}, const std::string& body = {},
                          std::chrono::milliseconds timeout = 5000ms);

// Resident set size of a process in kB, from /proc.
long rss_kb(int pid);

class WsClient {
public:
    struct Options {
        std::string subprotocol;            // empty: no Sec-WebSocket-Protocol header
        std::optional<std::string> origin;  // Origin header
        std::string path = "/";
        int receive_buffer = 0;             // SO_RCVBUF before connecting (small: a slow reader)
        std::optional<std::string> tls_ca;  // wss: TLS, verifying the bridge against this PEM file (tls.h)
        std::vector<std::string> headers;   // extra request header lines ("Authorization: Bearer x")
        std::string host;                   // Host header value; empty: 127.0.0.1:PORT
    };

    // Connects and performs the handshake. On refusal, ok() is false and refusal() has the answer.
    WsClient(std::uint16_t port, Options options);
    WsClient(std::uint16_t port, const std::string& subprotocol) : WsClient(port, Options{subprotocol, {}, "/"}) {}
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    bool ok() const { return upgraded_; }
    // With tls_ca: whether the TLS handshake worked, and the ALPN protocol it chose.
    bool tls_ok() const;
    std::string tls_alpn() const;
    const HttpResponse& refusal() const { return refusal_; }

    void send_text(const std::string& text);
    void send_json(const nlohmann::json& message) { send_text(message.dump()); }
    void send_frame(std::uint8_t opcode, const std::string& payload, bool fin = true);
    // Writes `bytes` as they are: partial, unmasked or otherwise malformed frames.
    void send_raw(const std::string& bytes);
    // Closes the socket now, without a close frame; with `reset`, as a TCP reset (SO_LINGER 0).
    void drop(bool reset = false);

    // Next text message as JSON, or nullopt on timeout / close. Answers pings.
    std::optional<nlohmann::json> next(std::chrono::milliseconds timeout = 3000ms);
    // Next message for which `match` holds; other messages are kept for later next() calls.
    std::optional<nlohmann::json> wait_for(const std::function<bool(const nlohmann::json&)>& match,
                                           std::chrono::milliseconds timeout = 3000ms);
    std::optional<nlohmann::json> wait_type(const std::string& type, std::chrono::milliseconds timeout = 3000ms) {
        return wait_for([&](const nlohmann::json& m) { return m.value("type", "") == type; }, timeout);
    }
    // Reads until the server closes; the close code it sent (1005 if none), nullopt on timeout.
    std::optional<int> wait_close(std::chrono::milliseconds timeout = 3000ms);
    bool closed() const { return closed_; }
    // Text and continuation frames read so far, and their bytes on the wire (headers included):
    // what the bridge's hwbridge_messages_sent_total / hwbridge_sent_bytes_total count.
    std::uint64_t data_frames() const { return data_frames_; }
    std::uint64_t data_bytes() const { return data_bytes_; }
    int close_code() const { return close_code_; }

private:
    struct Frame {
        std::uint8_t opcode = 0;
        bool fin = true;
        std::string payload;
    };
    std::optional<Frame> read_frame(std::chrono::steady_clock::time_point deadline);
    bool fill(std::size_t n, std::chrono::steady_clock::time_point deadline);
    std::optional<nlohmann::json> next_message(std::chrono::steady_clock::time_point deadline);
    void write(const std::string& bytes);
    bool read_more(std::string& into, std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::unique_ptr<TlsStream> tls_;
    bool upgraded_ = false;
    bool closed_ = false;
    int close_code_ = 0;
    HttpResponse refusal_;
    std::string buffer_;
    std::vector<nlohmann::json> kept_;
    std::uint64_t data_frames_ = 0;
    std::uint64_t data_bytes_ = 0;
};

}  // namespace hwb::test
