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

void TextChannel::append(TextLine line) {
    line.seq = ++seq_;
    history_.push_back(std::move(line));
    while (history_.size() > info_.history_lines) history_.pop_front();
    observer_.on_text_line(*this, history_.back());
}

}  // namespace hwb
