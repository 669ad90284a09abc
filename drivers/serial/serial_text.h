// A text channel that is the port itself: every frame from the device is a line (bytes that are
// not UTF-8 shown as \xHH), every line from a client is written with the configured line ending.
#pragma once

#include "core/text_channel.h"
#include "serial/escapes.h"
#include "serial/port_writer.h"

namespace hwb::serial {

class SerialText final : public TextOutput {
public:
    SerialText(TextChannel& channel, PortWriter& port, std::string line_ending)
        : channel_(channel), port_(port), line_ending_(std::move(line_ending)) {}
    ~SerialText() override { channel_.bind(nullptr); }

    void start() { channel_.bind(this); }

    void send_line(const std::string& line, Done done) override {
        scratch_.assign(line);
        scratch_ += line_ending_;
        port_.send(scratch_, std::move(done));
    }

    void on_frame(std::string_view frame) {
        std::string line;
        line.reserve(frame.size());
        append_printable(frame, line);
        channel_.publish_line(std::move(line));
    }

    TextChannel& channel() { return channel_; }

private:
    TextChannel& channel_;
    PortWriter& port_;
    std::string line_ending_;
    std::string scratch_;
};

}  // namespace hwb::serial
