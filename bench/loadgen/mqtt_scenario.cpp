// MQTT path: serial (pty) -> hwbridge -> mosquitto -> one subscriber in this process, at a fixed
// rate and QoS, with every reading counted end to end (docs/performance.md, "MQTT uplink").
// The WebSocket path at the same rate is the fan-out scenario with one client.
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "daemon_process.h"
#include "histogram.h"
#include "launch.h"
#include "pty_pair.h"
#include "report.h"
#include "scenarios.h"
#include "ws_pool.h"

namespace hwb::bench {
namespace {

using nlohmann::json;

constexpr std::uint64_t mqtt_seq_factor = 1000000000;  // as the fan-out: seq * 1e9 + µs

std::uint16_t mqtt_free_port() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

// Debian's mosquitto on a free loopback port, stopped at destruction.
class BenchBroker {
public:
    explicit BenchBroker(const std::string& dir) : port_(mqtt_free_port()) {
        std::string conf = dir + "/mosquitto.conf";
        std::ofstream(conf) << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                            << "max_queued_messages 100000\n";
        pid_ = launch::spawn("/usr/sbin/mosquitto", {"-c", conf}, dir + "/mosquitto.log", dir + "/mosquitto.log");
    }
    ~BenchBroker() { launch::stop(pid_, SIGTERM, std::chrono::milliseconds(3000)); }
    BenchBroker(const BenchBroker&) = delete;
    BenchBroker& operator=(const BenchBroker&) = delete;
    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }

private:
    std::uint16_t port_;
    pid_t pid_ = -1;
};

// What the subscriber saw; written by libmosquitto's thread, read after it stopped.
struct MqttReceived {
    std::mutex mutex;
    Histogram latency;
    std::uint64_t received = 0, duplicates = 0, out_of_order = 0, last_seq = 0, first_seq = 0;
    bool online = false;
    std::int64_t epoch = 0;
};

void mqtt_on_message(mosquitto*, void* self, const mosquitto_message* m) {
    auto* r = static_cast<MqttReceived*>(self);
    std::string topic = m->topic;
    std::string payload(static_cast<const char*>(m->payload), m->payload ? static_cast<std::size_t>(m->payloadlen) : 0);
    std::lock_guard<std::mutex> lock(r->mutex);
    if (topic == "bench/status") {
        r->online = payload == "online";
        return;
    }
    auto v = static_cast<std::uint64_t>(std::llround(std::strtod(payload.c_str(), nullptr)));
    std::uint64_t seq = v / mqtt_seq_factor;
    auto sent = static_cast<std::int64_t>(v % mqtt_seq_factor);
    r->latency.record(now_us() - r->epoch - sent);
    if (seq == r->last_seq) {
        ++r->duplicates;
    } else if (seq < r->last_seq) {
        ++r->out_of_order;
    } else {
        ++r->received;
        if (r->first_seq == 0) r->first_seq = seq;
        r->last_seq = seq;
    }
}

std::uint64_t mqtt_cpu_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string f;
    std::uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) utime = std::stoull(f);
        if (i == 15) stime = std::stoull(f);
    }
    return utime + stime;
}

}  // namespace

int run_mqtt(const Options& o) {
    const std::string name = "mqtt-qos" + std::to_string(o.qos) + "-r" + std::to_string(o.rate);
    std::string dir = o.out + "/" + name + ".broker";
    std::filesystem::create_directories(dir);
    BenchBroker broker(dir);
    // The broker accepts connections once its listener is open.
    mosquitto_lib_init();
    MqttReceived rx;
    mosquitto* sub = mosquitto_new(("bench-sub-" + std::to_string(::getpid())).c_str(), true, &rx);
    mosquitto_message_callback_set(sub, &mqtt_on_message);
    auto connect_deadline = now_us() + 10000000;
    while (mosquitto_connect(sub, "127.0.0.1", broker.port(), 30) != MOSQ_ERR_SUCCESS) {
        if (now_us() > connect_deadline) throw std::runtime_error("mosquitto did not start");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    mosquitto_subscribe(sub, nullptr, "bench/sensor/stamp", o.qos);
    mosquitto_subscribe(sub, nullptr, "bench/status", 1);
    mosquitto_loop_start(sub);

    PtyPair pty;
    std::string map = [&] {
        std::ifstream in(o.maps + "/serial-sensor.yaml");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (auto at = text.find("@PORT@"); at != std::string::npos; at = text.find("@PORT@")) text.replace(at, 6, pty.path());
        return text + "mqtt:\n  port: " + std::to_string(broker.port()) + "\n  prefix: bench\n  discovery: false\n" +
               "  readings_qos: " + std::to_string(o.qos) + "\n";
    }();
    DaemonProcess daemon(o.binary, map, o.out + "/" + name + ".daemon.log", o.daemon_cpu);
    json result = {{"name", name}, {"scenario", "mqtt"}, {"qos", o.qos}, {"rate", o.rate}};
    auto online_deadline = now_us() + 15000000;
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(rx.mutex);
            if (rx.online) break;
        }
        if (now_us() > online_deadline) {
            result["error"] = "the bridge did not come online at the broker";
            mosquitto_loop_stop(sub, true);
            mosquitto_destroy(sub);
            write_report(o.out, result, rx.latency, nullptr);
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    {
        std::lock_guard<std::mutex> lock(rx.mutex);
        rx.epoch = now_us();
    }
    const std::int64_t epoch = rx.epoch;
    ProcSample start = daemon.sample();
    std::uint64_t broker_start = mqtt_cpu_ticks(broker.pid());
    std::uint64_t rss_max = start.rss_kb;
    std::uint64_t seq = 0;
    std::string pending;
    const std::int64_t period_us = 1000000 / std::max(o.rate, 1);
    const std::int64_t end_us = now_us() + static_cast<std::int64_t>(o.duration_s * 1e6);
    std::int64_t next = now_us();
    char line[64];
    while (now_us() < end_us) {
        std::int64_t now = now_us();
        while (next <= now) {
            ++seq;
            int len = std::snprintf(line, sizeof line, "%llu\n",
                                    static_cast<unsigned long long>(seq * mqtt_seq_factor +
                                                                    static_cast<std::uint64_t>(now - epoch)));
            pending.append(line, static_cast<std::size_t>(len));
            next += period_us;
        }
        while (!pending.empty()) {
            ssize_t n = ::write(pty.master(), pending.data(), pending.size());
            if (n <= 0) break;
            pending.erase(0, static_cast<std::size_t>(n));
        }
        if (seq % 100 == 0) rss_max = std::max(rss_max, daemon.sample().rss_kb);
        std::this_thread::sleep_for(std::chrono::microseconds(std::max<std::int64_t>(0, next - now_us())));
    }
    ProcSample end = daemon.sample();
    std::uint64_t broker_end = mqtt_cpu_ticks(broker.pid());
    // Drain: until the last reading arrived or nothing came for 2 s.
    std::uint64_t last = 0;
    std::int64_t quiet_since = now_us();
    for (;;) {
        std::uint64_t got = 0, last_seq = 0;
        {
            std::lock_guard<std::mutex> lock(rx.mutex);
            got = rx.received;
            last_seq = rx.last_seq;
        }
        if (last_seq >= seq) break;
        if (got != last) {
            last = got;
            quiet_since = now_us();
        } else if (now_us() - quiet_since > 2000000) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    mosquitto_disconnect(sub);
    mosquitto_loop_stop(sub, true);
    mosquitto_destroy(sub);
    double seconds = static_cast<double>(end.at_us - start.at_us) / 1e6;
    long hz = ::sysconf(_SC_CLK_TCK);
    result["lines_written"] = seq;
    result["duration_s"] = o.duration_s;
    // The serial framer skips the bytes before the first line end after it opens the port (they
    // may be half a line): lines written before it are not the uplink's to lose.
    std::uint64_t skipped = rx.first_seq > 0 ? rx.first_seq - 1 : 0;
    std::uint64_t expected = seq - std::min(seq, skipped);
    result["skipped_at_open"] = skipped;
    result["expected"] = expected;
    result["delivered"] = rx.received;
    result["lost"] = expected > rx.received ? expected - rx.received : 0;
    result["duplicates"] = rx.duplicates;
    result["out_of_order"] = rx.out_of_order;
    result["latency_us"] = latency_json(rx.latency);
    result["cpu_percent"] = std::round(DaemonProcess::cpu_percent(start, end) * 10) / 10;
    result["cpu_sys_percent"] = std::round(DaemonProcess::sys_percent(start, end) * 10) / 10;
    result["broker_cpu_percent"] =
        seconds > 0 ? std::round(1000.0 * static_cast<double>(broker_end - broker_start) / static_cast<double>(hz) / seconds) / 10
                    : 0.0;
    result["rss_kb"] = end.rss_kb;
    result["rss_max_kb"] = std::max(rss_max, end.rss_kb);
    result["daemon_alive"] = daemon.alive();
    write_report(o.out, result, rx.latency, nullptr);
    std::printf("%s: %llu/%llu delivered, p99 %llu us, cpu %.1f %%, broker cpu %.1f %%\n", name.c_str(),
                static_cast<unsigned long long>(rx.received), static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(rx.latency.percentile(0.99)), result["cpu_percent"].get<double>(),
                result["broker_cpu_percent"].get<double>());
    return rx.received == 0 || !daemon.alive() ? 1 : 0;
}

}  // namespace hwb::bench

namespace hwb::bench {

// A hub: `bridges` hwbridge processes, each with `channels` sensors fed from its own pty at
// `rate` readings/s per channel and an uplink to one mosquitto; one hub hwbridge imports all of
// them by name with the mqtt driver (bridge:); one WebSocket client of the hub counts every reading end to end.
int run_hub(const Options& o) {
    const int bridges = o.clients;
    const int channels = o.channels;
    const std::string name = "hub-b" + std::to_string(bridges) + "-c" + std::to_string(channels) + "-r" +
                             std::to_string(o.rate) + "-qos" + std::to_string(o.qos);
    std::string dir = o.out + "/" + name + ".broker";
    std::filesystem::create_directories(dir);
    BenchBroker broker(dir);
    const std::string limits =
        "  limits: {max_connections: 4096, connection_rate: 0, relay_rate: 0, text_rate: 0, sensor_rate: 0, switch_rate: 0}\n";
    std::vector<std::unique_ptr<PtyPair>> ptys;
    std::vector<std::unique_ptr<DaemonProcess>> remotes;
    std::string hub_map = "bridge:\n  name: Hub\n" + limits + "devices:\n";
    for (int b = 0; b < bridges; ++b) {
        ptys.push_back(std::make_unique<PtyPair>());
        std::string map = "bridge:\n  name: Remote " + std::to_string(b) + "\n" + limits +
                          "devices:\n  - id: gen\n    driver: serial\n    port: " + ptys.back()->path() +
                          "\n    baud: 115200\nsensors:\n";
        for (int c = 0; c < channels; ++c)
            map += "  - id: s" + std::to_string(c) + "\n    device: gen\n    precision: 0\n    csv_column: " +
                   std::to_string(c + 1) + "\n";
        map += "mqtt:\n  port: " + std::to_string(broker.port()) + "\n  prefix: r" + std::to_string(b) +
               "\n  discovery: false\n  readings_qos: " + std::to_string(o.qos) + "\n";
        remotes.push_back(std::make_unique<DaemonProcess>(o.binary, map, o.out + "/" + name + ".remote" + std::to_string(b) + ".log",
                                                          o.generator_cpu));
        // Each remote imported whole by its name (its channels become rB_sC on the hub).
        hub_map += "  - id: r" + std::to_string(b) + "\n    driver: mqtt\n    port: " + std::to_string(broker.port()) +
                   "\n    qos: " + std::to_string(o.qos) + "\n    client_id: hub-r" + std::to_string(b) +
                   "\n    bridge: Remote " + std::to_string(b) + "\n    bridge_prefix: r" + std::to_string(b) + "\n";
    }
    DaemonProcess hub(o.binary, hub_map, o.out + "/" + name + ".hub.log", o.daemon_cpu);

    const std::int64_t epoch = now_us();
    const std::size_t total_channels = static_cast<std::size_t>(bridges * channels);
    Histogram latency;
    std::vector<std::uint64_t> last_seq(total_channels, 0);
    std::uint64_t counting_from = 0;  // readings of lines before it are warm-up
    std::uint64_t delivered = 0, duplicates = 0, reordered = 0;
    std::size_t warmed = 0;
    bool hello = false;
    WsPool pool(hub.port(), "sensor", [&](std::size_t, std::string_view m) {
        if (m.rfind("{\"type\":\"hello\"", 0) == 0) {
            hello = true;
            return;
        }
        if (m.rfind("{\"type\":\"reading\"", 0) != 0) return;
        auto at = m.find("\"channel\":\"r");
        auto v_at = m.find("\"value\":");
        if (at == std::string_view::npos || v_at == std::string_view::npos) return;
        char* end = nullptr;
        long b = std::strtol(m.data() + at + 12, &end, 10);
        long c = (end != nullptr && *end == '_') ? std::strtol(end + 2, nullptr, 10) : -1;
        if (b < 0 || b >= bridges || c < 0 || c >= channels) return;
        std::size_t index = static_cast<std::size_t>(b * channels + c);
        auto v = static_cast<std::uint64_t>(std::llround(std::strtod(m.data() + v_at + 8, nullptr)));
        std::uint64_t seq = v / mqtt_seq_factor;
        if (last_seq[index] == 0) ++warmed;
        if (seq == last_seq[index]) {
            ++duplicates;
            return;
        }
        if (seq < last_seq[index]) {
            ++reordered;
            return;
        }
        last_seq[index] = seq;
        if (counting_from == 0 || seq < counting_from) return;
        ++delivered;
        latency.record(now_us() - epoch - static_cast<std::int64_t>(v % mqtt_seq_factor));
    });
    pool.connect();
    json result = {{"name", name}, {"scenario", "hub"}, {"bridges", bridges}, {"channels", channels},
                   {"rate", o.rate}, {"qos", o.qos}};
    std::uint64_t seq = 0;
    std::vector<std::string> pending(static_cast<std::size_t>(bridges));
    auto write_lines = [&](std::int64_t now) {
        ++seq;
        std::string cell = std::to_string(seq * mqtt_seq_factor + static_cast<std::uint64_t>(now - epoch));
        std::string line;
        for (int c = 0; c < channels; ++c) line += (c ? "," : "") + cell;
        line += "\n";
        for (int b = 0; b < bridges; ++b) {
            auto& p = pending[static_cast<std::size_t>(b)];
            p += line;
            while (!p.empty()) {
                ssize_t n = ::write(ptys[static_cast<std::size_t>(b)]->master(), p.data(), p.size());
                if (n <= 0) break;
                p.erase(0, static_cast<std::size_t>(n));
            }
        }
    };
    const std::int64_t period_us = 1000000 / std::max(o.rate, 1);
    // Warm-up: lines until every channel has reached the hub's client once (at most 30 s).
    std::int64_t next = now_us();
    const std::int64_t warm_deadline = now_us() + 30000000;
    while (!(hello && warmed == total_channels)) {
        if (now_us() > warm_deadline) {
            result["error"] = "only " + std::to_string(warmed) + " of " + std::to_string(total_channels) +
                              " channels reached the hub's client in 30 s";
            write_report(o.out, result, latency, nullptr);
            return 1;
        }
        if (now_us() >= next) {
            write_lines(now_us());
            next += period_us;
        }
        pool.poll(1);
    }
    counting_from = seq + 1;
    ProcSample start = hub.sample();
    std::uint64_t broker_start = mqtt_cpu_ticks(broker.pid());
    std::uint64_t rss_max = start.rss_kb;
    const std::int64_t end_us = now_us() + static_cast<std::int64_t>(o.duration_s * 1e6);
    next = now_us();
    while (now_us() < end_us) {
        if (now_us() >= next) {
            write_lines(now_us());
            next += period_us;
            if (seq % 10 == 0) rss_max = std::max(rss_max, hub.sample().rss_kb);
        }
        pool.poll(1);
    }
    ProcSample end = hub.sample();
    std::uint64_t broker_end = mqtt_cpu_ticks(broker.pid());
    const std::uint64_t lines = seq - counting_from + 1;
    const std::uint64_t expected = lines * total_channels;
    std::uint64_t last = delivered;
    std::int64_t quiet_since = now_us();
    while (delivered < expected) {
        pool.poll(10);
        if (delivered != last) {
            last = delivered;
            quiet_since = now_us();
        } else if (now_us() - quiet_since > 3000000) {
            break;
        }
    }
    double seconds = static_cast<double>(end.at_us - start.at_us) / 1e6;
    long hz = ::sysconf(_SC_CLK_TCK);
    result["duration_s"] = o.duration_s;
    result["readings_per_s"] = std::round(static_cast<double>(expected) / std::max(seconds, 1e-9));
    result["expected"] = expected;
    result["delivered"] = delivered;
    result["lost"] = expected > delivered ? expected - delivered : 0;
    result["duplicates"] = duplicates;
    result["out_of_order"] = reordered;
    result["latency_us"] = latency_json(latency);
    result["cpu_percent"] = std::round(DaemonProcess::cpu_percent(start, end) * 10) / 10;
    result["rss_kb"] = end.rss_kb;
    result["rss_max_kb"] = std::max(rss_max, end.rss_kb);
    result["broker_cpu_percent"] =
        seconds > 0 ? std::round(1000.0 * static_cast<double>(broker_end - broker_start) / static_cast<double>(hz) / seconds) / 10
                    : 0.0;
    result["daemon_alive"] = hub.alive();
    write_report(o.out, result, latency, nullptr);
    std::printf("%s: %llu/%llu delivered (%.0f readings/s), p50 %llu us, p99 %llu us, hub cpu %.1f %%, rss %llu kB, broker cpu %.1f %%\n",
                name.c_str(), static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(expected),
                result["readings_per_s"].get<double>(), static_cast<unsigned long long>(latency.percentile(0.5)),
                static_cast<unsigned long long>(latency.percentile(0.99)), result["cpu_percent"].get<double>(),
                static_cast<unsigned long long>(end.rss_kb), result["broker_cpu_percent"].get<double>());
    return delivered == 0 || !hub.alive() ? 1 : 0;
}

}  // namespace hwb::bench
