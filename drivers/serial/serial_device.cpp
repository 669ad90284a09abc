#include "serial/serial_device.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "serial/termios_port.h"

namespace hwb::serial {

namespace {

constexpr std::size_t max_pending_output = 64 * 1024;
constexpr std::size_t max_read_per_event = 64 * 1024;  // then let other channels and clients run
constexpr Millis complaint_interval{10000};

// Line framing: syncing ends when the line was quiet this long (at least 20 character times at
// slow rates): longer than a device pauses inside a line (USB adapters deliver every 16 ms).
constexpr Millis min_sync_quiet{100};
// Fixed framing: the pause between two frames that aligns them (at least 4 character times):
// shorter than the gap between the frames of a device sending 10 or more per second.
constexpr Millis min_frame_gap{20};
// Fixed frames wait for a pause at most this long, then start at the next byte anyway.
constexpr Millis max_fixed_sync{1000};

// "4 s", "0.25 s", "1.5 s": exact to the millisecond, no trailing zeros.
std::string seconds_text(Millis d) {
    char buf[32];
    auto ms = d.count();
    if (ms % 1000 == 0) {
        std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ms / 1000));
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
    std::string out = buf;
    while (out.back() == '0') out.pop_back();
    return out + " s";
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
      settle_(loop_, [this] { start_sync(); }), quiet_(loop_, [this] { sync_quiet(); }),
      backoff_(settings_.port.reconnect_min) {
    auto& channels = context.channels;
    for (const auto& s : settings_.sensors) {
        auto extractor = ValueExtractor::make(s.extract);
        if (!extractor.ok()) throw std::logic_error("sensor " + s.id + ": " + extractor.error().message);
        sensors_.push_back(std::make_unique<SerialSensor>(*channels.sensor(s.id), std::move(extractor).value(), s, loop_));
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
    // Relays are bound to the core once the device is first ready (SerialRelay::on_online): before,
    // the core's failsafe must not switch a relay whose state the board was not asked for, nor race
    // the initial state.
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
    status_online_ = status.online;
    for (auto& s : sensors_) s->sensor().set_status(status);
    for (auto& r : relays_) r->set_status(status);
    for (auto& t : texts_) t->channel().set_status(status);
}

std::vector<DeviceCounter> SerialDevice::counters() const {
    return {
        {"hwbridge_serial_port_opens_total", "Serial ports opened (at start and after each loss), per device.", opens_},
        {"hwbridge_serial_overlong_frames_total", "Serial frames longer than max_frame, discarded, per device.",
         framer_.counters().overlong},
        {"hwbridge_serial_discarded_frames_total", "Whole serial frames no channel could use (unrecognised or unreadable), per device.",
         discarded_frames_},
    };
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
    if (termios != nullptr && !termios->modem_note().empty() && !modem_lines_warned_) {
        spdlog::warn("device {}: {}", id_, termios->modem_note());
        modem_lines_warned_ = true;
    }
    ++opens_;
    backoff_ = settings_.port.reconnect_min;
    last_failure_.clear();
    framer_.reset();
    for (auto& s : sensors_) s->reset();
    dropped_on_open_ = 0;
    if (settings_.port.settle.count() > 0) {
        phase_ = Phase::settling;
        set_status(ChannelStatus{false, "port " + port_->name() + " open; letting the device settle for " +
                                            seconds_text(settings_.port.settle)});
        settle_.start(settings_.port.settle);
        return;
    }
    start_sync();
}

Millis SerialDevice::quiet_time() const {
    const auto& line = settings_.port.line;
    int bits = 1 + line.data_bits + (line.parity == Parity::none ? 0 : 1) + line.stop_bits;
    auto chars = [&](int n) { return Millis(n * 1000 * bits / std::max(line.baud, 1) + 1); };
    if (settings_.port.fixed_frames) return std::max(min_frame_gap, chars(4));
    return std::max(min_sync_quiet, chars(20));
}

void SerialDevice::start_sync() {
    if (!port_->is_open()) return;
    phase_ = Phase::syncing;
    sync_started_ = loop_.now();
    if (!settings_.port.fixed_frames) framer_.skip_to_line_start();
    quiet_.start(quiet_time());
    if (!status_online_) set_status(ChannelStatus{false, "port " + port_->name() + " open; waiting for the start of a line"});
}

// Syncing, and nothing came for quiet_time(): the next byte starts a frame.
void SerialDevice::sync_quiet() {
    if (phase_ != Phase::syncing) return;
    // A busy loop may run this timer before the read that was due first: only a read that finds
    // nothing proves the pause.
    auto before = bytes_in_;
    read_available();
    if (phase_ != Phase::syncing || bytes_in_ != before) return;  // the read went on syncing (or ended it)
    framer_.stop_skipping();
    become_ready();
}

void SerialDevice::become_ready() {
    phase_ = Phase::ready;
    quiet_.cancel();
    auto skipped = framer_.counters().skipped;
    auto dropped = dropped_on_open_ + skipped - skipped_before_;
    skipped_before_ = skipped;
    if (dropped > 0) {
        spdlog::info("device {}: ready; {} byte{} received since the port opened dropped (not from a whole frame)", id_,
                     dropped, dropped == 1 ? "" : "s");
    } else {
        spdlog::info("device {}: ready", id_);
    }
    bool first = !ever_online_;
    ever_online_ = true;
    // Relays first: one that asks the board stays offline instead of showing online for a moment.
    for (auto& r : relays_) r->on_online(first);
    set_status(ChannelStatus{true, ""});
    flush();
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
    phase_ = Phase::closed;
    settle_.cancel();
    quiet_.cancel();
    framer_.reset();
    for (auto& s : sensors_) s->reset();
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
        std::string_view bytes(read_buffer_.data(), r.bytes);
        total += r.bytes;
        bytes_in_ += r.bytes;
        if (phase_ == Phase::settling || (phase_ == Phase::syncing && settings_.port.fixed_frames)) {
            dropped_on_open_ += r.bytes;
            if (phase_ == Phase::syncing) {
                if (loop_.now() - sync_started_ < max_fixed_sync) {
                    quiet_.start(quiet_time());
                    continue;
                }
                spdlog::warn("device {}: no pause in the input within {} of opening; fixed frames start at the next byte",
                             id_, seconds_text(max_fixed_sync));
                become_ready();
            }
            continue;
        }
        auto before = framer_.counters().overlong;
        framer_.feed(bytes);
        if (phase_ == Phase::syncing) {
            if (framer_.skipping()) {
                quiet_.start(quiet_time());
            } else {
                become_ready();  // the delimiter ended the skip (frames after it made the device ready already)
            }
        }
        if (framer_.counters().overlong != before)
            complaints_.note("over-long frame (max_frame exceeded) discarded", bytes, loop_.now());
    }
}

void SerialDevice::note_range(SerialSensor& sensor, double value, const char* outcome, std::string_view frame,
                              Clock::time_point now) {
    char number[32];
    std::snprintf(number, sizeof number, "%g", value);
    complaints_.note("sensor " + sensor.sensor().id() + ": value " + number + " outside its range " + sensor.range_text() +
                         " " + outcome,
                     frame, now);
}

void SerialDevice::on_frame(std::string_view frame) {
    if (phase_ == Phase::syncing) become_ready();  // the first whole frame since the open
    bool used = false;
    auto now = loop_.now();
    SerialSensor* unreadable = nullptr;  // complained about only if no other channel took the frame
    for (auto& s : sensors_) {
        double value = 0;
        switch (s->on_frame(frame, now, value)) {
            case SensorOutcome::no_match: break;
            case SensorOutcome::used: used = true; break;
            case SensorOutcome::bad_value:
                if (unreadable == nullptr) unreadable = s.get();
                break;
            case SensorOutcome::out_of_range:
                used = true;
                note_range(*s, value, "dropped", frame, now);
                break;
            case SensorOutcome::clamped:
                used = true;
                note_range(*s, value, "clamped to the range", frame, now);
                break;
            case SensorOutcome::flagged:
                used = true;
                note_range(*s, value, "published as it is", frame, now);
                break;
        }
    }
    for (auto& r : relays_) used = r->on_frame(frame) || used;
    for (auto& t : texts_) {
        t->on_frame(frame);
        used = true;
    }
    if (!used) ++discarded_frames_;
    if (unreadable != nullptr && !used) {
        complaints_.note("sensor " + unreadable->sensor().id() + ": frame with an unreadable value discarded", frame, now);
    } else if (!used && unreadable == nullptr) {
        complaints_.note("frame no channel recognised discarded", frame, now);
    }
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
    // Until the device is ready (settle, sync) output waits: a resetting board would lose it.
    while (phase_ == Phase::ready && port_->is_open() && out_sent_ < out_.size()) {
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
