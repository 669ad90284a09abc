#include "automation/automation.h"

#include <spdlog/spdlog.h>

namespace hwb::automation {

namespace {
constexpr Millis driver_first_retry{1000};
constexpr Millis driver_max_retry{30000};
}  // namespace

const char* to_string(Automation::State state) {
    switch (state) {
        case Automation::State::armed: return "armed";
        case Automation::State::active: return "active";
        case Automation::State::overridden: return "overridden";
        case Automation::State::faulted: return "faulted";
        case Automation::State::disabled: return "disabled";
    }
    return "armed";
}

Automation::Automation(const AutomationConfig& config, Context& context)
    : config_(config), context_(context), requester_("automation", "map", "automation:" + config.id) {
    requester_.identity.role = Role::admin;
    requester_.identity.subject = "automation:" + config.id;
    requester_.identity.method = "automation";
}

Automation::~Automation() { *alive_ = false; }

Sensor* Automation::sensor(const std::string& id) const {
    return context_.channels != nullptr ? context_.channels->sensor(id) : nullptr;
}

Relay* Automation::relay(const std::string& id) const {
    return context_.channels != nullptr ? context_.channels->relay(id) : nullptr;
}

void Automation::relay_request(const RelayCommand& command, std::function<void(Result<RelayState>)> done) {
    context_.door.relay(requester_, command, [alive = std::weak_ptr<bool>(alive_), done = std::move(done)](Result<RelayState> result) {
        auto still = alive.lock();
        if (still && *still) done(std::move(result));
    });
}

void Automation::text_request(const std::string& channel, const std::string& line, std::function<void(Status)> done) {
    context_.door.text_send(requester_, channel, line, "", [alive = std::weak_ptr<bool>(alive_), done = std::move(done)](Status status) {
        auto still = alive.lock();
        if (still && *still) done(std::move(status));
    });
}

void Automation::set_state(State state, std::string detail) {
    if (state == state_ && detail == detail_) return;
    state_ = state;
    detail_ = std::move(detail);
    if (context_.changed) context_.changed(id());
}

RelayDriver::RelayDriver(Automation& owner, EventLoop& loop, std::function<void()> retry)
    : owner_(owner), retry_(loop, std::move(retry)) {}

bool RelayDriver::drive(Relay& relay, bool on) {
    if (waiting()) return false;
    if (relay.state() == relay_state(on) || relay.pending() || !relay.status().online) return false;
    RelayCommand command;
    command.op = RelayCommand::Op::set;
    command.channel = relay.id();
    command.on = on;
    in_flight_ = true;
    owner_.relay_request(command, [this, id = relay.id(), on](Result<RelayState> result) {
        in_flight_ = false;
        if (result.ok()) {
            backoff_ = Millis(0);
            return;
        }
        backoff_ = backoff_.count() == 0 ? driver_first_retry : std::min(backoff_ * 2, driver_max_retry);
        Millis wait = backoff_;
        // min_on/min_off: the relay says when it will take the switch; try again exactly then.
        if (Relay* r = owner_.context().channels ? owner_.context().channels->relay(id) : nullptr;
            r != nullptr && result.error().code == "too_soon") {
            const std::int64_t hold = r->state() == RelayState::on ? r->info().min_on_ms : r->info().min_off_ms;
            auto left = std::chrono::duration_cast<Millis>(r->changed_at() + Millis(hold) - owner_.context().loop.now());
            if (left.count() > 0 && left <= driver_max_retry) wait = left;
        }
        spdlog::warn("automation {}: relay {} {} refused ({}); trying again in {:.1f} s", owner_.id(), id,
                     on ? "on" : "off", result.error().code, static_cast<double>(wait.count()) / 1000.0);
        retry_.start(wait);
    });
    return true;
}

}  // namespace hwb::automation
