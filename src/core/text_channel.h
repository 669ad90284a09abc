// A text channel: line-based I/O with a device (a console, a display).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "core/cause.h"
#include "core/channel_info.h"
#include "core/channel_status.h"
#include "core/result.h"

namespace hwb {

class ChannelObserver;

enum class TextDirection : std::uint8_t { from_device, to_device };

struct TextLine {
    std::string text;            // without line ending; valid UTF-8 (drivers escape other bytes)
    TextDirection direction = TextDirection::from_device;
    std::string by;              // for lines sent to the device: who sent it
    std::int64_t time_ms = 0;
    std::uint64_t seq = 0;
};

// Implemented by drivers.
class TextOutput {
public:
    using Done = std::function<void(std::optional<Error> error)>;
    virtual ~TextOutput() = default;
    // Must call `done` exactly once, now or later on the loop thread.
    virtual void send_line(const std::string& line, Done done) = 0;
};

class TextChannel {
public:
    using Reply = std::function<void(Status)>;

    TextChannel(TextInfo info, ChannelObserver& observer) : info_(std::move(info)), observer_(observer) {}
    TextChannel(const TextChannel&) = delete;
    TextChannel& operator=(const TextChannel&) = delete;

    const TextInfo& info() const { return info_; }
    const std::string& id() const { return info_.id; }
    // The last lines: at most info().history_lines, and at most max_history_bytes as JSON.
    const std::deque<TextLine>& history() const { return history_; }
    static constexpr std::size_t max_history_bytes = 256 * 1024;
    const ChannelStatus& status() const { return status_; }

    // Driver side.
    void bind(TextOutput* output) { output_ = output; }
    // A display-only channel (a status display): the device prints, it takes no lines. Set by
    // the driver when it creates its side, before the channel is announced in a hello.
    void set_accepts_lines(bool accepts) { accepts_lines_ = accepts; }
    bool accepts_lines() const { return accepts_lines_; }
    // A line the device produced; longer than max_line_bytes: cut there, with a marker appended.
    void publish_line(std::string text);
    void set_status(ChannelStatus status);
    // A map reload changed the label or limits; the channel keeps its history.
    void update_info(TextInfo info) { info_ = std::move(info); }

    // A client sends a line to the device. On success the line is also published (to_device) so
    // every viewer of the console sees it.
    void send(std::string text, Cause cause, Reply reply);

private:
    void append(TextLine line);
    static std::size_t encoded_size(const TextLine& line);

    TextInfo info_;
    ChannelObserver& observer_;
    TextOutput* output_ = nullptr;
    std::deque<TextLine> history_;
    std::size_t history_bytes_ = 0;  // encoded_size() of the lines in history_
    std::uint64_t seq_ = 0;
    ChannelStatus status_;
    bool accepts_lines_ = true;
};

}  // namespace hwb
