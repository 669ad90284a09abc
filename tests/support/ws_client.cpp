#include "support/ws_client.h"

#include "support/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <strings.h>
#include <random>
#include <stdexcept>

namespace hwb::test {

namespace {

using Deadline = std::chrono::steady_clock::time_point;

int connect_loopback(std::uint16_t port, int receive_buffer = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    if (receive_buffer > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed: " + std::strerror(errno));
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

void write_all(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
        }
        off += static_cast<std::size_t>(n);
    }
}

// Appends what arrives before the deadline; false on EOF, error or timeout.
bool read_some(int fd, std::string& into, Deadline deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0) return false;
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    into.append(chunk, static_cast<std::size_t>(n));
    return true;
}

std::string base64(const unsigned char* data, std::size_t n) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < n; i += 3) {
        std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
        if (i + 1 < n) v |= static_cast<std::uint32_t>(data[i + 1]) << 8;
        if (i + 2 < n) v |= data[i + 2];
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += i + 1 < n ? table[(v >> 6) & 63] : '=';
        out += i + 2 < n ? table[v & 63] : '=';
    }
    return out;
}

HttpResponse parse_response(const std::string& raw) {
    HttpResponse r;
    auto end = raw.find("\r\n\r\n");
    r.head = raw.substr(0, end);
    if (end != std::string::npos) r.body = raw.substr(end + 4);
    if (r.head.rfind("HTTP/1.", 0) == 0 && r.head.size() > 9) r.status = std::atoi(r.head.c_str() + 9);
    return r;
}

std::size_t content_length(const std::string& head) {
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto pos = lower.find("content-length:");
    if (pos == std::string::npos) return std::string::npos;
    return static_cast<std::size_t>(std::strtoul(lower.c_str() + pos + 15, nullptr, 10));
}

}  // namespace

std::optional<double> metric_value(const std::string& page, const std::string& series) {
    std::size_t at = page.rfind(series + " ", 0) == 0 ? 0 : page.find("\n" + series + " ");
    if (at == std::string::npos) return std::nullopt;
    if (page[at] == '\n') ++at;
    return std::stod(page.substr(at + series.size() + 1));
}

HttpResponse http_get(std::uint16_t port, const std::string& path) {
    int fd = connect_loopback(port);
    write_all(fd, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n\r\n");
    std::string raw;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (read_some(fd, raw, deadline)) {
        auto end = raw.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        auto length = content_length(raw.substr(0, end));
        if (length != std::string::npos && raw.size() >= end + 4 + length) break;
    }
    ::close(fd);
    return parse_response(raw);
}

HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& path,
                          const std::vector<std::string>& headers, const std::string& body,
                          std::chrono::milliseconds timeout) {
    int fd = connect_loopback(port);
    std::string request = method + " " + path + " HTTP/1.1\r\nConnection: close\r\n";
    bool has_length = false;
    bool has_host = false;
    for (const auto& h : headers) {
        request += h + "\r\n";
        if (content_length(h + "\r\n") != std::string::npos) has_length = true;
        if (h.size() > 5 && strncasecmp(h.c_str(), "host:", 5) == 0) has_host = true;
    }
    if (!has_host) request += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    if (!has_length && (!body.empty() || method == "POST")) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n";
    std::string raw;
    try {
        write_all(fd, request);
        // In pieces, reading what the server says meanwhile: a server that refuses an upload may
        // answer and close before the body is sent, and must not be lost behind a reset.
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (std::size_t off = 0; off < body.size(); off += 64 * 1024) {
            write_all(fd, body.substr(off, 64 * 1024));
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 0) > 0 && !read_some(fd, raw, deadline)) break;
        }
    } catch (const std::runtime_error&) {
        // The server closed early (EPIPE/ECONNRESET); its answer, if any, is in `raw` or the socket.
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto end = raw.find("\r\n\r\n");
        if (end != std::string::npos) {
            auto length = content_length(raw.substr(0, end));
            if (length != std::string::npos && raw.size() >= end + 4 + length) break;
        }
        if (!read_some(fd, raw, deadline)) break;
    }
    ::close(fd);
    return parse_response(raw);
}

long rss_kb(int pid) {
    std::string status;
    int fd = ::open(("/proc/" + std::to_string(pid) + "/status").c_str(), O_RDONLY);
    if (fd < 0) return -1;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) status.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    auto pos = status.find("VmRSS:");
    return pos == std::string::npos ? -1 : std::strtol(status.c_str() + pos + 6, nullptr, 10);
}

WsClient::WsClient(std::uint16_t port, Options options) {
    fd_ = connect_loopback(port, options.receive_buffer);
    if (options.tls_ca) {
        tls_ = std::make_unique<TlsStream>(fd_, *options.tls_ca);
        if (!tls_->ok()) {
            refusal_.head = tls_->error();
            return;
        }
    }
    unsigned char nonce[16];
    std::random_device rd;
    for (auto& b : nonce) b = static_cast<unsigned char>(rd());
    std::string host = options.host.empty() ? "127.0.0.1:" + std::to_string(port) : options.host;
    std::string request = "GET " + options.path + " HTTP/1.1\r\nHost: " + host +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + base64(nonce, 16) +
                          "\r\nSec-WebSocket-Version: 13\r\n";
    if (!options.subprotocol.empty()) request += "Sec-WebSocket-Protocol: " + options.subprotocol + "\r\n";
    if (options.origin) request += "Origin: " + *options.origin + "\r\n";
    for (const auto& h : options.headers) request += h + "\r\n";
    request += "\r\n";
    try {
        write(request);
    } catch (const std::exception& e) {  // closed by the server before the request was sent
        refusal_.head = e.what();
        return;
    }

    auto deadline = std::chrono::steady_clock::now() + 5s;
    std::string raw;
    std::size_t end = std::string::npos;
    while ((end = raw.find("\r\n\r\n")) == std::string::npos) {
        if (!read_more(raw, deadline)) break;
    }
    if (end == std::string::npos) {  // closed without an HTTP answer
        refusal_ = parse_response(raw);
        return;
    }
    HttpResponse head = parse_response(raw.substr(0, end + 4));
    if (head.status == 101) {
        upgraded_ = true;
        buffer_ = raw.substr(end + 4);
        return;
    }
    auto length = content_length(head.head);
    while (length != std::string::npos && raw.size() < end + 4 + length && read_more(raw, deadline)) {
    }
    refusal_ = parse_response(raw);
}

WsClient::~WsClient() {
    tls_.reset();
    if (fd_ >= 0) ::close(fd_);
}

bool WsClient::tls_ok() const { return tls_ != nullptr && tls_->ok(); }
std::string WsClient::tls_alpn() const { return tls_ != nullptr ? tls_->alpn() : std::string(); }

void WsClient::write(const std::string& bytes) {
    if (tls_) {
        tls_->write_all(bytes);
    } else {
        write_all(fd_, bytes);
    }
}

bool WsClient::read_more(std::string& into, Deadline deadline) {
    if (fd_ < 0) return false;
    return tls_ ? tls_->read_some(into, deadline) : read_some(fd_, into, deadline);
}

void WsClient::send_frame(std::uint8_t opcode, const std::string& payload, bool fin) {
    std::string frame;
    frame += static_cast<char>((fin ? 0x80 : 0x00) | opcode);
    std::size_t n = payload.size();
    if (n < 126) {
        frame += static_cast<char>(0x80 | n);
    } else if (n <= 0xFFFF) {
        frame += static_cast<char>(0x80 | 126);
        frame += static_cast<char>(n >> 8);
        frame += static_cast<char>(n & 0xFF);
    } else {
        frame += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) frame += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
    }
    unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(reinterpret_cast<char*>(mask), 4);
    std::string masked = payload;
    for (std::size_t i = 0; i < masked.size(); ++i) masked[i] = static_cast<char>(masked[i] ^ mask[i % 4]);
    frame += masked;
    write(frame);
}

void WsClient::send_text(const std::string& text) { send_frame(0x1, text); }

void WsClient::send_raw(const std::string& bytes) { write(bytes); }

void WsClient::drop(bool reset) {
    if (fd_ < 0) return;
    tls_.reset();
    if (reset) {
        linger l{1, 0};
        setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    ::close(fd_);
    fd_ = -1;
    closed_ = true;
}

bool WsClient::fill(std::size_t n, Deadline deadline) {
    while (buffer_.size() < n) {
        if (!read_more(buffer_, deadline)) return false;
    }
    return true;
}

std::optional<WsClient::Frame> WsClient::read_frame(Deadline deadline) {
    if (!fill(2, deadline)) return std::nullopt;
    auto b0 = static_cast<unsigned char>(buffer_[0]);
    auto b1 = static_cast<unsigned char>(buffer_[1]);
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7F;
    if (length == 126) {
        if (!fill(4, deadline)) return std::nullopt;
        length = (static_cast<unsigned char>(buffer_[2]) << 8) | static_cast<unsigned char>(buffer_[3]);
        header = 4;
    } else if (length == 127) {
        if (!fill(10, deadline)) return std::nullopt;
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | static_cast<unsigned char>(buffer_[2 + i]);
        header = 10;
    }
    if (!fill(header + length, deadline)) return std::nullopt;
    Frame f{static_cast<std::uint8_t>(b0 & 0x0F), (b0 & 0x80) != 0, buffer_.substr(header, length)};
    buffer_.erase(0, header + length);
    if (f.opcode == 0x1 || f.opcode == 0x0) {
        ++data_frames_;
        data_bytes_ += header + length;
    }
    return f;
}

std::optional<nlohmann::json> WsClient::next_message(Deadline deadline) {
    std::string message;
    while (!closed_) {
        auto frame = read_frame(deadline);
        if (!frame) return std::nullopt;
        switch (frame->opcode) {
            case 0x9:  // ping
                send_frame(0xA, frame->payload);
                continue;
            case 0xA:
                continue;
            case 0x8:  // close
                closed_ = true;
                close_code_ = frame->payload.size() >= 2 ? (static_cast<unsigned char>(frame->payload[0]) << 8) |
                                                               static_cast<unsigned char>(frame->payload[1])
                                                         : 1005;
                try {
                    send_frame(0x8, frame->payload.substr(0, 2));
                } catch (...) {
                }
                return std::nullopt;
            default:
                message += frame->payload;
                if (!frame->fin) continue;
                return nlohmann::json::parse(message);
        }
    }
    return std::nullopt;
}

std::optional<nlohmann::json> WsClient::next(std::chrono::milliseconds timeout) {
    if (!kept_.empty()) {
        auto m = kept_.front();
        kept_.erase(kept_.begin());
        return m;
    }
    return next_message(std::chrono::steady_clock::now() + timeout);
}

std::optional<nlohmann::json> WsClient::wait_for(const std::function<bool(const nlohmann::json&)>& match,
                                                 std::chrono::milliseconds timeout) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
        if (match(*it)) {
            auto m = *it;
            kept_.erase(it);
            return m;
        }
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (auto m = next_message(deadline)) {
        if (match(*m)) return m;
        kept_.push_back(std::move(*m));
    }
    return std::nullopt;
}

std::optional<int> WsClient::wait_close(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
        if (!next_message(deadline) && !closed_) {
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            // EOF without a close frame
            return 1006;
        }
    }
    return close_code_;
}

}  // namespace hwb::test
