// General rules: one trigger, conditions that must hold when it fires, actions run in order
// (docs/automations.md, "Rules"). A rule's actions never run inside the channel callback that
// fired it (they start from the loop), one run at a time, and a rule that fires too often (a
// loop through a relay it switches itself) is stopped: the loop is bounded.
#include <cmath>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "automation/automation.h"
#include "automation/local_time.h"
#include "core/rate_limit.h"

namespace hwb::automation {

namespace {

// A rule may fire 10 times at once and once a second on average; beyond that it is stopped.
constexpr RateLimit rule_firings{1.0, 10};
constexpr Millis rule_recheck{60000};  // as schedules: the wall clock is looked at at least this often

class Rule final : public Automation {
public:
    Rule(const AutomationConfig& config, Context& context)
        : Automation(config, context),
          budget_(rule_firings, context.loop.now()),
          hold_(context.loop, [this] { fire("held for " + fmt::format("{:g} s", config_.trigger.hold.count() / 1000.0)); }),
          start_run_(context.loop, [this] { run(0); }),
          delay_(context.loop, [this] { run(next_action_); }),
          tick_(context.loop, [this] { tick(); }) {}

    void start() override {
        const auto& t = config_.trigger;
        if (is_level()) {
            if (Sensor* s = sensor(t.channel); s != nullptr && s->status().online && s->last()) level(s->last()->value);
        } else if (t.kind == AutomationTrigger::Kind::edge) {
            if (Sensor* s = sensor(t.channel); s != nullptr && s->status().online && s->last()) previous_ = s->last()->value != 0;
        } else if (t.kind == AutomationTrigger::Kind::device) {
            device_online_ = device_online();
        } else if (t.kind == AutomationTrigger::Kind::schedule) {
            next_at_ = next_time(context_.zone, context_.wall_ms(), t.at);
            arm();
        }
    }

    void on_reading(const Sensor& s) override {
        const auto& t = config_.trigger;
        if (s.id() != t.channel || faulted_) return;
        if (is_level()) {
            level(s.last()->value);
        } else if (t.kind == AutomationTrigger::Kind::edge) {
            bool value = s.last()->value != 0;
            if (previous_ && *previous_ != value) {
                bool wanted = t.edge == AutomationTrigger::Edge::any || (t.edge == AutomationTrigger::Edge::rising) == value;
                if (wanted) fire(std::string("sensor ") + s.id() + (value ? " became true" : " became false"));
            }
            previous_ = value;
        }
    }

    void on_status(ChannelKind kind, const std::string& channel, const ChannelStatus& status) override {
        const auto& t = config_.trigger;
        if (kind == ChannelKind::sensor && channel == t.channel && !status.online) {
            // Stale data never fires a rule: a running `for:` stops, an edge needs two fresh values.
            hold_.cancel();
            previous_.reset();
        }
        if (t.kind == AutomationTrigger::Kind::device) {
            bool online = device_online();
            if (online != device_online_) {
                device_online_ = online;
                if (online == t.online) fire("device " + t.channel + (online ? " online" : " offline"));
            }
        }
    }

    void on_relay_change(const Relay& r, const Cause& cause) override {
        const auto& t = config_.trigger;
        if (t.kind != AutomationTrigger::Kind::relay || r.id() != t.channel || !r.transitioned()) return;
        if (r.state() == RelayState::unknown) return;
        bool on = r.state() == RelayState::on;
        if (t.edge == AutomationTrigger::Edge::any || (t.edge == AutomationTrigger::Edge::rising) == on)
            fire("relay " + r.id() + " became " + to_string(r.state()) + " by " + to_string(cause.kind) +
                 (cause.client.empty() ? "" : " " + cause.client));
    }

    std::optional<std::int64_t> next_fire_ms() const override { return next_at_; }

    // A changed rule does not fire again for the value its predecessor already fired for (a
    // relay a client has since switched stays as it is); a new threshold the value no longer
    // meets clears that at start.
    void carry_over(const Automation& previous) override {
        const auto* old = dynamic_cast<const Rule*>(&previous);
        if (old == nullptr || old->config_.trigger.channel != config_.trigger.channel) return;
        if (is_level() && old->is_level()) latched_ = old->latched_;
        if (config_.trigger.kind == AutomationTrigger::Kind::edge && old->config_.trigger.kind == AutomationTrigger::Kind::edge)
            previous_ = old->previous_;
    }

private:
    bool is_level() const {
        auto k = config_.trigger.kind;
        return k == AutomationTrigger::Kind::above || k == AutomationTrigger::Kind::below ||
               k == AutomationTrigger::Kind::enters || k == AutomationTrigger::Kind::leaves;
    }

    bool condition_of(double v) const {
        const auto& t = config_.trigger;
        switch (t.kind) {
            case AutomationTrigger::Kind::above: return v > t.value;
            case AutomationTrigger::Kind::below: return v < t.value;
            case AutomationTrigger::Kind::enters: return v >= t.low && v <= t.high;
            case AutomationTrigger::Kind::leaves: return v < t.low || v > t.high;
            default: return false;
        }
    }

    // Level triggers fire once when their condition starts to hold (for `for:` without a break),
    // and again only after a fresh value broke it.
    void level(double v) {
        if (!condition_of(v)) {
            hold_.cancel();
            latched_ = false;
            return;
        }
        if (latched_ || hold_.active()) return;
        if (config_.trigger.hold.count() == 0) {
            latched_ = true;
            fire(fmt::format("sensor {} is {:g}", config_.trigger.channel, v));
        } else {
            hold_.start(config_.trigger.hold);
        }
    }

    bool device_online() const {
        if (context_.channels == nullptr) return false;
        bool any = false;
        auto all_online = [&](const auto& list) {
            for (const auto& c : list) {
                if (c->info().device != config_.trigger.channel) continue;
                any = true;
                if (!c->status().online) return false;
            }
            return true;
        };
        bool online = all_online(context_.channels->sensors()) && all_online(context_.channels->relays()) &&
                      all_online(context_.channels->texts());
        return any && online;
    }

    void arm() {
        if (!next_at_) return;
        auto delay = std::clamp<std::int64_t>(*next_at_ - context_.wall_ms(), 0, rule_recheck.count());
        tick_.start(Millis(delay));
    }

    void tick() {
        if (next_at_ && context_.wall_ms() >= *next_at_) {
            auto at = local_time(context_.zone, *next_at_);
            next_at_ = next_time(context_.zone, *next_at_, config_.trigger.at);
            announce();
            fire(fmt::format("it is {:02d}:{:02d}", at.minute_of_day / 60, at.minute_of_day % 60));
        }
        arm();
    }

    void fire(const std::string& why) {
        if (config_.trigger.hold.count() > 0 && is_level()) latched_ = true;
        if (faulted_) return;
        if (running_) {
            spdlog::debug("automation {}: fired ({}) while its actions still run; ignored", id(), why);
            return;
        }
        if (!conditions_hold()) {
            spdlog::debug("automation {}: fired ({}) but its conditions do not hold", id(), why);
            return;
        }
        if (!budget_.take(context_.loop.now())) {
            faulted_ = true;
            hold_.cancel();
            tick_.cancel();
            set_state(State::faulted, "fired too often (more than 10 times at once or 1 per second); stopped until "
                                      "the map is reloaded");
            spdlog::error("automation {}: {}", id(), detail());
            return;
        }
        fired();
        spdlog::info("automation {}: fired ({})", id(), why);
        running_ = true;
        set_state(State::active, why);
        start_run_.start(Millis(0));  // from the loop, never inside the callback that fired it
    }

    bool conditions_hold() const {
        for (const auto& c : config_.conditions) {
            switch (c.kind) {
                case AutomationCondition::Kind::time: {
                    if (!in_window(local_time(context_.zone, context_.wall_ms()).minute_of_day, c.from_minute, c.to_minute)) return false;
                    break;
                }
                case AutomationCondition::Kind::above:
                case AutomationCondition::Kind::below: {
                    // An offline sensor, or one without a value, fails the condition.
                    Sensor* s = sensor(c.channel);
                    if (s == nullptr || !s->status().online || !s->last()) return false;
                    double v = s->last()->value;
                    if (c.kind == AutomationCondition::Kind::above ? !(v > c.value) : !(v < c.value)) return false;
                    break;
                }
                case AutomationCondition::Kind::sensor_is: {
                    // As above: an offline boolean sensor, or one without a value, fails the condition.
                    Sensor* s = sensor(c.channel);
                    if (s == nullptr || !s->status().online || !s->last() || (s->last()->value != 0) != c.on)
                        return false;
                    break;
                }
                case AutomationCondition::Kind::relay: {
                    Relay* r = relay(c.channel);
                    if (r == nullptr || r->state() != relay_state(c.on)) return false;
                    break;
                }
            }
        }
        return true;
    }

    // Runs actions from `index` on, one after the other; a refused relay or text action ends the run.
    void run(std::size_t index) {
        while (index < config_.actions.size()) {
            const AutomationAction& a = config_.actions[index];
            next_action_ = index + 1;
            switch (a.kind) {
                case AutomationAction::Kind::delay:
                    delay_.start(a.duration);
                    return;
                case AutomationAction::Kind::log:
                    context_.door.audit(requester_, true, "log", a.text);
                    ++index;
                    continue;
                case AutomationAction::Kind::publish: {
                    // Handed to the uplink's queue from the loop: nothing to wait for.
                    Status sent = context_.uplink != nullptr
                                      ? context_.uplink->publish(a.topic, a.text, a.qos, a.retain)
                                      : Status(Error{"mqtt_offline", "the bridge has no MQTT uplink"});
                    const std::string what = "mqtt publish " + a.topic;
                    context_.door.audit(requester_, sent.ok(), what,
                                        sent.ok() ? fmt::format("{} bytes, qos {}{}", a.text.size(), a.qos, a.retain ? ", retained" : "")
                                                  : "refused (" + sent.error().code + "): " + sent.error().message);
                    if (!sent.ok()) return stop_run(what, sent.error());
                    ++index;
                    continue;
                }
                case AutomationAction::Kind::text:
                    text_request(a.channel, a.text, [this, index](Status status) {
                        if (!status.ok()) return stop_run("text send to " + config_.actions[index].channel, status.error());
                        run(index + 1);
                    });
                    return;
                default: {
                    RelayCommand command;
                    command.channel = a.channel;
                    command.op = a.kind == AutomationAction::Kind::set      ? RelayCommand::Op::set
                                 : a.kind == AutomationAction::Kind::toggle ? RelayCommand::Op::toggle
                                                                            : RelayCommand::Op::pulse;
                    command.on = a.on;
                    command.duration = a.duration;
                    relay_request(command, [this, index](Result<RelayState> result) {
                        if (!result.ok()) return stop_run("relay " + config_.actions[index].channel, result.error());
                        run(index + 1);
                    });
                    return;
                }
            }
        }
        running_ = false;
        if (!faulted_) set_state(State::armed, detail());
    }

    void stop_run(const std::string& what, const Error& error) {
        spdlog::warn("automation {}: {} refused ({}: {}); the remaining actions are skipped", id(), what, error.code,
                     error.message);
        running_ = false;
        if (!faulted_) set_state(State::armed, what + " refused (" + error.code + ")");
    }

    TokenBucket budget_;
    Timer hold_;
    Timer start_run_;
    Timer delay_;
    Timer tick_;
    std::size_t next_action_ = 0;
    bool running_ = false;
    bool latched_ = false;
    bool faulted_ = false;
    std::optional<bool> previous_;        // edge: the last fresh value
    bool device_online_ = false;
    std::optional<std::int64_t> next_at_;  // schedule trigger
};

}  // namespace

std::unique_ptr<Automation> make_rule(const AutomationConfig& config, Context& context) {
    return std::make_unique<Rule>(config, context);
}

}  // namespace hwb::automation
