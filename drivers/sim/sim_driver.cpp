#include "sim/sim_driver.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <sstream>

namespace hwb {

namespace {

std::vector<OptionSpec> device_options() {
    return {
        {.key = "seed", .type = OptionType::integer, .help = "seed of the noise generator (same seed, same noise)",
         .fallback = std::int64_t{1}, .min = 0, .max = 4294967295.0},
    };
}

std::vector<OptionSpec> sensor_options() {
    return {
        {.key = "signal", .type = OptionType::choice, .help = "waveform of the simulated value",
         .fallback = std::string("sine"), .choices = {"sine", "triangle", "square", "random_walk", "constant", "toggle"}},
        {.key = "period", .type = OptionType::duration, .help = "period of the waveform (toggle: time between changes)",
         .fallback = std::chrono::milliseconds(60000), .min = 1, .max = 86400000},
        {.key = "low", .type = OptionType::number, .help = "lowest value of the waveform (default: range min, or 0)"},
        {.key = "high", .type = OptionType::number, .help = "highest value of the waveform (default: range max, or 1)"},
        {.key = "noise", .type = OptionType::number, .help = "amplitude of uniform noise added to each reading",
         .fallback = 0.0, .min = 0},
        {.key = "rate", .type = OptionType::number, .help = "readings per second", .fallback = 1.0, .min = 0.01,
         .max = 10000},
    };
}

std::vector<OptionSpec> relay_options() {
    return {
        {.key = "latency", .type = OptionType::duration, .help = "simulated switching time before the state is confirmed",
         .fallback = std::chrono::milliseconds(20), .min = 0, .max = 10000},
        {.key = "fail_every", .type = OptionType::integer,
         .help = "every Nth write fails with a hardware error and leaves the state unchanged (0: never)",
         .fallback = std::int64_t{0}, .min = 0, .max = 1000000},
    };
}

std::vector<OptionSpec> text_options() {
    return {
        {.key = "mode", .type = OptionType::choice,
         .help = "echo: answers every line with `reply_prefix` + the line; status: prints a status line every `interval`",
         .fallback = std::string("echo"), .choices = {"echo", "status"}},
        {.key = "reply_prefix", .type = OptionType::string, .help = "prefix of echoed lines", .fallback = std::string("")},
        {.key = "interval", .type = OptionType::duration, .help = "time between status lines",
         .fallback = std::chrono::milliseconds(5000), .min = 10, .max = 86400000},
    };
}

}  // namespace

namespace {

class SimSensor {
public:
    SimSensor(Sensor& sensor, const Options& o, EventLoop& loop, std::mt19937& rng)
        : sensor_(sensor), loop_(loop), rng_(rng), timer_(loop, [this] { tick(); }) {
        const auto& info = sensor.info();
        signal_ = o.string("signal");
        period_s_ = std::chrono::duration<double>(o.duration("period")).count();
        low_ = o.has("low") ? o.number("low") : info.min.value_or(0.0);
        high_ = o.has("high") ? o.number("high") : info.max.value_or(1.0);
        noise_ = o.number("noise");
        interval_ = std::chrono::microseconds(static_cast<std::int64_t>(1e6 / o.number("rate")));
        walk_ = (low_ + high_) / 2;
    }

    void start() {
        start_ = loop_.now();
        tick();
    }

private:
    void tick() {
        sensor_.publish(value());
        timer_.start(interval_);
    }

    double value() {
        double t = std::chrono::duration<double>(loop_.now() - start_).count();
        double phase = std::fmod(t / period_s_, 1.0);
        double span = high_ - low_;
        std::uniform_real_distribution<double> unit(-1.0, 1.0);
        double v = low_;
        if (signal_ == "sine") {
            v = low_ + span * (0.5 + 0.5 * std::sin(2 * std::numbers::pi * phase));
        } else if (signal_ == "triangle") {
            v = low_ + span * (phase < 0.5 ? 2 * phase : 2 - 2 * phase);
        } else if (signal_ == "square" || signal_ == "toggle") {
            // toggle: `period` is the time between changes, so one full cycle is two periods.
            double cycle = signal_ == "toggle" ? std::fmod(t / (2 * period_s_), 1.0) : phase;
            v = cycle < 0.5 ? low_ : high_;
        } else if (signal_ == "random_walk") {
            walk_ = std::clamp(walk_ + unit(rng_) * span * 0.02, low_, high_);
            v = walk_;
        } else {  // constant
            v = low_;
        }
        if (noise_ > 0) v += unit(rng_) * noise_;
        return v;
    }

    Sensor& sensor_;
    EventLoop& loop_;
    std::mt19937& rng_;
    Timer timer_;
    Clock::time_point start_{};
    std::string signal_;
    double period_s_ = 60;
    double low_ = 0;
    double high_ = 1;
    double noise_ = 0;
    double walk_ = 0;
    std::chrono::microseconds interval_{1000000};
};

// A relay whose "hardware" is a bool that changes after `latency`; every `fail_every`th write fails.
class SimRelay final : public RelayOutput {
public:
    SimRelay(Relay& relay, const Options& o, EventLoop& loop)
        : relay_(relay), latency_(o.duration("latency")), fail_every_(o.integer("fail_every")),
          timer_(loop, [this] { complete(); }) {}
    ~SimRelay() override { relay_.bind(nullptr); }

    void start() {
        // The initial state is the hardware's power-on state: no write, so no glitch.
        hardware_on_ = relay_.info().initial_on;
        relay_.bind(this);
        relay_.report(relay_state(hardware_on_), Cause::of(Cause::Kind::startup));
    }

    bool on() const { return hardware_on_; }

    void write(bool on, Done done) override {
        if (done_) complete();  // a superseded write still finishes, as real hardware would
        target_ = on;
        done_ = std::move(done);
        ++writes_;
        if (latency_.count() == 0) {
            complete();
        } else {
            timer_.start(latency_);
        }
    }

private:
    void complete() {
        timer_.cancel();
        Done done = std::move(done_);
        done_ = nullptr;
        if (fail_every_ > 0 && writes_ % fail_every_ == 0) {
            done(relay_state(hardware_on_), Error{"hardware", "simulated failure of relay '" + relay_.id() +
                                                                  "' (write " + std::to_string(writes_) +
                                                                  ", fail_every: " + std::to_string(fail_every_) + ")"});
            return;
        }
        hardware_on_ = target_;
        done(relay_state(hardware_on_), std::nullopt);
    }

    Relay& relay_;
    std::chrono::milliseconds latency_;
    std::int64_t fail_every_;
    Timer timer_;
    bool hardware_on_ = false;
    bool target_ = false;
    std::int64_t writes_ = 0;
    Done done_;
};

// echo: answers each line; status: a display that prints a status line every `interval`.
class SimText final : public TextOutput {
public:
    SimText(TextChannel& channel, const Options& o, EventLoop& loop, std::function<std::string()> status_line)
        : channel_(channel), echo_(o.string("mode") == "echo"), prefix_(o.string("reply_prefix")),
          interval_(o.duration("interval")), status_line_(std::move(status_line)),
          timer_(loop, [this] { print_status(); }), reply_(loop, [this] { flush_replies(); }) {
        channel_.set_accepts_lines(echo_);
    }
    ~SimText() override { channel_.bind(nullptr); }

    void start() {
        channel_.bind(this);
        if (!echo_) print_status();
    }

    void send_line(const std::string& line, Done done) override {
        done(std::nullopt);
        if (echo_) {
            // The answer comes from the device after the line was taken, as over a real console.
            replies_.push_back(prefix_ + line);
            if (!reply_.active()) reply_.start(std::chrono::microseconds(0));
        }
    }

private:
    void print_status() {
        channel_.publish_line(status_line_());
        timer_.start(interval_);
    }

    void flush_replies() {
        auto lines = std::move(replies_);
        replies_.clear();
        for (auto& l : lines) channel_.publish_line(std::move(l));
    }

    TextChannel& channel_;
    bool echo_;
    std::string prefix_;
    std::chrono::milliseconds interval_;
    std::function<std::string()> status_line_;
    Timer timer_;
    Timer reply_;
    std::vector<std::string> replies_;
};

class SimDevice final : public Device {
public:
    SimDevice(const DeviceConfig& config, DeviceContext& context)
        : loop_(context.loop), rng_(static_cast<std::uint32_t>(config.options.integer("seed"))) {
        auto& channels = context.channels;
        for (const auto& s : config.sensors) {
            sensors_.push_back(std::make_unique<SimSensor>(*channels.sensor(s.info.id), s.options, loop_, rng_));
            sensor_ptrs_.push_back(channels.sensor(s.info.id));
        }
        for (const auto& r : config.relays)
            relays_.push_back(std::make_unique<SimRelay>(*channels.relay(r.info.id), r.options, loop_));
        for (const auto& t : config.texts)
            texts_.push_back(
                std::make_unique<SimText>(*channels.text(t.info.id), t.options, loop_, [this] { return status_line(); }));
    }

    void start() override {
        started_ = loop_.now();
        for (auto& r : relays_) r->start();
        for (auto& s : sensors_) s->start();
        for (auto& t : texts_) t->start();
    }

    std::string describe() const override {
        return "simulated: " + std::to_string(sensors_.size()) + " sensors, " + std::to_string(relays_.size()) +
               " relays, " + std::to_string(texts_.size()) + " text channels";
    }

private:
    std::string status_line() const {
        auto up = std::chrono::duration_cast<std::chrono::seconds>(loop_.now() - started_).count();
        std::ostringstream out;
        out << "up " << up << " s";
        for (const auto* s : sensor_ptrs_) {
            if (!s->last()) continue;
            out << " | " << s->info().label << " ";
            if (s->info().type == SensorType::boolean) {
                // The sensor's own words (Open/Closed for a door), as its card says them.
                const auto& w = s->info().words;
                const bool on = s->last()->value != 0;
                const std::string& word = on ? w.on_text : w.off_text;
                out << (word.empty() ? (on ? "On" : "Off") : word);
            } else {
                out.setf(std::ios::fixed);
                out.precision(s->info().precision);
                out << s->last()->value;
                if (!s->info().unit.empty()) out << " " << s->info().unit;
            }
        }
        return out.str();
    }

    EventLoop& loop_;
    std::mt19937 rng_;
    Clock::time_point started_{};
    std::vector<std::unique_ptr<SimSensor>> sensors_;
    std::vector<const Sensor*> sensor_ptrs_;
    std::vector<std::unique_ptr<SimRelay>> relays_;
    std::vector<std::unique_ptr<SimText>> texts_;
};

std::unique_ptr<Device> create_sim_device(const DeviceConfig& config, DeviceContext& context) {
    return std::make_unique<SimDevice>(config, context);
}

}  // namespace

void register_sim_driver(DriverRegistry& registry) {
    registry.add(DriverInfo{
        .name = "sim",
        .description = "simulated sensors, relays and text channels; no hardware needed",
        .device_options = device_options(),
        .sensor_options = sensor_options(),
        .relay_options = relay_options(),
        .text_options = text_options(),
        .create = create_sim_device,
    });
}

}  // namespace hwb
