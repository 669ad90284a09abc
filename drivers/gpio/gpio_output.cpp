#include "gpio/gpio_output.h"

#include <spdlog/spdlog.h>

namespace hwb::gpio {

GpioOutput::GpioOutput(Relay& relay, OutputConfig config) : relay_(relay), config_(std::move(config)) {}

GpioOutput::~GpioOutput() { relay_.bind(nullptr); }

Status GpioOutput::start(Chip& chip, const std::string& consumer) {
    unsigned offset = config_.line.offset;
    if (!config_.line.by_offset) {
        auto found = chip.find_line(config_.line.text);
        if (!found.ok()) return found.error();
        offset = found.value();
    } else if (offset >= chip.line_count()) {
        return Error{"not_found", "line " + config_.line.text + " does not exist: " + chip.name() + " '" + chip.label() +
                                     "' has " + std::to_string(chip.line_count()) + " lines"};
    }
    // The first request sets the map's initial state; a request after a failure (chip gone, line
    // lost) sets the safe state when the map names one, since nothing is known of the state between.
    bool after_failure = started_ && relay_.info().safe_state.has_value();
    bool initial = after_failure ? *relay_.info().safe_state : config_.initial_on;
    Cause cause = Cause::of(after_failure ? Cause::Kind::failsafe : Cause::Kind::startup);
    auto request = chip.request_output(offset, consumer, {config_.active_low, initial});
    if (!request.ok()) return request.error();
    started_ = true;
    request_ = std::move(request).value();
    what_ = describe_line(chip, offset, config_.line.by_offset ? std::string() : config_.line.text);
    auto level = request_->get();
    relay_.bind(this);
    relay_.set_status({true, ""});
    if (!level.ok()) {
        spdlog::warn("gpio: relay {}: {}", relay_.id(), level.error().message);
        relay_.report(RelayState::unknown, cause);
    } else {
        if (level.value() != initial)
            spdlog::warn("gpio: relay {}: {} reads back {} right after being requested {}", relay_.id(), what_,
                         level.value() ? "on" : "off", initial ? "on" : "off");
        relay_.report(relay_state(level.value()), cause);
    }
    return {};
}

void GpioOutput::go_offline(const std::string& reason) {
    relay_.bind(nullptr);
    request_.reset();
    relay_.set_status({false, reason});
}

void GpioOutput::write(bool on, Done done) {
    if (!request_) {
        done(RelayState::unknown, Error{"offline", what_ + " is not held"});
        return;
    }
    if (auto set = request_->set(on); !set.ok()) {
        auto level = request_->get();
        done(level.ok() ? relay_state(level.value()) : RelayState::unknown, set.error());
        return;
    }
    auto level = request_->get();
    if (!level.ok()) {
        done(RelayState::unknown, level.error());
        return;
    }
    if (level.value() != on) {
        done(relay_state(level.value()),
             Error{"hardware", what_ + " reads back " + (level.value() ? "on" : "off") + " after being set " +
                                   (on ? "on" : "off") + " (line stuck or driven by something else?)"});
        return;
    }
    done(relay_state(on), std::nullopt);
}

}  // namespace hwb::gpio
