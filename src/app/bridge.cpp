#include "app/bridge.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "app/logging.h"
#include "app/map_file.h"
#include "app/shutdown.h"
#include "auth/secret.h"
#include "core/text.h"
#include "devicemap/json_schema.h"
#include "devicemap/loader.h"

namespace hwb::app {

namespace {

bool same_sensor(const SensorConfig& a, const SensorConfig& b) {
    return a.info.id == b.info.id && a.info.type == b.info.type && a.info.min == b.info.min &&
           a.info.max == b.info.max && a.options.all() == b.options.all();
}
bool same_relay(const RelayConfig& a, const RelayConfig& b) {
    return a.info.id == b.info.id && a.options.all() == b.options.all();
}
bool same_text(const TextConfig& a, const TextConfig& b) {
    return a.info.id == b.info.id && a.options.all() == b.options.all();
}
template <class T, class Same>
bool same_list(const std::vector<T>& a, const std::vector<T>& b, Same same) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i])) return false;
    return true;
}

// Found channels compare by everything they were found with (labels and display hints too: a
// remote's new label is a change the hub follows).
bool same_found_sensor(const SensorConfig& a, const SensorConfig& b) {
    const auto &x = a.info, &y = b.info;
    return same_sensor(a, b) && x.label == y.label && x.unit == y.unit && x.precision == y.precision &&
           x.origin == y.origin && x.ui == y.ui && x.words == y.words;
}
bool same_found_relay(const RelayConfig& a, const RelayConfig& b) {
    return same_relay(a, b) && a.info.label == b.info.label && a.info.origin == b.info.origin && a.info.ui == b.info.ui &&
           a.info.words == b.info.words;
}
bool same_found_text(const TextConfig& a, const TextConfig& b) {
    return same_text(a, b) && a.info.label == b.info.label && a.info.max_line_bytes == b.info.max_line_bytes &&
           a.info.origin == b.info.origin && a.info.ui == b.info.ui;
}
bool same_found_channels(const FoundChannels& a, const FoundChannels& b) {
    return same_list(a.sensors, b.sensors, same_found_sensor) && same_list(a.relays, b.relays, same_found_relay) &&
           same_list(a.texts, b.texts, same_found_text);
}

const DeviceConfig* find_device(const DeviceMap& map, const std::string& id) {
    for (const auto& d : map.devices)
        if (d.id == id) return &d;
    return nullptr;
}

std::vector<MapProblem> problems_of(const std::vector<Diagnostic>& errors) {
    std::vector<MapProblem> out;
    for (const auto& e : errors) out.push_back(MapProblem{e.where.line, e.where.column, e.message});
    return out;
}

// Why the secret file of `auth` cannot be used, at the map location of `secret_file`; nullopt
// when there is none or it can. `read`: the file already read, else it is read here.
std::optional<MapProblem> secret_problem(const AuthConfig& auth, const Result<std::string>* read = nullptr) {
    if (auth.secret_file.empty()) return std::nullopt;
    std::optional<Result<std::string>> own;
    if (read == nullptr) read = &own.emplace(auth::read_secret_file(auth.secret_file));
    if (read->ok()) return std::nullopt;
    return MapProblem{auth.secret_file_where.line, auth.secret_file_where.column, read->error().message};
}

// "label, unit changed" for the fields of one channel that differ, empty when none do.
class FieldChanges {
public:
    template <class T>
    FieldChanges& check(const char* name, const T& a, const T& b) {
        if (!(a == b)) names_.push_back(name);
        return *this;
    }
    void report(std::vector<std::string>& summary, const std::string& what) const {
        if (names_.empty()) return;
        summary.push_back(what + ": " + join(names_) + " changed");
    }

private:
    std::vector<std::string> names_;
};

template <class T>
const T* find_channel(const std::vector<T>& list, const std::string& id) {
    for (const auto& c : list)
        if (c.info.id == id) return &c;
    return nullptr;
}

// on_text and off_text as one change ("words changed").
std::pair<std::string, std::string> words_of(const ChannelWords& words) { return {words.on_text, words.off_text}; }

// What a reload changes in a device that keeps running: labels, units, policies, access.
void describe_kept(const DeviceConfig& running, const DeviceConfig& next, const AuthConfig& old_auth,
                   const AuthConfig& new_auth, std::vector<std::string>& summary) {
    FieldChanges().check("label", running.label, next.label).report(summary, "device " + next.id);
    for (const auto& s : next.sensors) {
        const auto* old = find_channel(running.sensors, s.info.id);
        if (old == nullptr) continue;
        FieldChanges()
            .check("label", old->info.label, s.info.label)
            .check("unit", old->info.unit, s.info.unit)
            .check("precision", old->info.precision, s.info.precision)
            .check("history", old->info.history_window_ms, s.info.history_window_ms)
            .check("history spacing", old->info.history_spacing_ms, s.info.history_spacing_ms)
            .check("device_class", old->info.words.device_class, s.info.words.device_class)
            .check("words", words_of(old->info.words), words_of(s.info.words))
            .check("ui", old->info.ui, s.info.ui)
            .report(summary, "sensor " + s.info.id);
    }
    for (const auto& r : next.relays) {
        const auto* old = find_channel(running.relays, r.info.id);
        if (old == nullptr) continue;
        FieldChanges()
            .check("label", old->info.label, r.info.label)
            .check("initial state", old->info.initial_on, r.info.initial_on)
            .check("safe state", old->info.safe_state, r.info.safe_state)
            .check("max_on", old->info.max_on_ms, r.info.max_on_ms)
            .check("min_on", old->info.min_on_ms, r.info.min_on_ms)
            .check("min_off", old->info.min_off_ms, r.info.min_off_ms)
            .check("interlock", old->info.interlock, r.info.interlock)
            .check("control", old_auth.control_role(r.info.id), new_auth.control_role(r.info.id))
            .check("device_class", old->info.words.device_class, r.info.words.device_class)
            .check("words", words_of(old->info.words), words_of(r.info.words))
            .check("ui", old->info.ui, r.info.ui)
            .report(summary, "relay " + r.info.id);
    }
    for (const auto& t : next.texts) {
        const auto* old = find_channel(running.texts, t.info.id);
        if (old == nullptr) continue;
        FieldChanges()
            .check("label", old->info.label, t.info.label)
            .check("history_lines", old->info.history_lines, t.info.history_lines)
            .check("max_line_bytes", old->info.max_line_bytes, t.info.max_line_bytes)
            .check("control", old_auth.control_role(t.info.id), new_auth.control_role(t.info.id))
            .check("ui", old->info.ui, t.info.ui)
            .report(summary, "text " + t.info.id);
    }
}

bool same_tokens(const std::vector<MachineToken>& a, const std::vector<MachineToken>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].name != b[i].name || a[i].sha256 != b[i].sha256 || a[i].role != b[i].role ||
            a[i].channels != b[i].channels)
            return false;
    return true;
}

// The bridge-wide settings that differ; those the running server cannot change say so.
void describe_bridge(const BridgeConfig& old_bridge, const BridgeConfig& new_bridge, const AuthConfig& old_auth,
                     const AuthConfig& new_auth, std::vector<std::string>& summary) {
    if (old_bridge.tls != new_bridge.tls) summary.push_back("bridge.tls changed: takes effect after a restart");
    FieldChanges()
        .check("name", old_bridge.name, new_bridge.name)
        .check("allowed_origins", old_bridge.allowed_origins, new_bridge.allowed_origins)
        .check("allowed_hosts", old_bridge.allowed_hosts, new_bridge.allowed_hosts)
        .check("max_message_bytes", old_bridge.max_message_bytes, new_bridge.max_message_bytes)
        .check("log_level", old_bridge.log_level, new_bridge.log_level)
        .check("ping", old_bridge.ping_interval, new_bridge.ping_interval)
        .check("ping_timeout", old_bridge.ping_timeout, new_bridge.ping_timeout)
        .check("limits", old_bridge.limits, new_bridge.limits)
        .check("time_zone", old_bridge.time_zone, new_bridge.time_zone)
        .report(summary, "bridge");
    FieldChanges()
        .check("secret_file", old_auth.secret_file, new_auth.secret_file)
        .check("allow_anonymous", old_auth.allow_anonymous, new_auth.allow_anonymous)
        .check("passphrase", old_auth.passphrase_hash, new_auth.passphrase_hash)
        .check("passphrase role", old_auth.passphrase_role, new_auth.passphrase_role)
        .check("passphrase ttl", old_auth.passphrase_ttl, new_auth.passphrase_ttl)
        .check("tokens", same_tokens(old_auth.machine_tokens, new_auth.machine_tokens), true)
        .report(summary, "auth");
}

bool is_found(const Options& options) { return options.has("imported"); }

// The device without its found channels (those the map names stay).
DeviceConfig without_found(DeviceConfig device) {
    auto strip = [](auto& list) {
        list.erase(std::remove_if(list.begin(), list.end(), [](const auto& c) { return is_found(c.options); }), list.end());
    };
    strip(device.sensors);
    strip(device.relays);
    strip(device.texts);
    return device;
}

std::size_t found_count(const DeviceConfig& device) {
    std::size_t n = 0;
    for (const auto& s : device.sensors) n += is_found(s.options) ? 1 : 0;
    for (const auto& r : device.relays) n += is_found(r.options) ? 1 : 0;
    for (const auto& t : device.texts) n += is_found(t.options) ? 1 : 0;
    return n;
}

DeviceMap with_origins(DeviceMap map, const DriverRegistry& drivers) {
    add_found_channels(map, drivers, {}, nullptr);
    return map;
}

}  // namespace

void add_found_channels(DeviceMap& map, const DriverRegistry& drivers, const std::map<std::string, Bridge::Found>& found,
                        std::vector<std::string>* notes) {
    std::set<std::string> ids;
    for (auto& device : map.devices) {
        device = without_found(std::move(device));
        for (const auto& s : device.sensors) ids.insert(s.info.id);
        for (const auto& r : device.relays) ids.insert(r.info.id);
        for (const auto& t : device.texts) ids.insert(t.info.id);
    }
    for (auto& device : map.devices) {
        const DriverInfo* driver = drivers.find(device.driver);
        const std::string origin = driver != nullptr && driver->origin ? driver->origin(device) : std::string();
        for (auto& s : device.sensors) s.info.origin = origin;
        for (auto& r : device.relays) r.info.origin = origin;
        for (auto& t : device.texts) t.info.origin = origin;
        auto it = found.find(device.id);
        if (it == found.end() || it->second.device_options != device.options.all()) continue;
        auto add = [&](const auto& list, auto& into, const char* kind) {
            for (const auto& c : list) {
                if (!ids.insert(c.info.id).second) {
                    if (notes != nullptr)
                        notes->push_back(std::string(kind) + " " + c.info.id + " of bridge " + c.info.origin +
                                         ": not imported, the map has a channel of that id");
                    continue;
                }
                into.push_back(c);
            }
        };
        add(it->second.channels.sensors, device.sensors, "sensor");
        add(it->second.channels.relays, device.relays, "relay");
        add(it->second.channels.texts, device.texts, "text");
    }
}

bool same_hardware(const DeviceConfig& running, const DeviceConfig& next) {
    return running.id == next.id && running.driver == next.driver && running.options.all() == next.options.all() &&
           same_list(running.sensors, next.sensors, same_sensor) && same_list(running.relays, next.relays, same_relay) &&
           same_list(running.texts, next.texts, same_text);
}

struct Bridge::Plan {
    DeviceMap next;
    std::string text;
    std::function<void(MapApplyResult)> done;
    std::vector<std::string> closing;    // removed or reopened: closed, channels dropped
    std::vector<std::string> opening;    // added or reopened: channels added, opened
    std::vector<std::string> kept;
    std::set<std::string> import_only;   // reopened for their found channels alone
    std::vector<std::string> summary;
    std::size_t pending = 1;             // safe-state writes not yet answered, +1 while starting them
    std::unique_ptr<Timer> step;         // the deadline, or (at 0 s) the finish once all answered
    std::string secret;                  // the new map's auth.secret_file content
    ListenAddress map_listen;            // bridge.listen as the new map says it
    bool finished = false;
};

Bridge::Bridge(const DriverRegistry& drivers, Server& server, DeviceMap map, std::string text, Overrides overrides)
    : drivers_(drivers),
      server_(server),
      map_(with_origins(std::move(map), drivers)),
      text_(std::move(text)),
      version_(map_version(text_)),
      log_level_fixed_(overrides.log_level),
      listen_overridden_(overrides.map_listen.has_value()),
      map_listen_(overrides.map_listen.value_or(ListenAddress{map_.bridge.listen_host, map_.bridge.listen_port})),
      channels_(std::make_unique<Channels>(map_, server.loop())),
      context_{server.loop(), *channels_, {}} {
    context_.found_channels = [this](const std::string& device_id, FoundChannels found) {
        on_found(device_id, std::move(found));
    };
    reimport_ = std::make_unique<Timer>(server.loop(), [this] { reimport(); });
    server_.attach(*channels_);
    server_.set_map_admin(this);
}

void Bridge::on_found(const std::string& device_id, FoundChannels found) {
    const DeviceConfig* device = find_device(map_, device_id);
    if (device == nullptr) return;
    auto it = found_.find(device_id);
    if (it != found_.end() && it->second.device_options == device->options.all() &&
        same_found_channels(it->second.channels, found))
        return;
    found_[device_id] = Found{std::move(found), device->options.all()};
    // Never from inside the device's callback: the reload closes that device.
    reimport_->start(std::chrono::milliseconds(0));
}

void Bridge::reimport() {
    if (reloading_) {
        reimport_after_reload_ = true;
        return;
    }
    DeviceMap next = map_;
    // The running map with the listen address as its text says it (not a change when --listen
    // overrides it).
    next.bridge.listen_host = map_listen_.host;
    next.bridge.listen_port = map_listen_.port;
    reload(std::move(next), text_, [](const MapApplyResult&) {});
}

// The server goes first (its sessions point into the channels); it must not be touched here.
Bridge::~Bridge() { close_devices(); }

std::unique_ptr<Device> Bridge::open(const DeviceConfig& device) {
    return drivers_.find(device.driver)->create(device, context_);
}

void Bridge::start() {
    for (const auto& device : map_.devices) devices_[device.id] = open(device);
    for (const auto& device : map_.devices) devices_[device.id]->start();
}

void Bridge::close_devices() {
    devices_.clear();
}

std::string Bridge::describe(const std::string& device_id) const {
    auto it = devices_.find(device_id);
    return it == devices_.end() ? std::string("closed") : it->second->describe();
}

DeviceCounters Bridge::device_counters(const std::string& device_id) const {
    auto it = devices_.find(device_id);
    return it == devices_.end() || !it->second ? DeviceCounters{} : it->second->device_counters();
}

MapDocument Bridge::current() const {
    return MapDocument{map_.path, text_, version_};
}

std::string Bridge::schema() const {
    return nlohmann::ordered_json::parse(devicemap::json_schema(drivers_)).dump();
}

std::vector<MapProblem> Bridge::validate(const std::string& text, bool admin) const {
    auto loaded = load_device_map_string(text, map_.path, drivers_, LoadOptions{.probe_files = admin});
    auto problems = problems_of(loaded.errors);
    // Apply reads the secret file and refuses the map if it cannot: an admin hears it now, not
    // "ok" and then a refusal. Nobody else learns anything about the file.
    if (admin && loaded.map) {
        if (auto problem = secret_problem(loaded.map->auth)) problems.push_back(std::move(*problem));
    }
    return problems;
}

void Bridge::apply(const std::string& text, const std::string& base_version, bool save,
                   std::function<void(MapApplyResult)> done) {
    MapApplyResult result;
    result.version = version_;
    if (reloading_) {
        result.error = Error{"busy", "a reload is in progress; try again in a moment"};
        return done(std::move(result));
    }
    if (base_version != version_) {
        result.error = Error{"stale", "the running map changed since this draft was started (version " + base_version +
                                          ", running " + version_ + ")"};
        return done(std::move(result));
    }
    auto loaded = load_device_map_string(text, map_.path, drivers_);
    if (!loaded.ok()) {
        result.error = Error{"invalid", std::to_string(loaded.error_count) + " error(s) in the map"};
        result.problems = problems_of(loaded.errors);
        return done(std::move(result));
    }
    if (save) {
        // Someone may have edited the file by hand since it was loaded: never overwrite that.
        auto on_disk = read_map_file(map_.path);
        if (on_disk.ok() && map_version(on_disk.value()) != version_) {
            result.error = Error{"stale", map_.path + " changed on disk since it was loaded; reload it first"};
            return done(std::move(result));
        }
        if (auto saved = save_map_file(map_.path, text); !saved.ok()) {
            result.error = saved.error();
            return done(std::move(result));
        }
        spdlog::info("map saved to {} (previous version kept as {}.bak)", map_.path, map_.path);
    }
    reload(std::move(*loaded.map), text, std::move(done));
}

void Bridge::reload_from_file() {
    auto text = read_map_file(map_.path);
    if (!text.ok()) {
        spdlog::error("reload: {}; the running map stays", text.error().message);
        return;
    }
    if (reloading_) {
        spdlog::warn("reload: a reload is already in progress; ignored");
        return;
    }
    auto loaded = load_device_map_file(map_.path, drivers_);
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) spdlog::error("reload: {}", e.str());
        spdlog::error("reload: {} has {} error(s); the running map stays", map_.path, loaded.error_count);
        return;
    }
    reload(std::move(*loaded.map), text.value(), [](const MapApplyResult&) {});
}

void Bridge::reload(DeviceMap next, std::string text, std::function<void(MapApplyResult)> done) {
    // The signing secret is read now: a map whose secret file cannot be read is refused whole.
    auto secret = auth::read_secret_file(next.auth.secret_file);
    if (!next.auth.secret_file.empty() && !secret.ok()) {
        spdlog::error("reload: {}: {}; the running map stays", next.auth.secret_file_where.str(), secret.error().message);
        MapApplyResult result;
        result.version = version_;
        result.error = Error{"invalid", "the map's auth.secret_file cannot be used"};
        result.problems.push_back(*secret_problem(next.auth, &secret));
        return done(std::move(result));
    }
    auto plan = std::make_shared<Plan>();
    // Forget what was found for devices that are gone; add what was found to those still there.
    for (auto it = found_.begin(); it != found_.end();)
        it = find_device(next, it->first) == nullptr ? found_.erase(it) : std::next(it);
    add_found_channels(next, drivers_, found_, &plan->summary);
    if (!next.auth.secret_file.empty()) plan->secret = secret.value();
    next.path = map_.path;
    plan->next = std::move(next);
    plan->text = std::move(text);
    plan->done = std::move(done);
    std::set<std::string> in_next;
    for (const auto& device : plan->next.devices) {
        in_next.insert(device.id);
        const DeviceConfig* running = find_device(map_, device.id);
        if (running == nullptr) {
            plan->opening.push_back(device.id);
            plan->summary.push_back("device " + device.id + ": added");
        } else if (same_hardware(*running, device)) {
            plan->kept.push_back(device.id);
            describe_kept(*running, device, map_.auth, plan->next.auth, plan->summary);
        } else if (same_hardware(without_found(*running), without_found(device))) {
            // Only the channels found on another bridge changed: reopened with them, and no relay
            // goes to its safe state for it (the other bridge holds them).
            plan->closing.push_back(device.id);
            plan->opening.push_back(device.id);
            plan->import_only.insert(device.id);
            describe_kept(*running, device, map_.auth, plan->next.auth, plan->summary);
            const DriverInfo* driver = drivers_.find(device.driver);
            const std::string from = driver != nullptr && driver->origin ? driver->origin(device) : device.id;
            plan->summary.push_back("device " + device.id + ": " + std::to_string(found_count(device)) +
                                    " channel(s) imported from bridge " + from +
                                    " (were " + std::to_string(found_count(*running)) + ")");
        } else {
            plan->closing.push_back(device.id);
            plan->opening.push_back(device.id);
            plan->summary.push_back("device " + device.id + ": reopened with its new settings");
        }
    }
    for (const auto& device : map_.devices) {
        if (in_next.count(device.id) == 0) {
            plan->closing.push_back(device.id);
            plan->summary.push_back("device " + device.id + ": removed");
        }
    }
    // The listen address is compared as the map files say it: --listen is not a map change, and
    // the running map keeps the address the server listens on.
    const ListenAddress map_listen{plan->next.bridge.listen_host, plan->next.bridge.listen_port};
    if (map_listen.host != map_listen_.host || map_listen.port != map_listen_.port)
        plan->summary.push_back(listen_overridden_ ? "bridge.listen changed: --listen is used while it is given"
                                                   : "bridge.listen changed: takes effect after a restart");
    plan->map_listen = map_listen;
    plan->next.bridge.listen_host = map_.bridge.listen_host;
    plan->next.bridge.listen_port = map_.bridge.listen_port;
    describe_bridge(map_.bridge, plan->next.bridge, map_.auth, plan->next.auth, plan->summary);
    reloading_ = plan;

    // Relays of devices about to close go to their safe state first (cause reload). The rest runs
    // from its own loop callback, never inside a driver's reply (the device is about to go).
    plan->step = std::make_unique<Timer>(server_.loop(), [this, weak = std::weak_ptr<Plan>(plan)] {
        auto plan = weak.lock();
        if (!plan) return;
        if (plan->pending > 0)
            spdlog::error("reload: {} relay(s) did not confirm their safe state within {} s; going on", plan->pending,
                          safe_state_deadline.count());
        finish(plan);
    });
    plan->step->start(safe_state_deadline);
    for (const auto& id : plan->closing) {
        if (plan->import_only.count(id) != 0) continue;
        const DeviceConfig* running = find_device(map_, id);
        for (const auto& r : running->relays) {
            Relay* relay = channels_->relay(r.info.id);
            if (relay == nullptr || !r.info.safe_state) continue;
            ++plan->pending;
            plan->summary.push_back("relay " + r.info.id + ": safe state " + (*r.info.safe_state ? "on" : "off") +
                                    " before its device closes");
            relay->apply_safe_state(
                [this, plan, id = r.info.id](const Result<RelayState>& result) {
                    if (!result.ok())
                        spdlog::error("reload: relay {}: safe state not confirmed: {}", id, result.error().message);
                    if (--plan->pending == 0) plan->step->start(std::chrono::seconds(0));
                },
                Cause::of(Cause::Kind::reload));
        }
    }
    if (--plan->pending == 0) plan->step->start(std::chrono::seconds(0));
}

void Bridge::finish(std::shared_ptr<Plan> plan) {
    if (plan->finished) return;
    plan->finished = true;
    plan->step->cancel();

    server_.channels_changing();
    for (const auto& id : plan->closing) {
        devices_.erase(id);  // the driver unbinds from its channels
        channels_->remove_device(id);
    }
    for (const auto& id : plan->opening) channels_->add_device(*find_device(plan->next, id));
    for (const auto& id : plan->kept) channels_->update_device(*find_device(plan->next, id));
    channels_->arrange(plan->next);
    std::vector<std::string> started;
    for (const auto& id : plan->opening) {
        const DeviceConfig& device = *find_device(plan->next, id);
        try {
            devices_[id] = open(device);
            started.push_back(id);
        } catch (const std::exception& e) {
            // Drivers report hardware trouble as offline channels; this is a bug, but not one
            // that may take the running bridge down.
            spdlog::error("reload: device {} could not be created: {}", id, e.what());
            plan->summary.push_back("device " + id + ": could not be created: " + e.what());
        }
    }
    map_ = std::move(plan->next);
    map_listen_ = plan->map_listen;
    text_ = std::move(plan->text);
    version_ = map_version(text_);
    if (!log_level_fixed_) set_log_level(to_string(map_.bridge.log_level));
    server_.set_auth(map_.auth, std::move(plan->secret));
    server_.channels_changed(map_.bridge);
    if (reloaded_) reloaded_();
    for (const auto& id : started) devices_[id]->start();

    if (plan->summary.empty()) plan->summary.push_back("nothing changed");
    spdlog::info("map reloaded from {} (version {})", map_.path, version_);
    for (const auto& line : plan->summary) spdlog::info("  {}", line);
    // The plan's timer may be the one running this: keep it alive until the next reload.
    finished_ = std::move(reloading_);
    MapApplyResult result;
    result.version = version_;
    result.summary = std::move(plan->summary);
    auto done = std::move(plan->done);
    done(std::move(result));
    if (reimport_after_reload_) {
        reimport_after_reload_ = false;
        reimport_->start(std::chrono::milliseconds(0));
    }
}

}  // namespace hwb::app
