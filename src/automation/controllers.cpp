// The ready-made controllers: thermostat (hysteresis), follow (a relay follows a boolean sensor)
// and schedule (on at times of day for a duration). docs/automations.md describes each.
#include <cmath>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "automation/automation.h"
#include "automation/local_time.h"

namespace hwb::automation {

namespace {

// Schedules look at the wall clock at least this often, so a clock that jumps (NTP, DST, a
// board without RTC setting its time late) delays a switch by at most this much.
constexpr Millis schedule_recheck{60000};

std::string seconds(Millis d) { return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0); }

// What thermostat and follow share: a sensor whose freshness decides whether the controller may
// act, a relay it drives, the failsafe when the sensor cannot be trusted, and the pause after a
// client switched the relay by hand.
class SensorController : public Automation {
public:
    SensorController(const AutomationConfig& config, Context& context)
        : Automation(config, context),
          driver_(*this, context.loop, [this] { evaluate(); }),
          stale_(context.loop, [this] { evaluate(); }),
          override_end_(context.loop, [this] {
              spdlog::info("automation {}: manual override of relay {} ended; controlling again", id(), config_.relay);
              evaluate();
          }) {}

    void start() override {
        started_at_ = context_.loop.now();
        if (config_.max_age) stale_.start(*config_.max_age);
        if (Sensor* s = sensor(config_.sensor); s != nullptr && s->last()) {
            // The reading's age as the wall clock says it, to judge staleness from now on.
            auto age = Millis(std::max<std::int64_t>(0, context_.wall_ms() - s->last()->time_ms));
            seen_at_ = context_.loop.now() - age;
            had_reading_ = true;
            if (config_.max_age && age < *config_.max_age) stale_.start(*config_.max_age - age);
        }
        evaluate();
    }

    void on_reading(const Sensor& s) override {
        if (s.id() != config_.sensor) return;
        seen_at_ = context_.loop.now();
        had_reading_ = true;
        if (config_.max_age) stale_.start(*config_.max_age);
        reading(s);
        evaluate();
    }

    void on_status(ChannelKind kind, const std::string& channel, const ChannelStatus& status) override {
        // The value from before an outage is not trusted afterwards: only a fresh reading counts.
        if (kind == ChannelKind::sensor && channel == config_.sensor && !status.online) seen_at_.reset();
        if ((kind == ChannelKind::sensor && channel == config_.sensor) ||
            (kind == ChannelKind::relay && channel == config_.relay))
            evaluate();
    }

    void on_relay_change(const Relay& r, const Cause& cause) override {
        if (r.id() != config_.relay || !r.transitioned()) return;
        // A client (or another automation) switched the relay: it decides for a while, rather
        // than the two fighting over it.
        if (cause.kind == Cause::Kind::client && cause.client != client() && config_.override_for.count() > 0) {
            override_end_.start(config_.override_for);
            driver_.reset();
            // Credited to whom the requester signed in as, else to its connection (or given name).
            const std::string& who = cause.subject.empty() ? cause.client : cause.subject;
            set_state(State::overridden, "relay " + r.id() + " switched " + to_string(r.state()) + " by " + who +
                                             "; paused for " + seconds(config_.override_for));
            spdlog::info("automation {}: {}", id(), detail());
        }
    }

protected:
    // A fresh value to judge by, or nullopt with `why` set: offline, no reading yet, stale.
    std::optional<double> fresh_value(std::string& why) const {
        Sensor* s = sensor(config_.sensor);
        if (s == nullptr) return why = "sensor " + config_.sensor + " is gone", std::nullopt;
        if (!s->status().online)
            return why = "sensor " + config_.sensor + " offline" +
                         (s->status().reason.empty() ? std::string() : " (" + s->status().reason + ")"),
                   std::nullopt;
        if (!s->last() || !seen_at_) return why = "no reading from sensor " + config_.sensor + " yet", std::nullopt;
        if (config_.max_age && context_.loop.now() - *seen_at_ >= *config_.max_age)
            return why = "sensor " + config_.sensor + " silent for " + seconds(*config_.max_age) + " (max_age)",
                   std::nullopt;
        return s->last()->value;
    }

    // The relay state this controller wants from a fresh value: nullopt leaves the relay as it is.
    virtual std::optional<bool> want(double value) = 0;
    virtual void reading(const Sensor& /*sensor*/) {}
    virtual void lost() {}

    void evaluate() {
        Relay* r = relay(config_.relay);
        if (r == nullptr || override_end_.active()) return;
        std::string why;
        auto value = fresh_value(why);
        Sensor* s = sensor(config_.sensor);
        if (!value && s != nullptr && s->status().online && !had_reading_ &&
            (!config_.max_age || context_.loop.now() - started_at_ < *config_.max_age)) {
            // Just started (or reloaded) and the sensor has said nothing yet: wait for it, up to max_age.
            set_state(State::armed, "waiting for the first reading of sensor " + config_.sensor);
            return;
        }
        if (!value) {
            lost();
            bool failsafe = config_.failsafe.value_or(r->info().safe_state.value_or(false));
            if (state() != State::faulted || detail() != why)
                spdlog::warn("automation {}: {}: relay {} to its failsafe {}", id(), why, r->id(), failsafe ? "on" : "off");
            set_state(State::faulted, why);
            driver_.drive(*r, failsafe);
            return;
        }
        if (state() == State::faulted)
            spdlog::info("automation {}: sensor {} is back; controlling relay {} again", id(), config_.sensor, r->id());
        if (state() != State::active) set_state(State::active, "");
        if (auto on = want(*value)) {
            if (driver_.drive(*r, *on)) fired();
        }
    }

    RelayDriver driver_;

private:
    Timer stale_;
    Timer override_end_;
    std::optional<Clock::time_point> seen_at_;
    Clock::time_point started_at_{};
    bool had_reading_ = false;  // since start: before the first one, the controller waits (up to max_age)
};

class Thermostat final : public SensorController {
public:
    Thermostat(const AutomationConfig& config, Context& context)
        : SensorController(config, context), setpoint_(config.setpoint) {}

    std::optional<double> setpoint() const override { return setpoint_; }
    void set_setpoint(double value) override {
        setpoint_ = value;
        evaluate();
    }

private:
    // Heat: on below setpoint - hysteresis, off above setpoint + hysteresis; in the band the
    // relay stays as it is (no chatter). Cool: the reverse.
    std::optional<bool> want(double value) override {
        const double low = setpoint_ - config_.hysteresis, high = setpoint_ + config_.hysteresis;
        if (value < low) return !config_.cooling;
        if (value > high) return config_.cooling;
        return std::nullopt;
    }

    double setpoint_;
};

class Follow final : public SensorController {
public:
    Follow(const AutomationConfig& config, Context& context)
        : SensorController(config, context), settle_(context.loop, [this] {
              settled_ = candidate_;
              evaluate();
          }) {}

    void start() override {
        // The value in force now has held for long enough: a reload follows it at once.
        if (Sensor* s = sensor(config_.sensor); s != nullptr && s->last()) settled_ = candidate_ = s->last()->value != 0;
        SensorController::start();
    }

private:
    void reading(const Sensor& s) override {
        const bool value = s.last()->value != 0;
        if (config_.delay.count() == 0 || !settled_) {
            settled_ = candidate_ = value;  // no delay, or the first value after a start or an outage
            return;
        }
        if (value == *settled_) {
            settle_.cancel();  // back before the delay ended: nothing happened
            candidate_ = value;
            return;
        }
        if (candidate_ != value || !settle_.active()) {
            candidate_ = value;
            settle_.start(config_.delay);
        }
    }
    void lost() override {
        settle_.cancel();
        candidate_.reset();
        settled_.reset();
    }
    std::optional<bool> want(double /*value*/) override {
        if (!settled_) return std::nullopt;
        return *settled_ != config_.invert;
    }

    Timer settle_;
    std::optional<bool> candidate_;
    std::optional<bool> settled_;
};

// On at each of its times, off `duration` later. It acts at those edges only: between them a
// client may switch the relay as it likes until the next edge, and a (re)start inside a window
// switches nothing on but still switches off at the window's end.
class Schedule final : public Automation {
public:
    Schedule(const AutomationConfig& config, Context& context)
        : Automation(config, context),
          driver_(*this, context.loop, [this] { pay(); }),
          tick_(context.loop, [this] { check(); }) {}

    void start() override {
        const std::int64_t now = context_.wall_ms();
        if (auto last = last_time(context_.zone, now, config_.at); last && now < *last + config_.duration.count()) {
            off_at_ = *last + config_.duration.count();
            set_state(State::active, "");
        }
        on_at_ = next_time(context_.zone, now, config_.at);
        arm();
    }

    std::optional<std::int64_t> next_fire_ms() const override {
        std::optional<std::int64_t> next = on_at_;
        if (off_at_ && (!next || *off_at_ < *next)) next = off_at_;
        return next;
    }

    void on_relay_change(const Relay& r, const Cause& cause) override {
        // A client's switch settles what this schedule still owed (until the next edge).
        if (r.id() != config_.relay) return;
        if ((cause.kind == Cause::Kind::client && cause.client != client()) || (owed_ && r.state() == relay_state(*owed_))) {
            owed_.reset();
            driver_.reset();
        }
    }

private:
    void check() {
        const std::int64_t now = context_.wall_ms();
        const auto before = next_fire_ms();
        if (off_at_ && now >= *off_at_) {
            off_at_.reset();
            owed_ = false;
            set_state(State::armed, "");
        }
        if (on_at_ && now >= *on_at_) {
            off_at_ = *on_at_ + config_.duration.count();
            on_at_ = next_time(context_.zone, *on_at_, config_.at);
            owed_ = true;
            fired();
            set_state(State::active, "");
        }
        pay();
        arm();
        if (next_fire_ms() != before) announce();
    }

    void pay() {
        Relay* r = relay(config_.relay);
        if (!owed_ || r == nullptr) return;
        if (r->state() == relay_state(*owed_) && !driver_.waiting()) {
            owed_.reset();
            return;
        }
        driver_.drive(*r, *owed_);
    }

    void arm() {
        std::optional<std::int64_t> next = on_at_;
        if (off_at_ && (!next || *off_at_ < *next)) next = off_at_;
        if (!next) return;
        auto delay = std::clamp<std::int64_t>(*next - context_.wall_ms(), 0, schedule_recheck.count());
        tick_.start(Millis(delay));
    }

    RelayDriver driver_;
    Timer tick_;
    std::optional<std::int64_t> on_at_, off_at_;
    std::optional<bool> owed_;  // the state the last edge asked for, until the relay is there
};

}  // namespace

std::unique_ptr<Automation> make_rule(const AutomationConfig& config, Context& context);

std::unique_ptr<Automation> make_automation(const AutomationConfig& config, Context& context) {
    switch (config.type) {
        case AutomationConfig::Type::thermostat: return std::make_unique<Thermostat>(config, context);
        case AutomationConfig::Type::follow: return std::make_unique<Follow>(config, context);
        case AutomationConfig::Type::schedule: return std::make_unique<Schedule>(config, context);
        case AutomationConfig::Type::rule: return make_rule(config, context);
    }
    return nullptr;
}

}  // namespace hwb::automation
