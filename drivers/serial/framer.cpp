#include "serial/framer.h"

#include <algorithm>

namespace hwb::serial {

Framer::Framer(std::string delimiter, std::size_t length, std::size_t max_frame, OnFrame on_frame)
    : delimiter_(std::move(delimiter)), length_(length), max_frame_(max_frame), strip_cr_(delimiter_ == "\n"),
      on_frame_(std::move(on_frame)) {
    buffer_.reserve(std::max(max_frame_, length_) + 4096);
}

Framer Framer::lines(std::string delimiter, std::size_t max_frame, OnFrame on_frame) {
    return Framer(std::move(delimiter), 0, max_frame, std::move(on_frame));
}

Framer Framer::fixed(std::size_t length, OnFrame on_frame) { return Framer({}, length, length, std::move(on_frame)); }

void Framer::feed(std::string_view bytes) {
    if (delimiter_.empty()) {
        feed_fixed(bytes);
    } else {
        feed_lines(bytes);
    }
}

void Framer::reset() {
    ++resets_;
    if (!buffer_.empty() && !discarding_ && !skipping_) ++counters_.partial;
    buffer_.clear();
    discarding_ = false;
    skipping_ = false;
}

void Framer::skip_to_line_start() {
    reset();
    skipping_ = !delimiter_.empty();
    skip_base_ = counters_.skipped;
}

void Framer::stop_skipping() {
    if (!skipping_) return;
    counters_.skipped += buffer_.size();
    buffer_.clear();
    skipping_ = false;
}

void Framer::feed_lines(std::string_view bytes) {
    const std::size_t overlap = delimiter_.size() - 1;  // a delimiter may straddle two reads
    std::size_t scan = buffer_.size() > overlap ? buffer_.size() - overlap : 0;
    buffer_.append(bytes);
    std::size_t start = 0;
    for (;;) {
        std::size_t pos = buffer_.find(delimiter_, std::max(scan, start));
        if (pos == std::string::npos) break;
        std::string_view frame(buffer_.data() + start, pos - start);
        if (skipping_) {
            skipping_ = false;  // the next byte starts a line
            counters_.skipped += frame.size() + delimiter_.size();
        } else if (discarding_) {
            discarding_ = false;  // the end of an over-long frame, already counted
        } else if (frame.size() > max_frame_) {
            ++counters_.overlong;
        } else {
            if (strip_cr_ && !frame.empty() && frame.back() == '\r') frame.remove_suffix(1);
            ++counters_.frames;
            auto resets = resets_;
            on_frame_(frame);
            if (resets != resets_) return;  // reset by the consumer: the rest is not ours to frame
        }
        start = pos + delimiter_.size();
    }
    std::size_t rest = buffer_.size() - start;
    if (skipping_) {
        std::size_t keep = std::min(rest, overlap);  // a possible delimiter start
        counters_.skipped += rest - keep;
        start = buffer_.size() - keep;
        if (counters_.skipped - skip_base_ > max_frame_) {
            // No line end within max_frame: whatever this is, it is over-long; stop waiting for a line start.
            skipping_ = false;
            ++counters_.overlong;
            discarding_ = true;
        }
    }
    if (!discarding_ && !skipping_ && rest > max_frame_ + overlap) {
        ++counters_.overlong;
        discarding_ = true;
    }
    if (discarding_ && rest > overlap) start = buffer_.size() - overlap;  // keep only a possible delimiter start
    buffer_.erase(0, start);
}

void Framer::feed_fixed(std::string_view bytes) {
    if (!buffer_.empty()) {
        std::size_t take = std::min(length_ - buffer_.size(), bytes.size());
        buffer_.append(bytes.data(), take);
        bytes.remove_prefix(take);
        if (buffer_.size() < length_) return;
        ++counters_.frames;
        auto resets = resets_;
        on_frame_(buffer_);
        if (resets != resets_) return;
        buffer_.clear();
    }
    while (bytes.size() >= length_) {
        ++counters_.frames;
        auto resets = resets_;
        on_frame_(bytes.substr(0, length_));
        if (resets != resets_) return;
        bytes.remove_prefix(length_);
    }
    buffer_.append(bytes);
}

}  // namespace hwb::serial
