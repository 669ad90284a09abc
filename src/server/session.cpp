#include "server/session.h"

#include <libwebsockets.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "protocol/messages.h"
#include "core/channels.h"

namespace hwb {

namespace {
// A client that lets this much pile up is not reading; it is closed rather than buffered forever.
// 16384 messages is 1.6 s of a text channel at 10,000 lines/s; the byte cap bounds the memory.
constexpr std::size_t max_queued_messages = 16384;
constexpr std::size_t max_queued_bytes = 4 * 1024 * 1024;
// One write takes queued messages up to about this size (a larger single message goes alone).
constexpr std::size_t max_batch_bytes = 64 * 1024;
// The write buffer of a client with nothing more to send is released above this size.
constexpr std::size_t idle_tx_capacity = 4096;

// A final, unmasked text frame (RFC 6455 section 5.2: servers never mask).
void append_text_frame(std::vector<unsigned char>& out, const std::string& payload) {
    const std::size_t n = payload.size();
    out.push_back(0x81);  // FIN + text
    if (n < 126) {
        out.push_back(static_cast<unsigned char>(n));
    } else if (n <= 0xffff) {
        out.push_back(126);
        out.push_back(static_cast<unsigned char>(n >> 8));
        out.push_back(static_cast<unsigned char>(n));
    } else {
        out.push_back(127);
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(std::uint64_t{n} >> shift));
    }
    out.insert(out.end(), payload.begin(), payload.end());
}
}  // namespace

Session::Session(SessionHost& host, lws* wsi, std::string client_id, ChannelKind kind)
    : host_(host), wsi_(wsi), kind_(kind), requester_("ws", "?", std::move(client_id)) {}

int Session::on_receive(const void* data, std::size_t len, bool first, bool final, bool binary) {
    if (first) {
        rx_.clear();
        rx_binary_ = binary;
        rx_overflow_ = false;
    }
    if (rx_.size() + len > host_.max_message_bytes()) {
        spdlog::warn("client {}: message over the {} byte limit, closing with 1009", client_id(), host_.max_message_bytes());
        std::string reason = "message exceeds " + std::to_string(host_.max_message_bytes()) + " bytes";
        lws_close_reason(wsi_, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, reinterpret_cast<unsigned char*>(reason.data()),
                         reason.size());
        return -1;
    }
    rx_.append(static_cast<const char*>(data), len);
    if (!final) return 0;
    if (gate(rx_binary_ ? std::string_view() : std::string_view(rx_))) {
        // an `auth` message, or refused: the client has no role yet
    } else if (rx_binary_) {
        send(protocol::error(nullptr, "", Error{"bad_request", "binary frames are not accepted; send JSON text"}));
    } else {
        handle_message(rx_);
    }
    rx_.clear();
    return 0;
}

int Session::on_writeable() {
    // What was queued before the close (e.g. the shutdown's safe-state broadcast) goes out first.
    if (closing_ && !has_output()) {
        auto& [code, reason] = *closing_;
        lws_close_reason(wsi_, static_cast<lws_close_status>(code), reinterpret_cast<unsigned char*>(reason.data()),
                         reason.size());
        return -1;
    }
    // Every queued message goes out as its own WebSocket frame, but all frames that are ready go
    // in one write: a client that fell behind (a burst, a fan-out to many clients) catches up with
    // one system call per loop turn instead of one per message. The frames are built here and
    // written raw; libwebsockets buffers what the socket does not take and sends it before the next
    // WRITEABLE. (No extension such as permessage-deflate is enabled, which would need its framing.)
    tx_.resize(LWS_PRE);
    std::size_t frames = 0;
    while (tx_.size() - LWS_PRE < max_batch_bytes) {
        auto message = next_message();
        if (!message) break;
        append_text_frame(tx_, **message);
        ++frames;
    }
    std::size_t length = tx_.size() - LWS_PRE;
    if (length == 0) {
        if (closing_) request_write();
        return 0;
    }
    if (lws_write(wsi_, tx_.data() + LWS_PRE, length, LWS_WRITE_RAW) < static_cast<int>(length)) {
        spdlog::debug("client {}: write failed, closing", client_id());
        return -1;
    }
    host_.count_sent(kind_, frames, length);
    if (has_output() || closing_) {
        request_write();
    } else if (tx_.capacity() > idle_tx_capacity) {
        std::vector<unsigned char>().swap(tx_);  // an idle client keeps no large buffer
    }
    return 0;
}

Session::~Session() { host_.account_queued(0, queued_bytes_); }

std::optional<Message> Session::next_message() {
    if (queue_.empty()) return std::nullopt;
    Message front = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= front->size();
    host_.account_queued(0, front->size());
    return front;
}

void Session::send(Message message) {
    if (closing_ || !message) return;
    // Per client: a client that lets this much pile up is not reading. Bridge-wide: many slow
    // clients together must not eat the Pi's memory; the one holding more than its share goes.
    bool full = queue_.size() >= max_queued_messages || queued_bytes_ + message->size() > max_queued_bytes;
    bool over_budget = host_.over_budget(message->size(), queued_bytes_);
    if (full || over_budget) {
        spdlog::warn("client {}: not reading ({} messages, {} bytes queued{}), closing with 1008", client_id(), queue_.size(),
                     queued_bytes_, over_budget ? ", bridge-wide budget reached" : "");
        queue_.clear();
        host_.account_queued(0, queued_bytes_);
        queued_bytes_ = 0;
        close_with(LWS_CLOSE_STATUS_POLICY_VIOLATION, "client too slow: outgoing queue full");
        return;
    }
    queued_bytes_ += message->size();
    host_.account_queued(message->size(), 0);
    queue_.push_back(std::move(message));
    request_write();
}

void Session::request_write() { lws_callback_on_writable(wsi_); }

void Session::close_with(std::uint16_t code, std::string reason) {
    if (closing_) return;
    closing_.emplace(code, std::move(reason));
    request_write();
}

}  // namespace hwb
