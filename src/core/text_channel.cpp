#include "core/text_channel.h"

#include "core/channels.h"

namespace hwb {

void TextChannel::publish_line(std::string text) {
    // A device line longer than the channel's limit is cut, with a marker saying how much went,
    // so one runaway line cannot hold megabytes in every client's queue and in the history.
    if (text.size() > info_.max_line_bytes) {
        std::size_t keep = info_.max_line_bytes;
        while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;  // whole UTF-8 characters
        std::size_t cut = text.size() - keep;
        text.resize(keep);
        text += " [cut: " + std::to_string(cut) + " more bytes]";
    }
    append(TextLine{std::move(text), TextDirection::from_device, {}, wall_clock_ms(), 0});
}

void TextChannel::set_status(ChannelStatus status) {
    if (status.online == status_.online && status.reason == status_.reason) return;
    status_ = std::move(status);
    observer_.on_status(ChannelKind::text, info_.id, status_);
}

void TextChannel::send(std::string text, Cause cause, Reply reply) {
    if (!accepts_lines_) {
        reply(Error{"read_only", "text channel '" + info_.id + "' is a display: it takes no lines"});
        return;
    }
    if (text.size() > info_.max_line_bytes) {
        reply(Error{"too_long", "line of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                    std::to_string(info_.max_line_bytes) + " bytes of channel '" + info_.id + "'"});
        return;
    }
    if (output_ == nullptr || !status_.online) {
        reply(Error{"offline", "text channel '" + info_.id + "' is offline" +
                                   (status_.reason.empty() ? "" : ": " + status_.reason)});
        return;
    }
    // The driver may complete synchronously and the device may answer at once; the sent line is
    // recorded first so the console shows request before response.
    std::string by = cause.client.empty() ? to_string(cause.kind) : cause.client;
    output_->send_line(text, [this, text, by = std::move(by), reply = std::move(reply)](std::optional<Error> error) {
        if (error) {
            reply(*error);
            return;
        }
        append(TextLine{text, TextDirection::to_device, by, wall_clock_ms(), 0});
        reply(Status{});
    });
}

std::size_t TextChannel::encoded_size(const TextLine& line) {
    // As the protocol's JSON writer escapes: quote and backslash take 2 bytes, other control
    // characters 6 (\u0001), the rest themselves; plus the line's fixed fields.
    auto escaped = [](const std::string& s) {
        std::size_t n = 0;
        for (unsigned char c : s) n += c == '"' || c == '\\' ? 2 : c < 0x20 || c == 0x7f ? 6 : 1;
        return n;
    };
    constexpr std::size_t fields = 96;  // {"text":"","direction":"from_device","by":"","time":...,"seq":...}
    return fields + escaped(line.text) + escaped(line.by);
}

void TextChannel::append(TextLine line) {
    line.seq = ++seq_;
    history_bytes_ += encoded_size(line);
    history_.push_back(std::move(line));
    // Bounded by lines and by what the history weighs as JSON: an `open` answer carries it whole,
    // and 100 lines of control bytes would otherwise be megabytes in one client's queue. The
    // newest line is told to the observers before it may leave (history_lines: 0).
    observer_.on_text_line(*this, history_.back());
    while (!history_.empty() && (history_.size() > info_.history_lines || history_bytes_ > max_history_bytes)) {
        history_bytes_ -= encoded_size(history_.front());
        history_.pop_front();
    }
}

}  // namespace hwb
