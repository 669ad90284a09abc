#include "metrics/metrics_front.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace hwb::metrics {

namespace {

constexpr auto lag_interval = std::chrono::milliseconds(500);

// The process's own figures, with the names Prometheus' client libraries use.
void write_process(MetricsWriter& out) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    std::ifstream stat("/proc/self/stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the command name (which may hold spaces) start at state, field 3.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
    auto field = [&](std::size_t n) { return n - 3 < f.size() ? std::stod(f[n - 3]) : 0.0; };
    std::ifstream uptime_file("/proc/uptime");
    double uptime = 0;
    uptime_file >> uptime;
    const double boot = static_cast<double>(wall_clock_ms()) / 1000.0 - uptime;
    out.family("process_cpu_seconds_total", "counter", "User and system CPU time of the process in seconds.")
        .sample("process_cpu_seconds_total", (field(14) + field(15)) / ticks);
    out.family("process_resident_memory_bytes", "gauge", "Resident memory of the process in bytes.")
        .sample("process_resident_memory_bytes", field(24) * page);
    out.family("process_virtual_memory_bytes", "gauge", "Virtual memory of the process in bytes.")
        .sample("process_virtual_memory_bytes", field(23));
    out.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.")
        .sample("process_start_time_seconds", boot + field(22) / ticks);
    double fds = 0;
    if (DIR* dir = opendir("/proc/self/fd")) {
        while (readdir(dir) != nullptr) ++fds;
        closedir(dir);
        fds -= 3;  // ".", ".." and the directory's own descriptor
    }
    out.family("process_open_fds", "gauge", "Open file descriptors of the process.").sample("process_open_fds", fds);
}

// An automation's request reaches the relay as a client's would (through the door, cause
// `client`); its requester's subject says it was one, and the metrics count it apart.
std::string_view switch_cause(const Cause& cause) {
    constexpr std::string_view automation_subject = "automation:";
    if (cause.kind == Cause::Kind::client && cause.subject.compare(0, automation_subject.size(), automation_subject) == 0)
        return "automation";
    return to_string(cause.kind);
}

}  // namespace

MetricsFront::MetricsFront(EventLoop& loop, std::string version)
    : loop_(loop),
      version_(std::move(version)),
      lag_({0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}),
      lag_timer_(loop, [this] { tick(); }) {
    lag_due_ = loop_.now() + lag_interval;
    lag_timer_.start(lag_interval);
}

MetricsFront::~MetricsFront() {
    if (channels_ != nullptr) channels_->remove_observer(this);
}

void MetricsFront::attach(Channels& channels) {
    if (channels_ == &channels) return;
    if (channels_ != nullptr) channels_->remove_observer(this);
    channels_ = &channels;
    channels.add_observer(this);
}

// The loop's lag: how late a timer fires against when it was due (a callback that blocks the loop
// shows here first).
void MetricsFront::tick() {
    auto now = loop_.now();
    lag_.observe(std::chrono::duration<double>(now - lag_due_).count());
    lag_due_ = now + lag_interval;
    lag_timer_.start(lag_interval);
}

void MetricsFront::on_relay_change(const Relay& relay, const Cause& cause) {
    if (relay.transitioned()) ++switches_[{relay.id(), std::string(switch_cause(cause))}];
}

void MetricsFront::on_relay_failure(const Relay& relay, const RelayFailure& failure) {
    ++write_failures_[{relay.id(), failure.error.code}];
}

std::string MetricsFront::render() const {
    MetricsWriter out;
    out.family("hwbridge_build_info", "gauge", "The running hwbridge's version (always 1).")
        .sample("hwbridge_build_info", {{"version", version_}}, 1);
    if (channels_ != nullptr) {
        out.family("hwbridge_sensor_value", "gauge", "Last value of each sensor, in the unit its unit label names.");
        for (const auto& s : channels_->sensors())
            if (s->last()) out.sample("hwbridge_sensor_value", {{"channel", s->id()}, {"unit", s->info().unit}}, s->last()->value);
        out.family("hwbridge_sensor_last_reading_timestamp_seconds", "gauge",
                   "Time of each sensor's last reading since the Unix epoch in seconds.");
        for (const auto& s : channels_->sensors())
            if (s->last())
                out.sample("hwbridge_sensor_last_reading_timestamp_seconds", {{"channel", s->id()}},
                           static_cast<double>(s->last()->time_ms) / 1000.0);
        // A sensor's sequence number counts its readings (a channel a reload made anew starts again at 0).
        out.family("hwbridge_sensor_readings_total", "counter", "Readings received from the driver, per sensor.");
        for (const auto& s : channels_->sensors())
            out.sample("hwbridge_sensor_readings_total", {{"channel", s->id()}}, static_cast<double>(s->last() ? s->last()->seq : 0));
        out.family("hwbridge_relay_state", "gauge", "1 for the confirmed state of each relay (on, off or unknown), else 0.");
        for (const auto& r : channels_->relays())
            for (RelayState state : {RelayState::on, RelayState::off, RelayState::unknown})
                out.sample("hwbridge_relay_state", {{"channel", r->id()}, {"state", to_string(state)}}, r->state() == state ? 1 : 0);
        out.family("hwbridge_channel_online", "gauge", "1 while the channel's device is reachable, else 0.");
        for (const auto& s : channels_->sensors())
            out.sample("hwbridge_channel_online", {{"kind", "sensor"}, {"channel", s->id()}}, s->status().online ? 1 : 0);
        for (const auto& r : channels_->relays())
            out.sample("hwbridge_channel_online", {{"kind", "relay"}, {"channel", r->id()}}, r->status().online ? 1 : 0);
        for (const auto& t : channels_->texts())
            out.sample("hwbridge_channel_online", {{"kind", "text"}, {"channel", t->id()}}, t->status().online ? 1 : 0);
    }
    out.family("hwbridge_relay_switches_total", "counter", "Relay state changes confirmed by the hardware, by cause.");
    for (const auto& [key, n] : switches_)
        out.sample("hwbridge_relay_switches_total", {{"channel", key.first}, {"cause", key.second}}, static_cast<double>(n));
    out.family("hwbridge_relay_write_failures_total", "counter", "Relay writes the hardware did not carry out, by error code.");
    for (const auto& [key, n] : write_failures_)
        out.sample("hwbridge_relay_write_failures_total", {{"channel", key.first}, {"code", key.second}}, static_cast<double>(n));
    lag_.write(out, "hwbridge_event_loop_lag_seconds", "How late a periodic timer fired on the event loop, in seconds.");
    for (const auto& source : sources_) source(out);
    write_process(out);
    return out.text();
}

}  // namespace hwb::metrics
