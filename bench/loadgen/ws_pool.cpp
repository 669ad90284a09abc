#include "ws_pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hwb::bench {
namespace {

constexpr std::uint64_t extra_tag = std::uint64_t{1} << 63;

}  // namespace

WsPool::WsPool(std::uint16_t port, std::string subprotocol, OnMessage on_message)
    : port_(port), subprotocol_(std::move(subprotocol)), on_message_(std::move(on_message)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
    conns_.reserve(4096);
}

WsPool::~WsPool() {
    for (auto& c : conns_)
        if (c.fd >= 0) ::close(c.fd);
    ::close(epoll_);
}

std::size_t WsPool::connect() {
    std::size_t i = conns_.size();
    conns_.emplace_back();
    WsConn& c = conns_.back();
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c.state = WsConn::State::connecting;
    int rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (rc != 0 && errno != EINPROGRESS) {
        last_failure_ = std::string("connect: ") + std::strerror(errno);
        fail(i);
        return i;
    }
    c.out = "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: aHdicmlkZ2UtYmVuY2gtMQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: " + subprotocol_ + "\r\n\r\n";
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    return i;
}

void WsPool::watch(int fd, std::uint32_t events, OnFd handler) {
    extra_.emplace_back(fd, std::move(handler));
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = extra_tag | static_cast<std::uint64_t>(fd);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
}

void WsPool::unwatch(int fd) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    for (auto it = extra_.begin(); it != extra_.end(); ++it)
        if (it->first == fd) {
            extra_.erase(it);
            break;
        }
}

std::size_t WsPool::open_count() const {
    std::size_t n = 0;
    for (const auto& c : conns_) n += c.state == WsConn::State::open;
    return n;
}

void WsPool::poll(int timeout_ms) {
    epoll_event events[256];
    int n = epoll_wait(epoll_, events, 256, timeout_ms);
    for (int k = 0; k < n; ++k) {
        std::uint64_t tag = events[k].data.u64;
        if (tag & extra_tag) {
            int fd = static_cast<int>(tag & ~extra_tag);
            for (auto& [efd, handler] : extra_)
                if (efd == fd) {
                    auto h = handler;  // the handler may unwatch itself
                    h(events[k].events);
                    break;
                }
        } else {
            on_event(static_cast<std::size_t>(tag), events[k].events);
        }
    }
}

void WsPool::on_event(std::size_t i, std::uint32_t events) {
    WsConn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.state == WsConn::State::connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            last_failure_ = std::string("connect: ") + std::strerror(err);
            return fail(i);
        }
        c.state = WsConn::State::handshake;
    }
    if (events & EPOLLOUT) flush(i);
    if (c.fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(i);
}

void WsPool::flush(std::size_t i) {
    WsConn& c = conns_[i];
    while (!c.out.empty()) {
        ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) break;
            last_failure_ = std::string("send: ") + std::strerror(errno);
            return fail(i);
        }
        c.out.erase(0, static_cast<std::size_t>(n));
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.out.empty() ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
    ev.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
}

void WsPool::fail(std::size_t i) {
    WsConn& c = conns_[i];
    if (c.state != WsConn::State::open && c.state != WsConn::State::closed) ++failures_;
    if (c.fd >= 0) ::close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
    c.state = WsConn::State::closed;
}

void WsPool::on_readable(std::size_t i) {
    WsConn& c = conns_[i];
    char buf[65536];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
        last_failure_ = n == 0 ? std::string("closed by the server") : std::string("recv: ") + std::strerror(errno);
        return fail(i);
    }
    c.in.append(buf, static_cast<std::size_t>(n));
    if (c.state == WsConn::State::handshake) {
        auto end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) return;
        if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
            last_failure_ = "handshake answered: " + c.in.substr(0, c.in.find("\r\n"));
            return fail(i);
        }
        c.in.erase(0, end + 4);
        c.state = WsConn::State::open;
    }
    if (c.state == WsConn::State::open) parse_frames(i);
}

void WsPool::parse_frames(std::size_t i) {
    std::size_t pos = 0;
    for (;;) {
        WsConn& c = conns_[i];  // on_message may connect more (reallocation is reserved against, but be safe)
        const auto* p = reinterpret_cast<const unsigned char*>(c.in.data()) + pos;
        std::size_t avail = c.in.size() - pos;
        if (avail < 2) break;
        bool fin = p[0] & 0x80;
        std::uint8_t opcode = p[0] & 0x0f;
        std::uint64_t len = p[1] & 0x7f;
        std::size_t header = 2;
        if (len == 126) {
            if (avail < 4) break;
            len = (std::uint64_t{p[2]} << 8) | p[3];
            header = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int k = 0; k < 8; ++k) len = (len << 8) | p[2 + k];
            header = 10;
        }
        if (avail < header + len) break;
        std::string_view payload(c.in.data() + pos + header, static_cast<std::size_t>(len));
        pos += header + static_cast<std::size_t>(len);
        if (opcode == 0x8) {  // close
            c.close_code = payload.size() >= 2
                               ? static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                            static_cast<unsigned char>(payload[1]))
                               : 1005;
            ::close(c.fd);
            c.fd = -1;
            c.state = WsConn::State::closed;
            c.in.clear();
            return;
        }
        if (opcode == 0x9) {  // ping
            queue_frame(i, 0xA, payload);
            continue;
        }
        if (opcode == 0x1 || opcode == 0x0) {
            if (fin && message_.empty()) {
                on_message_(i, payload);
            } else {
                message_.append(payload);
                if (fin) {
                    on_message_(i, message_);
                    message_.clear();
                }
            }
            if (conns_[i].fd < 0) {  // the scenario closed it
                conns_[i].in.clear();
                return;
            }
        }
    }
    conns_[i].in.erase(0, pos);
}

void WsPool::queue_frame(std::size_t i, std::uint8_t opcode, std::string_view payload) {
    WsConn& c = conns_[i];
    if (c.fd < 0) return;
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    std::string frame;
    frame.reserve(payload.size() + 14);
    frame.push_back(static_cast<char>(0x80 | opcode));
    if (payload.size() < 126) {
        frame.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() < 65536) {
        frame.push_back(static_cast<char>(0x80 | 126));
        frame.push_back(static_cast<char>(payload.size() >> 8));
        frame.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        frame.push_back(static_cast<char>(0x80 | 127));
        for (int k = 7; k >= 0; --k) frame.push_back(static_cast<char>((payload.size() >> (8 * k)) & 0xff));
    }
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t k = 0; k < payload.size(); ++k) frame.push_back(static_cast<char>(payload[k] ^ mask[k % 4]));
    bool was_empty = c.out.empty();
    c.out += frame;
    if (was_empty && c.state == WsConn::State::open) flush(i);
}

void WsPool::send_text(std::size_t i, std::string_view text) { queue_frame(i, 0x1, text); }

void WsPool::close(std::size_t i) {
    WsConn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.state == WsConn::State::open) {
        const char code[2] = {0x03, static_cast<char>(0xe8)};  // 1000
        queue_frame(i, 0x8, std::string_view(code, 2));
    }
    ::close(c.fd);
    c.fd = -1;
    c.state = WsConn::State::closed;
}

}  // namespace hwb::bench
