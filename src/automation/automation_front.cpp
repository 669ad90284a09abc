#include "automation/automation_front.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "automation/automation.h"
#include "core/text.h"

namespace hwb::automation {

namespace {

// The state file is small (a few numbers per automation); anything larger is not ours.
constexpr std::uintmax_t state_max_bytes = 1 << 20;

// MAP-STEM.automations.json beside the map: the folder the bridge may already write (the map
// editor saves there; the packaged unit allows it).
std::string default_state_file(const std::string& map_path) {
    std::filesystem::path map(map_path);
    return (map.parent_path() / (map.stem().string() + ".automations.json")).string();
}

// Relays an automation may switch: its own, and those its actions name.
std::vector<std::string> relays_of(const AutomationConfig& a) {
    std::vector<std::string> out;
    if (!a.relay.empty()) out.push_back(a.relay);
    for (const auto& action : a.actions)
        if (!action.channel.empty() && action.kind != AutomationAction::Kind::text) out.push_back(action.channel);
    return out;
}

// Schedules, `at` triggers and time-window conditions: what a change of time zone moves.
bool reads_clock(const AutomationConfig& a) {
    if (a.type == AutomationConfig::Type::schedule) return true;
    if (a.type != AutomationConfig::Type::rule) return false;
    return a.trigger.kind == AutomationTrigger::Kind::schedule ||
           std::any_of(a.conditions.begin(), a.conditions.end(),
                       [](const auto& c) { return c.kind == AutomationCondition::Kind::time; });
}

}  // namespace

AutomationFront::AutomationFront(EventLoop& loop, Door& door, std::function<std::int64_t()> wall_ms)
    : loop_(loop),
      door_(door),
      context_(std::make_unique<Context>(Context{loop, door, nullptr, std::move(wall_ms), [this](const std::string& id) {
          changed(id);
      }})) {
    door_.set_automation_panel(this);
}

AutomationFront::~AutomationFront() {
    if (door_.automation_panel() == this) door_.set_automation_panel(nullptr);
    running_.clear();
    if (context_->channels != nullptr) context_->channels->remove_observer(this);
}

void AutomationFront::set_uplink(Uplink* uplink) { context_->uplink = uplink; }

bool AutomationFront::enabled(const AutomationConfig& config) const {
    auto it = kept_.find(config.id);
    if (it != kept_.end() && it->second.enabled) return *it->second.enabled;
    return config.enabled;
}

void AutomationFront::apply(const DeviceMap& map, Channels& channels) {
    if (stopped_) return;
    if (context_->channels != &channels) {
        if (context_->channels != nullptr) context_->channels->remove_observer(this);
        context_->channels = &channels;
        channels.add_observer(this);
    }
    if (state_file_.empty()) state_file_ = default_state_file(map.path);
    if (!state_loaded_) load_state();

    std::vector<AutomationConfig> previous = std::move(configs_);
    configs_ = map.automations;
    // Another time zone moves every schedule and time window: those automations start again.
    const bool zone_changed = !(context_->zone == map.bridge.time_zone);
    context_->zone = map.bridge.time_zone;
    std::set<std::string> in_next;
    std::vector<std::string> started, restarted, removed;
    for (const auto& config : configs_) {
        in_next.insert(config.id);
        auto old = std::find_if(previous.begin(), previous.end(), [&](const auto& p) { return p.id == config.id; });
        // A kept setpoint holds only while the map's own setpoint is the one it replaced.
        if (auto k = kept_.find(config.id); k != kept_.end() && k->second.setpoint &&
                                            k->second.map_setpoint != config.setpoint) {
            spdlog::info("automation {}: the map's setpoint {:g} replaces the one set at run time ({:g})", config.id,
                         config.setpoint, *k->second.setpoint);
            k->second.setpoint.reset();
            k->second.map_setpoint.reset();
        }
        if (old != previous.end() && old->same_behaviour(config) && !(zone_changed && reads_clock(config)))
            continue;  // keeps running untouched
        std::unique_ptr<Automation> replaced;  // alive until its successor has started
        if (auto it = running_.find(config.id); it != running_.end()) {
            replaced = std::move(it->second);
            running_.erase(it);
        }
        const bool was = replaced != nullptr;
        if (!enabled(config)) continue;
        start_one(config, replaced.get());
        (was || old != previous.end() ? restarted : started).push_back(config.id);
    }
    for (const auto& p : previous) {
        if (in_next.count(p.id) != 0) continue;
        if (running_.erase(p.id) > 0) removed.push_back(p.id);
    }
    if (!previous.empty() || !configs_.empty()) {
        if (previous.empty()) {
            spdlog::info("automations: {} declared, {} running", configs_.size(), running_.size());
        } else {
            spdlog::info("automations: {} running ({} started, {} restarted with their new settings, {} removed)",
                         running_.size(), started.size(), restarted.size(), removed.size());
        }
    }
    warn_shared_relays();
    save_state();
}

void AutomationFront::start_one(const AutomationConfig& config, const Automation* previous) {
    auto automation = make_automation(config, *context_);
    if (previous != nullptr) automation->carry_over(*previous);
    if (auto k = kept_.find(config.id); k != kept_.end() && k->second.setpoint) automation->set_setpoint(*k->second.setpoint);
    Automation& a = *automation;
    running_[config.id] = std::move(automation);
    a.start();
}

void AutomationFront::warn_shared_relays() const {
    std::map<std::string, std::vector<std::string>> by_relay;
    for (const auto& config : configs_) {
        if (!enabled(config)) continue;
        for (const auto& relay : relays_of(config)) {
            auto& list = by_relay[relay];
            if (std::find(list.begin(), list.end(), config.id) == list.end()) list.push_back(config.id);
        }
    }
    for (const auto& [relay, ids] : by_relay) {
        if (ids.size() < 2) continue;
        spdlog::warn("automations: relay {} is switched by {} automations ({}); when they disagree the last switch "
                     "pauses the controllers for their override time",
                     relay, ids.size(), join(ids));
    }
}

void AutomationFront::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (!running_.empty()) spdlog::info("automations: {} stopped", running_.size());
    running_.clear();
}

void AutomationFront::on_reading(const Sensor& sensor) {
    for (auto& [id, a] : running_) a->on_reading(sensor);
}

void AutomationFront::on_relay_change(const Relay& relay, const Cause& cause) {
    for (auto& [id, a] : running_) a->on_relay_change(relay, cause);
}

void AutomationFront::on_status(ChannelKind kind, const std::string& id, const ChannelStatus& status) {
    for (auto& [name, a] : running_) a->on_status(kind, id, status);
}

Status AutomationFront::set_setpoint(const Requester& who, const std::string& id, double value) {
    const std::string action = fmt::format("automation {} setpoint {:g}", id, value);
    auto refuse = [&](Error error) -> Status {
        door_.audit(who, false, action, "refused (" + error.code + "): " + error.message);
        return error;
    };
    auto config = std::find_if(configs_.begin(), configs_.end(), [&](const auto& c) { return c.id == id; });
    if (config == configs_.end()) return refuse(Error{"unknown_automation", "no automation '" + id + "'"});
    if (auto error = may_operate(who, *config)) return refuse(*error);
    if (config->type != AutomationConfig::Type::thermostat)
        return refuse(Error{"not_a_thermostat", "automation '" + id + "' has no setpoint"});
    if (!std::isfinite(value) || value < config->min_setpoint || value > config->max_setpoint)
        return refuse(Error{"out_of_range", fmt::format("setpoint must be within {:g} .. {:g}", config->min_setpoint,
                                                        config->max_setpoint)});
    Kept& k = kept_[id];
    k.setpoint = value;
    k.map_setpoint = config->setpoint;
    if (auto it = running_.find(id); it != running_.end()) it->second->set_setpoint(value);
    save_state();
    door_.audit(who, true, action, "done");
    changed(id);
    return {};
}

Status AutomationFront::set_enabled(const Requester& who, const std::string& id, bool on) {
    const std::string action = std::string("automation ") + id + (on ? " enable" : " disable");
    auto config = std::find_if(configs_.begin(), configs_.end(), [&](const auto& c) { return c.id == id; });
    std::optional<Error> error;
    if (config == configs_.end()) error = Error{"unknown_automation", "no automation '" + id + "'"};
    else error = may_operate(who, *config);
    if (error) {
        door_.audit(who, false, action, "refused (" + error->code + "): " + error->message);
        return *error;
    }
    kept_[id].enabled = on;
    bool running = running_.count(id) != 0;
    // Disabling leaves the relay as it is: the operator decides what it should be now.
    if (!on) running_.erase(id);
    if (on && !running && !stopped_) start_one(*config);
    save_state();
    door_.audit(who, true, action, "done");
    changed(id);
    return {};
}

AutomationStatus AutomationFront::status_of(const AutomationConfig& config) const {
    AutomationStatus status;
    status.id = config.id;
    status.label = config.label;
    status.type = to_string(config.type);
    status.state = "disabled";
    if (config.type != AutomationConfig::Type::rule) status.relay = config.relay;
    if (config.type == AutomationConfig::Type::thermostat) {
        auto k = kept_.find(config.id);
        status.setpoint = k != kept_.end() && k->second.setpoint ? *k->second.setpoint : config.setpoint;
        status.min_setpoint = config.min_setpoint;
        status.max_setpoint = config.max_setpoint;
    }
    if (auto it = running_.find(config.id); it != running_.end()) {
        status.state = to_string(it->second->state());
        status.detail = it->second->detail();
        status.last_fired_ms = it->second->last_fired_ms();
        status.next_fire_ms = it->second->next_fire_ms();
    }
    return status;
}

std::vector<AutomationStatus> AutomationFront::automations() const {
    std::vector<AutomationStatus> out;
    for (const auto& config : configs_) out.push_back(status_of(config));
    return out;
}

void AutomationFront::changed(const std::string& id) const {
    auto config = std::find_if(configs_.begin(), configs_.end(), [&](const auto& c) { return c.id == id; });
    if (config != configs_.end()) door_.automation_changed(status_of(*config));
}

// An operator may act on an automation when it may control the relay the automation drives (a
// token limited to other channels may not); rules, which may switch several, need an unlimited one.
std::optional<Error> AutomationFront::may_operate(const Requester& who, const AutomationConfig& config) const {
    if (who.identity.role < Role::operator_)
        return Error{"forbidden", std::string("role ") + to_string(who.identity.role) + " may not change automations (needs operator)"};
    if (!config.relay.empty()) {
        auto allowed = door_.access().may_control(who.identity, "relay", config.relay);
        if (!allowed.ok()) return allowed.error();
    } else if (who.identity.channels) {
        return Error{"forbidden", "a token limited to channels may not change a rule"};
    }
    return std::nullopt;
}

void AutomationFront::load_state() {
    state_loaded_ = true;
    std::error_code ec;
    if (!std::filesystem::exists(state_file_, ec)) return;
    auto size = std::filesystem::file_size(state_file_, ec);
    if (ec || size > state_max_bytes) {
        spdlog::warn("automations: state file {} is unreadable or too large; starting from the map's settings", state_file_);
        return;
    }
    std::ifstream in(state_file_);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("automations") || !j["automations"].is_object()) {
        spdlog::warn("automations: state file {} is not valid; starting from the map's settings", state_file_);
        return;
    }
    for (const auto& [id, v] : j["automations"].items()) {
        if (!v.is_object()) continue;
        Kept k;
        if (v.contains("setpoint") && v["setpoint"].is_number() && v.contains("map_setpoint") && v["map_setpoint"].is_number()) {
            k.setpoint = v["setpoint"].get<double>();
            k.map_setpoint = v["map_setpoint"].get<double>();
        }
        if (v.contains("enabled") && v["enabled"].is_boolean()) k.enabled = v["enabled"].get<bool>();
        kept_[id] = k;
    }
    spdlog::info("automations: run-time settings read from {}", state_file_);
}

void AutomationFront::save_state() const {
    nlohmann::json automations = nlohmann::json::object();
    for (const auto& config : configs_) {  // only automations of the map: removed ones are forgotten
        auto k = kept_.find(config.id);
        if (k == kept_.end()) continue;
        nlohmann::json v = nlohmann::json::object();
        if (k->second.setpoint) {
            v["setpoint"] = *k->second.setpoint;
            v["map_setpoint"] = *k->second.map_setpoint;
        }
        if (k->second.enabled) v["enabled"] = *k->second.enabled;
        if (!v.empty()) automations[config.id] = v;
    }
    std::error_code ec;
    if (automations.empty() && !std::filesystem::exists(state_file_, ec)) return;  // nothing to keep, no file to make
    nlohmann::json j = {{"version", 1}, {"automations", automations}};
    // Written whole to a temporary file and renamed: a crash leaves the old file or the new one.
    const std::string tmp = state_file_ + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump(2) << '\n';
        out.flush();
        if (!out) {
            spdlog::error("automations: cannot write {}; run-time settings hold until the bridge stops", tmp);
            return;
        }
    }
    std::filesystem::rename(tmp, state_file_, ec);
    if (ec) spdlog::error("automations: cannot replace {}: {}; run-time settings hold until the bridge stops", state_file_, ec.message());
}

}  // namespace hwb::automation
