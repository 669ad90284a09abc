// Cuts the byte stream of a port into frames: delimited lines or fixed-length records.
// Hot path (thousands of frames per second): one buffer reused, frames handed out as views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace hwb::serial {

struct FramerCounters {
    std::uint64_t frames = 0;     // frames delivered
    std::uint64_t overlong = 0;   // frames longer than max_frame, dropped whole
    std::uint64_t partial = 0;    // incomplete frames dropped by reset() (port closed mid-frame)
    std::uint64_t skipped = 0;    // bytes dropped by skip_to_line_start() (the tail of a line cut by an open)
};

class Framer {
public:
    using OnFrame = std::function<void(std::string_view frame)>;

    // Frames end with `delimiter` (not included). With delimiter "\n", a trailing "\r" is removed
    // too, so "\r\n" devices need no extra setting. Longer frames than `max_frame` are dropped.
    static Framer lines(std::string delimiter, std::size_t max_frame, OnFrame on_frame);
    // Frames of exactly `length` bytes.
    static Framer fixed(std::size_t length, OnFrame on_frame);

    void feed(std::string_view bytes);
    // Drops a partial frame (the port went away); the next byte starts a new frame.
    void reset();
    // Line framing: input up to and including the next delimiter is dropped (the port was just
    // opened, and the first bytes may be the tail of a line the device began before). Ends at the
    // delimiter, at stop_skipping(), or after max_frame bytes without one (then counted over-long).
    void skip_to_line_start();
    void stop_skipping();
    bool skipping() const { return skipping_; }
    const FramerCounters& counters() const { return counters_; }

private:
    Framer(std::string delimiter, std::size_t length, std::size_t max_frame, OnFrame on_frame);
    void feed_lines(std::string_view bytes);
    void feed_fixed(std::string_view bytes);

    std::string delimiter_;    // empty: fixed framing
    std::size_t length_ = 0;   // fixed framing
    std::size_t max_frame_ = 0;
    bool strip_cr_ = false;
    bool discarding_ = false;  // inside an over-long frame: skip to the next delimiter
    bool skipping_ = false;    // skip_to_line_start(): skip to the next delimiter
    std::uint64_t skip_base_ = 0;  // counters_.skipped when the skip began
    std::uint64_t resets_ = 0;     // a frame's consumer may reset() (its port closed): feed stops then
    OnFrame on_frame_;
    std::string buffer_;
    FramerCounters counters_;
};

}  // namespace hwb::serial
