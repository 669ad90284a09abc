#include "gpio/gpio_input.h"

#include <time.h>

#include <spdlog/spdlog.h>

namespace hwb::gpio {

namespace {

// Kernel event timestamps are CLOCK_MONOTONIC; clients get wall-clock milliseconds.
std::int64_t wall_ms_of(std::uint64_t monotonic_ns) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    auto now_ns = static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
    auto age_ms = now_ns > monotonic_ns ? static_cast<std::int64_t>((now_ns - monotonic_ns) / 1000000) : 0;
    return wall_clock_ms() - age_ms;
}

}  // namespace

GpioInput::GpioInput(Sensor& sensor, InputConfig config, EventLoop& loop, bool kernel_debounce)
    : sensor_(sensor), config_(std::move(config)), loop_(loop), kernel_debounce_(kernel_debounce),
      debounce_(loop, [this] { settle(); }), window_(loop, [this] { end_window(); }) {}

GpioInput::~GpioInput() = default;

Status GpioInput::start(Chip& chip, const std::string& consumer) {
    unsigned offset = config_.line.offset;
    if (!config_.line.by_offset) {
        auto found = chip.find_line(config_.line.text);
        if (!found.ok()) return found.error();
        offset = found.value();
    } else if (offset >= chip.line_count()) {
        return Error{"not_found", "line " + config_.line.text + " does not exist: " + chip.name() + " '" + chip.label() +
                                     "' has " + std::to_string(chip.line_count()) + " lines"};
    }
    InputSettings settings = config_.settings;
    if (!kernel_debounce_) settings.debounce = std::chrono::microseconds(0);
    auto request = chip.request_input(offset, consumer, settings);
    if (!request.ok()) return request.error();
    request_ = std::move(request).value();
    what_ = describe_line(chip, offset, config_.line.by_offset ? std::string() : config_.line.text);
    watch_ = loop_.watch_fd(request_->event_fd(), [this](FdEvent e) { on_fd(e); });
    sensor_.set_status({true, ""});
    if (config_.mode == InputMode::state) {
        auto level = request_->get();
        if (!level.ok()) {
            go_offline(level.error().message);
            return level.error();
        }
        publish_level(level.value(), std::nullopt);
    } else {
        edges_ = 0;
        window_start_ = loop_.now();
        window_.start(config_.rate_window);
    }
    return {};
}

void GpioInput::go_offline(const std::string& reason) {
    watch_.reset();
    request_.reset();
    debounce_.cancel();
    window_.cancel();
    published_.reset();
    sensor_.set_status({false, reason});
}

void GpioInput::on_fd(FdEvent event) {
    if (!request_) return;
    if (event == FdEvent::hangup) {
        spdlog::warn("gpio: sensor {}: {} went away", sensor_.id(), what_);
        go_offline(what_ + " went away");
        return;
    }
    auto events = request_->read_events();
    if (!events.ok()) {
        spdlog::warn("gpio: sensor {}: {}", sensor_.id(), events.error().message);
        go_offline(events.error().message);
        return;
    }
    on_events(events.value());
}

void GpioInput::on_events(const std::vector<LineEvent>& events) {
    bool soft_debounce = !kernel_debounce_ && config_.settings.debounce.count() > 0;
    if (config_.mode == InputMode::count) {
        auto min_gap_ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(config_.settings.debounce).count());
        for (const auto& e : events) {
            bool wanted = e.edge == Edge::rising ? config_.count_rising : config_.count_falling;
            if (!wanted) continue;
            // Software debounce of a pulse train: an edge too soon after the last counted one is bounce.
            if (soft_debounce && last_counted_ns_ && e.timestamp_ns - *last_counted_ns_ < min_gap_ns) continue;
            last_counted_ns_ = e.timestamp_ns;
            ++edges_;
        }
        return;
    }
    if (soft_debounce) {
        // Any edge restarts the wait; the level that holds for `debounce` is the one published.
        if (!events.empty()) debounce_.start(config_.settings.debounce);
        return;
    }
    for (const auto& e : events) publish_level(e.edge == Edge::rising, e.timestamp_ns);
}

void GpioInput::settle() {
    if (!request_) return;
    auto level = request_->get();
    if (!level.ok()) {
        go_offline(level.error().message);
        return;
    }
    publish_level(level.value(), std::nullopt);
}

void GpioInput::end_window() {
    double seconds = std::chrono::duration<double>(loop_.now() - window_start_).count();
    if (seconds <= 0) seconds = std::chrono::duration<double>(config_.rate_window).count();
    sensor_.publish(static_cast<double>(edges_) / seconds * config_.scale);
    edges_ = 0;
    window_start_ = loop_.now();
    window_.start(config_.rate_window);
}

void GpioInput::publish_level(bool level, std::optional<std::uint64_t> timestamp_ns) {
    if (published_ == level) return;
    published_ = level;
    if (timestamp_ns) {
        sensor_.publish(level ? 1 : 0, wall_ms_of(*timestamp_ns));
    } else {
        sensor_.publish(level ? 1 : 0);
    }
}

}  // namespace hwb::gpio
