#include "serial/serial_device.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "serial/termios_port.h"

namespace hwb::serial {

namespace {

constexpr std::size_t max_pending_output = 64 * 1024;
constexpr std::size_t max_read_per_event = 64 * 1024;  // then let other channels and clients run
constexpr Millis complaint_interval{10000};

std::string seconds_text(Millis d) {
    char buf[32];
    if (d.count() % 1000 == 0) {
        std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(d.count() / 1000));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
    }
    return buf;
}

}  // namespace

SerialDevice::SerialDevice(const DeviceConfig& config, SerialSettings settings, std::unique_ptr<SerialPort> port,
                           DeviceContext& context)
    : id_(config.id), settings_(std::move(settings)), port_(std::move(port)), loop_(context.loop),
      framer_(settings_.port.fixed_frames
                  ? Framer::fixed(settings_.port.frame_length, [this](std::string_view f) { on_frame(f); })
                  : Framer::lines(settings_.port.delimiter, settings_.port.max_frame,
                                  [this](std::string_view f) { on_frame(f); })),
      complaints_(config.id, complaint_interval), reconnect_(loop_, [this] { try_open(); }),
      backoff_(settings_.port.reconnect_min) {
    auto& channels = context.channels;
    for (const auto& s : settings_.sensors) {
        auto extractor = ValueExtractor::make(s.extract);
        if (!extractor.ok()) throw std::logic_error("sensor " + s.id + ": " + extractor.error().message);
        sensors_.push_back(std::make_unique<SerialSensor>(*channels.sensor(s.id), std::move(extractor).value(), s.filter));
    }
    for (const auto& r : settings_.relays)
        relays_.push_back(std::make_unique<SerialRelay>(*channels.relay(r.id), r, *this, loop_));
    for (const auto& t : settings_.texts)
        texts_.push_back(std::make_unique<SerialText>(*channels.text(t.id), *this, t.line_ending));
}

SerialDevice::~SerialDevice() {
    // Channels first (they unbind from the core), then the port.
    relays_.clear();
    texts_.clear();
    watch_.reset();
    retired_watch_.reset();
    if (port_) port_->close();
}

void SerialDevice::start() {
    for (auto& r : relays_) r->start();
    for (auto& t : texts_) t->start();
    try_open();
}

std::string SerialDevice::describe() const {
    std::string out = settings_.port.name() + " at " + serial::describe(settings_.port.line);
    out += settings_.port.fixed_frames ? ", " + std::to_string(settings_.port.frame_length) + "-byte frames"
                                       : ", line frames";
    out += port_->is_open() ? ", online" : ", offline (" + last_failure_ + ")";
    return out;
}

void SerialDevice::set_status(const ChannelStatus& status) {
    for (auto& s : sensors_) s->sensor().set_status(status);
    for (auto& r : relays_) r->relay().set_status(status);
    for (auto& t : texts_) t->channel().set_status(status);
}

void SerialDevice::try_open() {
    retired_watch_.reset();
    auto opened = port_->open();
    if (!opened.ok()) {
        go_offline(opened.error().message);
        return;
    }
    try {
        watch_ = loop_.watch_fd(port_->fd(), [this](FdEvent e) { on_fd_event(e); });
    } catch (const std::exception& e) {
        port_->close();
        go_offline("port " + port_->name() + ": " + e.what());
        return;
    }
    auto* termios = dynamic_cast<TermiosPort*>(port_.get());
    std::string where = termios != nullptr && termios->device_path() != port_->name() ? " (" + termios->device_path() + ")" : "";
    spdlog::info("device {}: port {}{} open at {}", id_, port_->name(), where, serial::describe(settings_.port.line));
    backoff_ = settings_.port.reconnect_min;
    last_failure_.clear();
    framer_.reset();
    for (auto& s : sensors_) s->reset();
    set_status(ChannelStatus{true, ""});
    bool first = !ever_online_;
    ever_online_ = true;
    for (auto& r : relays_) r->on_online(first);
}

void SerialDevice::go_offline(const std::string& reason) {
    Millis delay = backoff_;
    backoff_ = std::min(backoff_ * 2, settings_.port.reconnect_max);
    std::string full = reason + "; retrying in " + seconds_text(delay);
    if (reason != last_failure_) {
        spdlog::warn("device {}: {}", id_, full);
    } else {
        spdlog::debug("device {}: {}", id_, full);
    }
    last_failure_ = reason;
    set_status(ChannelStatus{false, full});
    reconnect_.start(delay);
}

void SerialDevice::disconnect(const std::string& why) {
    if (!port_->is_open()) return;
    retired_watch_ = std::move(watch_);
    port_->close();
    framer_.reset();
    out_.clear();
    out_sent_ = 0;
    std::string reason = "port " + port_->name() + " disconnected (" + why + ")";
    fail_waiters(Error{"offline", reason});
    for (auto& r : relays_) r->on_offline();
    backoff_ = settings_.port.reconnect_min;
    go_offline(reason);
}

void SerialDevice::fail_waiters(const Error& error) {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& w : waiters) w.done(error);
}

void SerialDevice::on_fd_event(FdEvent event) {
    switch (event) {
        case FdEvent::readable: read_available(); break;
        case FdEvent::writable: flush(); break;
        case FdEvent::hangup:
            // The loop gave up on the fd (POLLHUP/POLLERR): read what is left, then reopen.
            if (port_->is_open()) read_available();
            disconnect("hang-up");
            break;
    }
}

void SerialDevice::read_available() {
    std::size_t total = 0;
    while (port_->is_open() && total < max_read_per_event) {
        auto r = port_->read(read_buffer_);
        if (r.kind == IoResult::Kind::would_block) return;
        if (r.kind == IoResult::Kind::disconnected) {
            disconnect(r.error);
            return;
        }
        auto before = framer_.counters().overlong;
        framer_.feed(std::string_view(read_buffer_.data(), r.bytes));
        if (framer_.counters().overlong != before)
            complaints_.note("over-long frame (max_frame exceeded)", std::string_view(read_buffer_.data(), r.bytes),
                             loop_.now());
        total += r.bytes;
    }
}

void SerialDevice::on_frame(std::string_view frame) {
    bool used = false;
    auto now = loop_.now();
    for (auto& s : sensors_) {
        auto outcome = s->on_frame(frame, now);
        if (outcome == ExtractOutcome::value) used = true;
        if (outcome == ExtractOutcome::bad_value) {
            used = true;
            complaints_.note("frame with an unreadable value", frame, now);
        }
    }
    for (auto& r : relays_) used = r->on_frame(frame) || used;
    for (auto& t : texts_) {
        t->on_frame(frame);
        used = true;
    }
    if (!used) complaints_.note("frame no channel recognised", frame, now);
}

void SerialDevice::send(std::string_view bytes, Done done) {
    if (!port_->is_open()) {
        done(Error{"offline", "port " + port_->name() + " is offline" + (last_failure_.empty() ? "" : ": " + last_failure_)});
        return;
    }
    if (out_.size() - out_sent_ + bytes.size() > max_pending_output) {
        done(Error{"hardware", "port " + port_->name() + " is not taking output (" +
                                   std::to_string(out_.size() - out_sent_) + " bytes waiting)"});
        return;
    }
    out_.append(bytes);
    total_queued_ += bytes.size();
    waiters_.push_back(Waiter{total_queued_, std::move(done)});
    flush();
}

void SerialDevice::flush() {
    while (port_->is_open() && out_sent_ < out_.size()) {
        auto r = port_->write(std::string_view(out_.data() + out_sent_, out_.size() - out_sent_));
        if (r.kind == IoResult::Kind::would_block) {
            if (watch_) watch_->want_writable();
            break;
        }
        if (r.kind == IoResult::Kind::disconnected) {
            disconnect(r.error);
            return;
        }
        out_sent_ += r.bytes;
        total_written_ += r.bytes;
    }
    if (out_sent_ == out_.size()) {
        out_.clear();
        out_sent_ = 0;
    }
    while (!waiters_.empty() && waiters_.front().end <= total_written_) {
        Done done = std::move(waiters_.front().done);
        waiters_.pop_front();
        done(std::nullopt);  // may queue more bytes: the loop re-checks
    }
}

std::unique_ptr<Device> create_serial_device(const DeviceConfig& config, DeviceContext& context) {
    auto parsed = parse_settings(config);
    if (!parsed.problems.empty())
        throw std::logic_error("serial device " + config.id + ": " + parsed.problems.front().message);
    const auto& port = parsed.settings.port;
    TermiosPort::Locate locate;
    if (port.path) {
        locate = [path = *port.path]() -> Result<std::string> { return path; };
    } else {
        locate = [usb = *port.usb]() { return find_port(usb); };
    }
    auto termios = std::make_unique<TermiosPort>(port.name(), std::move(locate), port.line);
    return std::make_unique<SerialDevice>(config, std::move(parsed.settings), std::move(termios), context);
}

}  // namespace hwb::serial
