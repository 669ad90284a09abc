#include "scenarios.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <functional>

#include <cerrno>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "daemon_process.h"
#include "histogram.h"
#include "pty_pair.h"
#include "report.h"
#include "ws_pool.h"

namespace hwb::bench {
namespace {

using nlohmann::json;

// Serial lines carry the generator's sequence number and send time (µs since `epoch`, this
// process's monotonic clock). Sensors get both folded into one integer value, seq * 1e9 + µs,
// exact in a double (below 2^53) for runs shorter than 1000 s.
constexpr std::uint64_t seq_factor = 1000000000;

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string map_for(const Options& o, const std::string& file, const std::string& port) {
    std::string map = read_text(o.maps + "/" + file);
    for (auto at = map.find("@PORT@"); at != std::string::npos; at = map.find("@PORT@"))
        map.replace(at, 6, port);
    return map;
}

// A periodic timer: `ticks()` says how many periods passed since the last call.
class Ticker {
public:
    explicit Ticker(int per_second) {
        fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        long period_ns = 1000000000L / std::max(per_second, 1);
        itimerspec spec{};
        spec.it_interval.tv_sec = period_ns / 1000000000L;
        spec.it_interval.tv_nsec = period_ns % 1000000000L;
        spec.it_value = spec.it_interval;
        timerfd_settime(fd_, 0, &spec, nullptr);
    }
    ~Ticker() { ::close(fd_); }
    Ticker(const Ticker&) = delete;
    Ticker& operator=(const Ticker&) = delete;
    int fd() const { return fd_; }
    std::uint64_t ticks() {
        std::uint64_t n = 0;
        if (::read(fd_, &n, sizeof n) != sizeof n) return 0;
        return n;
    }

private:
    int fd_ = -1;
};

// Delivery bookkeeping of one receiver: the generator's sequence numbers as they arrive.
struct Delivery {
    std::uint64_t received = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t out_of_order = 0;
    std::uint64_t last_seq = 0;
    void on(std::uint64_t seq) {
        if (seq == last_seq) {
            ++duplicates;
        } else if (seq < last_seq) {
            ++out_of_order;
        } else {
            ++received;
            last_seq = seq;
        }
    }
};

std::uint64_t number_after(std::string_view text, std::string_view key, std::size_t* end = nullptr) {
    auto at = text.find(key);
    if (at == std::string_view::npos) return 0;
    const char* p = text.data() + at + key.size();
    char* stop = nullptr;
    auto v = std::strtoull(p, &stop, 10);
    if (end) *end = static_cast<std::size_t>(stop - text.data());
    return v;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Memory and CPU of the daemon while a scenario runs.
struct Usage {
    ProcSample start;
    ProcSample end;
    std::uint64_t rss_max_kb = 0;
    void sample(const DaemonProcess& d) { rss_max_kb = std::max(rss_max_kb, d.sample().rss_kb); }
    json to_json() const {
        return {{"cpu_percent", std::round(DaemonProcess::cpu_percent(start, end) * 10) / 10},
                {"cpu_sys_percent", std::round(DaemonProcess::sys_percent(start, end) * 10) / 10},
                {"rss_kb", end.rss_kb},
                {"rss_max_kb", std::max(rss_max_kb, end.rss_kb)},
                {"rss_peak_kb", end.hwm_kb},
                {"pss_kb", end.pss_kb},
                {"anon_kb", end.anon_kb}};
    }
};

std::string log_path(const Options& o, const std::string& name) { return o.out + "/" + name + ".daemon.log"; }

json delivery_json(std::uint64_t expected, std::uint64_t delivered, std::uint64_t duplicates, std::uint64_t reordered) {
    return {{"expected", expected},
            {"delivered", delivered},
            {"lost", expected > delivered ? expected - delivered : 0},
            {"loss_percent", expected ? std::round(1e4 * static_cast<double>(expected - std::min(expected, delivered)) /
                                                   static_cast<double>(expected)) / 100
                                      : 0.0},
            {"duplicates", duplicates},
            {"out_of_order", reordered}};
}

// Connects `n` clients, at most `in_flight` at a time, until each is ready (`ready[i]`).
bool connect_all(WsPool& pool, int n, const std::vector<char>& ready, int in_flight, double timeout_s) {
    auto deadline = now_us() + static_cast<std::int64_t>(timeout_s * 1e6);
    for (;;) {
        std::size_t ready_count = 0;
        for (std::size_t i = 0; i < pool.size(); ++i) ready_count += ready[i] != 0;
        if (ready_count == static_cast<std::size_t>(n)) return true;
        std::size_t dead = 0;
        for (std::size_t i = 0; i < pool.size(); ++i) dead += pool.conn(i).state == WsConn::State::closed;
        if (dead > 0 || now_us() > deadline) return false;
        while (pool.size() < static_cast<std::size_t>(n) &&
               pool.size() - ready_count < static_cast<std::size_t>(in_flight))
            pool.connect();
        pool.poll(5);
    }
}

}  // namespace

int run_fanout(const Options& o) {
    const bool sensor = o.kind == "sensor";
    const std::string name = "fanout-" + o.kind + "-c" + std::to_string(o.clients) + "-r" + std::to_string(o.rate);
    PtyPair pty;
    DaemonProcess daemon(o.binary, map_for(o, sensor ? "serial-sensor.yaml" : "serial-text.yaml", pty.path()),
                         log_path(o, name), o.daemon_cpu);
    const std::int64_t epoch = now_us();
    Histogram latency;
    Timeline timeline(epoch);
    std::vector<Delivery> delivery(static_cast<std::size_t>(o.clients));
    std::vector<char> ready(static_cast<std::size_t>(o.clients) + 4096, 0);
    bool offline = false;
    WsPool* pool_ptr = nullptr;
    WsPool pool(daemon.port(), sensor ? "sensor" : "text", [&](std::size_t i, std::string_view m) {
        if (!ready[i]) {
            if (starts_with(m, "{\"type\":\"hello\"")) {
                if (m.find("\"online\":true") == std::string_view::npos) offline = true;
                if (sensor)
                    ready[i] = 1;
                else
                    pool_ptr->send_text(i, R"({"type":"open","id":1,"channel":"console"})");
            } else if (starts_with(m, "{\"type\":\"ack\"")) {
                ready[i] = 1;
            }
            return;
        }
        std::uint64_t seq = 0;
        std::int64_t sent = 0;
        if (sensor) {
            if (!starts_with(m, "{\"type\":\"reading\"")) return;
            auto at = m.find("\"value\":");
            if (at == std::string_view::npos) return;
            auto v = static_cast<std::uint64_t>(std::llround(std::strtod(m.data() + at + 8, nullptr)));
            seq = v / seq_factor;
            sent = static_cast<std::int64_t>(v % seq_factor);
        } else {
            if (!starts_with(m, "{\"type\":\"line\"")) return;
            std::size_t end = 0;
            seq = number_after(m, "\"line\":\"", &end);
            sent = static_cast<std::int64_t>(std::strtoull(m.data() + end, nullptr, 10));
        }
        std::int64_t now = now_us();
        latency.record(now - epoch - sent);
        timeline.record(now, now - epoch - sent);
        delivery[i].on(seq);
    });
    pool_ptr = &pool;
    json result = {{"name", name}, {"scenario", "fanout"}, {"kind", o.kind}, {"clients", o.clients}, {"rate", o.rate}};
    if (!connect_all(pool, o.clients, ready, 100, 60)) {
        result["error"] = "clients could not connect: " + std::to_string(pool.failures()) + " failed";
        write_report(o.out, result, latency, nullptr);
        return 1;
    }
    if (offline) result["warning"] = "channel offline at connect";

    Usage usage;
    usage.start = daemon.sample();
    std::uint64_t seq = 0;
    std::string pending;
    Ticker ticker(o.rate);
    const std::int64_t end_us = now_us() + static_cast<std::int64_t>(o.duration_s * 1e6);
    char line[64];
    auto write_pending = [&] {
        while (!pending.empty()) {
            ssize_t n = ::write(pty.master(), pending.data(), pending.size());
            if (n <= 0) break;  // pty buffer full: the daemon does not keep up; kept for later
            pending.erase(0, static_cast<std::size_t>(n));
        }
    };
    bool generating = true;
    pool.watch(ticker.fd(), EPOLLIN, [&](std::uint32_t) {
        auto n = ticker.ticks();
        if (!generating) return;
        std::int64_t now = now_us();
        if (now >= end_us) {
            generating = false;
            return;
        }
        for (std::uint64_t k = 0; k < n; ++k) {
            ++seq;
            std::int64_t t = now - epoch;
            int len = sensor ? std::snprintf(line, sizeof line, "%llu\n",
                                             static_cast<unsigned long long>(seq * seq_factor + static_cast<std::uint64_t>(t)))
                             : std::snprintf(line, sizeof line, "%llu %lld\n", static_cast<unsigned long long>(seq),
                                             static_cast<long long>(t));
            pending.append(line, static_cast<std::size_t>(len));
        }
        write_pending();
    });
    std::int64_t next_sample = now_us();
    while (generating || !pending.empty()) {
        pool.poll(1);
        if (!pending.empty()) write_pending();
        if (now_us() >= next_sample) {
            usage.sample(daemon);
            next_sample += 100000;
        }
        if (!generating && now_us() > end_us + 5000000) break;  // pty stuck
    }
    usage.end = daemon.sample();
    pool.unwatch(ticker.fd());
    // Drain: until every open client has the last line, or nothing arrived for 2 s.
    std::uint64_t last_total = 0;
    std::int64_t quiet_since = now_us();
    for (;;) {
        pool.poll(10);
        std::uint64_t total = 0;
        bool done = true;
        for (std::size_t i = 0; i < delivery.size(); ++i) {
            total += delivery[i].received;
            if (pool.conn(i).state == WsConn::State::open && delivery[i].last_seq < seq) done = false;
        }
        if (done) break;
        if (total != last_total) {
            last_total = total;
            quiet_since = now_us();
        } else if (now_us() - quiet_since > 2000000) {
            break;
        }
    }
    usage.sample(daemon);
    std::uint64_t delivered = 0, dups = 0, reordered = 0, closed = 0;
    for (std::size_t i = 0; i < delivery.size(); ++i) {
        delivered += delivery[i].received;
        dups += delivery[i].duplicates;
        reordered += delivery[i].out_of_order;
        closed += pool.conn(i).state == WsConn::State::closed;
    }
    result["lines_written"] = seq;
    result["duration_s"] = o.duration_s;
    result.update(delivery_json(seq * static_cast<std::uint64_t>(o.clients), delivered, dups, reordered));
    result["clients_closed_by_server"] = closed;
    result["latency_us"] = latency_json(latency);
    result.update(usage.to_json());
    result["daemon_alive"] = daemon.alive();
    write_report(o.out, result, latency, &timeline);
    std::printf("%s: %llu/%llu delivered, p99 %llu us, cpu %.1f %%\n", name.c_str(),
                static_cast<unsigned long long>(delivered),
                static_cast<unsigned long long>(seq * static_cast<std::uint64_t>(o.clients)),
                static_cast<unsigned long long>(latency.percentile(0.99)), DaemonProcess::cpu_percent(usage.start, usage.end));
    return delivered == 0 || !result["daemon_alive"].get<bool>() ? 1 : 0;
}

int run_text_to_serial(const Options& o) {
    const std::string name = "ws-to-serial-text-r" + std::to_string(o.rate);
    PtyPair pty;
    DaemonProcess daemon(o.binary, map_for(o, "serial-text.yaml", pty.path()), log_path(o, name), o.daemon_cpu);
    const std::int64_t epoch = now_us();
    Histogram latency;
    Timeline timeline(epoch);
    Delivery delivery;
    std::vector<char> ready(4096, 0);
    std::uint64_t acks = 0, errors = 0;
    WsPool* pool_ptr = nullptr;
    WsPool pool(daemon.port(), "text", [&](std::size_t i, std::string_view m) {
        if (starts_with(m, "{\"type\":\"hello\"")) {
            pool_ptr->send_text(i, R"({"type":"open","id":0,"channel":"console"})");
        } else if (starts_with(m, "{\"type\":\"ack\"")) {
            if (ready[i]) ++acks;
            ready[i] = 1;
        } else if (starts_with(m, "{\"type\":\"error\"")) {
            ++errors;
        }
    });
    pool_ptr = &pool;
    json result = {{"name", name}, {"scenario", "ws-to-serial"}, {"kind", "text"}, {"clients", 1}, {"rate", o.rate}};
    if (!connect_all(pool, 1, ready, 1, 10)) {
        result["error"] = "client could not connect";
        write_report(o.out, result, latency, nullptr);
        return 1;
    }
    std::string from_device;
    pool.watch(pty.master(), EPOLLIN, [&](std::uint32_t) {
        char buf[65536];
        ssize_t n = ::read(pty.master(), buf, sizeof buf);
        if (n <= 0) return;
        std::int64_t now = now_us();
        from_device.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (auto nl = from_device.find('\n'); nl != std::string::npos; nl = from_device.find('\n', start)) {
            char* end = nullptr;
            std::uint64_t seq = std::strtoull(from_device.c_str() + start, &end, 10);
            std::int64_t sent = std::strtoll(end, nullptr, 10);
            latency.record(now - epoch - sent);
            timeline.record(now, now - epoch - sent);
            delivery.on(seq);
            start = nl + 1;
        }
        from_device.erase(0, start);
    });
    Usage usage;
    usage.start = daemon.sample();
    std::uint64_t seq = 0;
    Ticker ticker(o.rate);
    const std::int64_t end_us = now_us() + static_cast<std::int64_t>(o.duration_s * 1e6);
    bool generating = true;
    char msg[160];
    pool.watch(ticker.fd(), EPOLLIN, [&](std::uint32_t) {
        auto n = ticker.ticks();
        if (!generating) return;
        if (now_us() >= end_us) {
            generating = false;
            return;
        }
        for (std::uint64_t k = 0; k < n; ++k) {
            ++seq;
            int len = std::snprintf(msg, sizeof msg, R"({"type":"send","id":%llu,"channel":"console","line":"%llu %lld"})",
                                    static_cast<unsigned long long>(seq), static_cast<unsigned long long>(seq),
                                    static_cast<long long>(now_us() - epoch));
            pool.send_text(0, std::string_view(msg, static_cast<std::size_t>(len)));
        }
    });
    std::int64_t next_sample = now_us();
    while (generating) {
        pool.poll(1);
        if (now_us() >= next_sample) {
            usage.sample(daemon);
            next_sample += 100000;
        }
    }
    usage.end = daemon.sample();
    pool.unwatch(ticker.fd());
    std::int64_t deadline = now_us() + 2000000;
    while (delivery.last_seq < seq && now_us() < deadline) pool.poll(10);
    result["lines_written"] = seq;
    result["duration_s"] = o.duration_s;
    result.update(delivery_json(seq, delivery.received, delivery.duplicates, delivery.out_of_order));
    result["acks"] = acks;
    result["errors"] = errors;
    result["latency_us"] = latency_json(latency);
    result.update(usage.to_json());
    result["daemon_alive"] = daemon.alive();
    write_report(o.out, result, latency, &timeline);
    std::printf("%s: %llu/%llu delivered, p99 %llu us\n", name.c_str(), static_cast<unsigned long long>(delivery.received),
                static_cast<unsigned long long>(seq), static_cast<unsigned long long>(latency.percentile(0.99)));
    return delivery.received == 0 || !result["daemon_alive"].get<bool>() ? 1 : 0;
}

namespace {

// A Modbus TCP "unit" that takes connections and requests and never answers: every request of the
// bridge's bus times out. Counts the requests (12-byte frames: MBAP header + function, address, count).
class SilentModbus {
public:
    SilentModbus() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error(std::string("silent modbus listener: ") + std::strerror(errno));
        port_ = ntohs(a.sin_port);
    }
    ~SilentModbus() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        for (int c : conns_) ::close(c);
        ::close(fd_);
    }
    SilentModbus(const SilentModbus&) = delete;
    SilentModbus& operator=(const SilentModbus&) = delete;
    int port() const { return port_; }
    std::uint64_t requests() const { return bytes_ / 12; }
    // Takes connections and reads requests on a thread of its own (the relay's round trip owns
    // the generator's loop), never answering.
    void start() {
        thread_ = std::thread([this] {
            while (!stop_) {
                std::vector<pollfd> fds{{fd_, POLLIN, 0}};
                for (int c : conns_) fds.push_back({c, POLLIN, 0});
                if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
                if (fds[0].revents & POLLIN)
                    for (int c; (c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) conns_.push_back(c);
                char buf[4096];
                for (std::size_t i = 1; i < fds.size(); ++i)
                    if (fds[i].revents & POLLIN)
                        for (ssize_t n; (n = ::read(fds[i].fd, buf, sizeof buf)) > 0;) bytes_ += static_cast<std::uint64_t>(n);
            }
        });
    }

private:
    int fd_ = -1;
    int port_ = 0;
    std::vector<int> conns_;
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// The relay round trip against a running daemon; `extra` goes into the result line.
int relay_round_trip(const Options& o, const std::string& name, const std::string& scenario, DaemonProcess& daemon,
                     const std::function<json()>& extra);

}  // namespace

int run_relay(const Options& o) {
    const std::string name = "relay-rtt-r" + std::to_string(o.rate);
    DaemonProcess daemon(o.binary, map_for(o, "sim-relay.yaml", ""), log_path(o, name), o.daemon_cpu);
    return relay_round_trip(o, name, "relay-rtt", daemon, [] { return json::object(); });
}

// /proc/PID/io write_bytes: what the daemon sent towards the disk (the history store's batches).
std::uint64_t write_bytes(pid_t pid) {
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    std::uint64_t value = 0;
    while (io >> key >> value)
        if (key == "write_bytes:") return value;
    return 0;
}

// The same round trip while 20 sensors at 1/s go to the history store, whose writer thread writes
// a batch every second, and every switch is stored as an event (docs/history.md).
int run_relay_history(const Options& o) {
    const std::string name = "relay-history-r" + std::to_string(o.rate);
    const std::string db = std::filesystem::absolute(o.out + "/" + name + ".history.db").string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
    DaemonProcess daemon(o.binary, map_for(o, "sim-relay-history.yaml", db), log_path(o, name), o.daemon_cpu);
    const std::uint64_t before = write_bytes(daemon.pid());
    return relay_round_trip(o, name, "relay-rtt-history", daemon,
                            [&] { return json{{"history_write_bytes", write_bytes(daemon.pid()) - before}}; });
}

// Ten DS18B20-like thermometers, each read in 750 ms: their w1_slave files are pipes that a feeder
// thread answers 750 ms after the daemon opens them, so ten reads are in the kernel at once, as on
// a 1-Wire bus. The relay's round trip must not notice (the reads run off the daemon's loop).
int run_relay_slow_sensors(const Options& o) {
    const std::string name = "relay-rtt-w1-r" + std::to_string(o.rate);
    constexpr int thermometers = 10;
    // A feeder that writes after the daemon has gone gets EPIPE, not a fatal SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    char pattern[] = "/tmp/hwb-bench-sysfs-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    const std::string root = pattern;
    std::vector<std::string> fifos;
    std::string map = map_for(o, "sim-relay.yaml", "");
    std::string devices = "devices:\n", sensors = "sensors:\n";
    for (int i = 0; i < thermometers; ++i) {
        char address[32];
        std::snprintf(address, sizeof address, "28-0000000000%02d", i);
        std::string dir = root + "/bus/w1/devices/" + address;
        std::filesystem::create_directories(dir);
        fifos.push_back(dir + "/w1_slave");
        if (::mkfifo(fifos.back().c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
        // One device each: ten buses, ten reads in flight at once.
        devices += "  - { id: bus" + std::to_string(i) + ", driver: w1, interval: 1s }\n";
        sensors += "  - { id: t" + std::to_string(i) + ", device: bus" + std::to_string(i) + ", address: " + address +
                   ", unit: \"°C\" }\n";
    }
    auto at = map.find("\ndevices:\n");
    if (at == std::string::npos) throw std::runtime_error("sim-relay.yaml has no devices: section");
    map.replace(at + 1, 9, devices);
    map += sensors;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> conversions{0};
    std::vector<std::thread> feeders;
    for (const auto& fifo : fifos)
        feeders.emplace_back([&, fifo] {
            const std::string text = "90 01 4b 46 7f ff 0c 10 e6 : crc=e6 YES\n90 01 4b 46 7f ff 0c 10 e6 t=25000\n";
            while (!stop) {
                int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // waits for the daemon's read
                if (fd < 0) break;
                if (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(750));  // the conversion
                if (::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) ++conversions;
                ::close(fd);  // the daemon's read sees the end of the file, as after a sysfs attribute
                // Let that reader close before the next open, which must wait for the next read.
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
    // Stops the feeders however the run ends: those waiting for a reader get one that goes at once.
    struct Feeders {
        std::atomic<bool>& stop;
        std::vector<std::thread>& threads;
        const std::vector<std::string>& fifos;
        const std::string& root;
        ~Feeders() {
            stop = true;
            for (const auto& fifo : fifos) {
                int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd >= 0) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                    ::close(fd);
                }
            }
            for (auto& t : threads) t.join();
            std::filesystem::remove_all(root);
        }
    } feeders_stop{stop, feeders, fifos, root};
    int code = 1;
    {
        DaemonProcess daemon(o.binary, map, log_path(o, name), o.daemon_cpu, {"--sysfs-root", root});
        code = relay_round_trip(o, name, "relay-rtt-w1", daemon, [&] {
            return json{{"slow_sensors", thermometers}, {"slow_read_ms", 750}, {"slow_reads_done", conversions.load()}};
        });
    }
    std::printf("%s: %llu slow reads completed meanwhile\n", name.c_str(),
                static_cast<unsigned long long>(conversions.load()));
    return code;
}

namespace {

int relay_round_trip(const Options& o, const std::string& name, const std::string& scenario, DaemonProcess& daemon,
                     const std::function<json()>& extra) {
    const std::int64_t epoch = now_us();
    Histogram latency;
    Timeline timeline(epoch);
    std::vector<char> ready(4096, 0);
    std::uint64_t sent = 0, acks = 0, errors = 0, stray = 0;
    std::int64_t sent_at = 0;
    bool outstanding = false;
    WsPool pool(daemon.port(), "relay", [&](std::size_t i, std::string_view m) {
        if (starts_with(m, "{\"type\":\"hello\"")) {
            ready[i] = 1;
        } else if (starts_with(m, "{\"type\":\"ack\"") || starts_with(m, "{\"type\":\"error\"")) {
            std::int64_t now = now_us();
            if (!outstanding || number_after(m, "\"id\":") != sent) {
                ++stray;
                return;
            }
            outstanding = false;
            if (m[9] == 'a') {
                ++acks;
                latency.record(now - sent_at);
                timeline.record(now, now - sent_at);
            } else {
                ++errors;
            }
        }
    });
    json result = {{"name", name}, {"scenario", scenario}, {"kind", "relay"}, {"clients", 1}, {"rate", o.rate}};
    if (!connect_all(pool, 1, ready, 1, 10)) {
        result["error"] = "client could not connect";
        write_report(o.out, result, latency, nullptr);
        return 1;
    }
    Usage usage;
    usage.start = daemon.sample();
    Ticker ticker(o.rate);
    const std::int64_t end_us = now_us() + static_cast<std::int64_t>(o.duration_s * 1e6);
    bool generating = true;
    std::uint64_t skipped = 0;
    char msg[128];
    pool.watch(ticker.fd(), EPOLLIN, [&](std::uint32_t) {
        ticker.ticks();
        if (now_us() >= end_us) {
            generating = false;
            return;
        }
        if (outstanding) {  // closed loop: one request at a time, so `busy` never happens
            ++skipped;
            return;
        }
        ++sent;
        int len = std::snprintf(msg, sizeof msg, R"({"type":"set","id":%llu,"channel":"pump","state":"%s"})",
                                static_cast<unsigned long long>(sent), sent % 2 ? "on" : "off");
        outstanding = true;
        sent_at = now_us();
        pool.send_text(0, std::string_view(msg, static_cast<std::size_t>(len)));
    });
    while (generating) pool.poll(1);
    usage.end = daemon.sample();
    pool.unwatch(ticker.fd());
    std::int64_t deadline = now_us() + 2000000;
    while (outstanding && now_us() < deadline) pool.poll(10);
    usage.sample(daemon);
    result["duration_s"] = o.duration_s;
    result.update(delivery_json(sent, acks, 0, 0));
    result["errors"] = errors;
    result["stray_answers"] = stray;
    result["ticks_skipped_waiting"] = skipped;
    result["latency_us"] = latency_json(latency);
    result.update(usage.to_json());
    result["daemon_alive"] = daemon.alive();
    result.update(extra());
    write_report(o.out, result, latency, &timeline);
    std::printf("%s: %llu/%llu acked, p99 %llu us\n", name.c_str(), static_cast<unsigned long long>(acks),
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(latency.percentile(0.99)));
    return acks == 0 || !result["daemon_alive"].get<bool>() ? 1 : 0;
}

}  // namespace

int run_relay_modbus(const Options& o) {
    const std::string name = "relay-rtt-modbus-timeouts-r" + std::to_string(o.rate);
    SilentModbus silent;
    silent.start();
    DaemonProcess daemon(o.binary, map_for(o, "sim-relay-modbus-timeouts.yaml", std::to_string(silent.port())),
                         log_path(o, name), o.daemon_cpu);
    return relay_round_trip(o, name, "relay-rtt-modbus-timeouts", daemon,
                            [&] { return json{{"modbus_requests_unanswered", silent.requests()}}; });
}

int run_storm(const Options& o) {
    const std::string name = "storm-n" + std::to_string(o.count);
    PtyPair pty;
    DaemonProcess daemon(o.binary, map_for(o, "serial-sensor.yaml", pty.path()), log_path(o, name), o.daemon_cpu);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::int64_t epoch = now_us();
    Histogram latency;
    Timeline timeline(epoch);
    std::uint64_t hellos = 0;
    WsPool* pool_ptr = nullptr;
    WsPool pool(daemon.port(), "sensor", [&](std::size_t i, std::string_view m) {
        if (!starts_with(m, "{\"type\":\"hello\"")) return;
        std::int64_t now = now_us();
        auto& c = pool_ptr->conn(i);
        latency.record(now - c.started_us);
        timeline.record(now, now - c.started_us);
        ++hellos;
        pool_ptr->close(i);
    });
    pool_ptr = &pool;
    Usage usage;
    usage.start = daemon.sample();
    const std::uint64_t rss_before = usage.start.rss_kb;
    const std::int64_t deadline = now_us() + 60000000;
    std::size_t started = 0;
    while (now_us() < deadline) {
        std::size_t finished = 0;
        for (std::size_t i = 0; i < pool.size(); ++i) finished += pool.conn(i).state == WsConn::State::closed;
        if (finished == static_cast<std::size_t>(o.count)) break;
        while (started < static_cast<std::size_t>(o.count) && started - finished < static_cast<std::size_t>(o.concurrency)) {
            auto i = pool.connect();
            pool.conn(i).started_us = now_us();
            ++started;
        }
        pool.poll(5);
    }
    usage.end = daemon.sample();
    const std::int64_t elapsed = usage.end.at_us - usage.start.at_us;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the daemon finish closing
    usage.sample(daemon);
    json result = {{"name", name}, {"scenario", "storm"}, {"kind", "sensor"}, {"clients", o.count},
                   {"concurrency", o.concurrency}};
    result.update(delivery_json(static_cast<std::uint64_t>(o.count), hellos, 0, 0));
    result["connect_failures"] = pool.failures();
    result["duration_s"] = static_cast<double>(elapsed) / 1e6;
    result["connections_per_s"] = std::round(static_cast<double>(hellos) / (static_cast<double>(elapsed) / 1e6));
    result["latency_us"] = latency_json(latency);
    result.update(usage.to_json());
    result["rss_before_kb"] = rss_before;
    result["rss_after_kb"] = daemon.sample().rss_kb;
    result["daemon_alive"] = daemon.alive();
    write_report(o.out, result, latency, &timeline);
    std::printf("%s: %llu/%d hellos, p99 connect->hello %llu us, rss %llu -> %llu kB\n", name.c_str(),
                static_cast<unsigned long long>(hellos), o.count, static_cast<unsigned long long>(latency.percentile(0.99)),
                static_cast<unsigned long long>(rss_before), static_cast<unsigned long long>(result["rss_after_kb"].get<std::uint64_t>()));
    return hellos == 0 || !result["daemon_alive"].get<bool>() ? 1 : 0;
}

int run_idle(const Options& o) {
    int rc = 0;
    for (const char* map : {"serial-sensor.yaml", "demo"}) {
        const std::string name = std::string("idle-") + (map == std::string("demo") ? "demo" : "serial-sensor");
        PtyPair pty;
        std::string yaml = map == std::string("demo") ? read_text(o.maps + "/../../config/demo.yaml")
                                                      : map_for(o, map, pty.path());
        DaemonProcess daemon(o.binary, yaml, log_path(o, name), o.daemon_cpu);
        Usage usage;
        usage.start = daemon.sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(std::min(o.duration_s, 2.0) * 1000)));
        usage.end = daemon.sample();
        json result = {{"name", name}, {"scenario", "idle"}, {"clients", 0}};
        result.update(usage.to_json());
        result["daemon_alive"] = daemon.alive();
        write_report(o.out, result, Histogram{}, nullptr);
        std::printf("%s: rss %llu kB, cpu %.1f %%\n", name.c_str(), static_cast<unsigned long long>(usage.end.rss_kb),
                    DaemonProcess::cpu_percent(usage.start, usage.end));
        if (usage.end.rss_kb == 0 || !daemon.alive()) rc = 1;
    }
    // The floor: the same libraries with no hwbridge code (bench/floor_idle.cpp), if built.
    const std::string floor = o.binary.substr(0, o.binary.rfind('/') + 1) + "bench/hwb-floor-idle";
    if (::access(floor.c_str(), X_OK) == 0) {
        DaemonProcess process(floor, "", log_path(o, "floor-idle"), o.daemon_cpu);
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(std::min(o.duration_s, 2.0) * 1000)));
        Usage usage;
        usage.start = usage.end = process.sample();
        json result = {{"name", "floor-idle"}, {"scenario", "floor-idle"}, {"clients", 0}};
        result.update(usage.to_json());
        write_report(o.out, result, Histogram{}, nullptr);
        std::printf("floor-idle: rss %llu kB\n", static_cast<unsigned long long>(usage.end.rss_kb));
    }
    return rc;
}

// Lines "SEQ MICROS\n" for `count` ticks, numbered on from `seq`, stamped now (µs since epoch).
static std::string stamped_lines(std::uint64_t count, std::uint64_t& seq, std::int64_t epoch) {
    std::string chunk;
    char line[64];
    for (std::uint64_t k = 0; k < count; ++k) {
        int len = std::snprintf(line, sizeof line, "%llu %lld\n", static_cast<unsigned long long>(++seq),
                                static_cast<long long>(now_us() - epoch));
        chunk.append(line, static_cast<std::size_t>(len));
    }
    return chunk;
}

// The pty alone: lines written to the master at the scenario rate, read from the slave by a
// child on the daemon's core, as the daemon would.
int run_floor_pty(const Options& o) {
    const std::string name = "floor-pty-r" + std::to_string(o.rate);
    PtyPair pty(true);
    int results[2];
    if (pipe(results) != 0) throw std::runtime_error("pipe failed");
    const std::int64_t epoch = now_us();
    pid_t child = fork();
    if (child == 0) {
        pin_to_cpu(o.daemon_cpu);
        ::close(results[0]);
        std::vector<std::int64_t> latencies;
        std::string buf;
        char chunk[65536];
        bool end = false;
        while (!end) {
            ssize_t n = ::read(pty.slave(), chunk, sizeof chunk);
            if (n <= 0) break;
            std::int64_t now = now_us();
            buf.append(chunk, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n', start)) {
                if (buf.compare(start, 3, "end") == 0) end = true;
                char* stop = nullptr;
                auto seq = static_cast<std::int64_t>(std::strtoull(buf.c_str() + start, &stop, 10));
                latencies.push_back(seq);
                latencies.push_back(now - epoch - std::strtoll(stop, nullptr, 10));
                start = nl + 1;
            }
            buf.erase(0, start);
        }
        auto bytes = latencies.size() * sizeof(std::int64_t);
        const char* p = reinterpret_cast<const char*>(latencies.data());
        while (bytes > 0) {
            ssize_t n = ::write(results[1], p, bytes);
            if (n <= 0) break;
            p += n;
            bytes -= static_cast<std::size_t>(n);
        }
        _exit(0);
    }
    ::close(results[1]);
    std::uint64_t seq = 0;
    {
        Ticker ticker(o.rate);
        const std::int64_t end_us = now_us() + static_cast<std::int64_t>(o.duration_s * 1e6);
        while (now_us() < end_us) {
            pollfd p{ticker.fd(), POLLIN, 0};
            ::poll(&p, 1, 100);
            std::string chunk = stamped_lines(ticker.ticks(), seq, epoch);
            if (!chunk.empty() && ::write(pty.master(), chunk.data(), chunk.size()) < 0) break;
        }
        std::string end = "end 0\n";
        while (::write(pty.master(), end.data(), end.size()) < 0 && errno == EAGAIN) usleep(1000);
    }
    std::string data;
    char buf[65536];
    for (ssize_t n; (n = ::read(results[0], buf, sizeof buf)) > 0;) data.append(buf, static_cast<std::size_t>(n));
    ::close(results[0]);
    waitpid(child, nullptr, 0);
    Histogram latency;
    Delivery delivery;
    const auto* values = reinterpret_cast<const std::int64_t*>(data.data());
    for (std::size_t k = 0; k + 1 < data.size() / sizeof(std::int64_t); k += 2) {
        if (values[k] == 0) continue;  // the end marker
        delivery.on(static_cast<std::uint64_t>(values[k]));
        latency.record(values[k + 1]);
    }
    json result = {{"name", name}, {"scenario", "floor-pty"}, {"clients", 1}, {"rate", o.rate}, {"duration_s", o.duration_s}};
    result.update(delivery_json(seq, delivery.received, delivery.duplicates, delivery.out_of_order));
    result["latency_us"] = latency_json(latency);
    write_report(o.out, result, latency, nullptr);
    std::printf("%s: %llu/%llu lines, p50 %llu us, p99 %llu us\n", name.c_str(),
                static_cast<unsigned long long>(delivery.received), static_cast<unsigned long long>(seq),
                static_cast<unsigned long long>(latency.percentile(0.5)), static_cast<unsigned long long>(latency.percentile(0.99)));
    return delivery.received == 0 ? 1 : 0;
}

// A TCP listener on 127.0.0.1 at a free port; `addr` receives its address.
static int listen_loopback(int backlog, sockaddr_in& addr) {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr = sockaddr_in{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, backlog) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error("cannot listen on loopback");
    return listener;
}

// A raw TCP round trip over loopback: 64 bytes to an echo child on the daemon's core and back.
int run_floor_tcp(const Options& o) {
    const std::string name = "floor-tcp-r" + std::to_string(o.rate);
    sockaddr_in addr{};
    int listener = listen_loopback(1, addr);
    pid_t child = fork();
    if (child == 0) {
        pin_to_cpu(o.daemon_cpu);
        int c = ::accept(listener, nullptr, nullptr);
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char buf[4096];
        for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;)
            if (::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
        _exit(0);
    }
    ::close(listener);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect failed");
    Histogram latency;
    std::uint64_t sent = 0, answered = 0;
    {
        Ticker ticker(o.rate);
        const std::int64_t end_us = now_us() + static_cast<std::int64_t>(o.duration_s * 1e6);
        char msg[64] = {};
        while (now_us() < end_us) {
            pollfd p{ticker.fd(), POLLIN, 0};
            ::poll(&p, 1, 100);
            if (ticker.ticks() == 0) continue;
            std::int64_t start = now_us();
            ++sent;
            if (::send(fd, msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg) break;
            std::size_t got = 0;
            while (got < sizeof msg) {
                ssize_t n = ::recv(fd, msg + got, sizeof msg - got, 0);
                if (n <= 0) break;
                got += static_cast<std::size_t>(n);
            }
            if (got < sizeof msg) break;
            ++answered;
            latency.record(now_us() - start);
        }
    }
    ::close(fd);
    waitpid(child, nullptr, 0);
    json result = {{"name", name}, {"scenario", "floor-tcp"}, {"clients", 1}, {"rate", o.rate}, {"duration_s", o.duration_s}};
    result.update(delivery_json(sent, answered, 0, 0));
    result["latency_us"] = latency_json(latency);
    write_report(o.out, result, latency, nullptr);
    std::printf("%s: %llu round trips, p50 %llu us, p99 %llu us\n", name.c_str(), static_cast<unsigned long long>(answered),
                static_cast<unsigned long long>(latency.percentile(0.5)), static_cast<unsigned long long>(latency.percentile(0.99)));
    return answered == 0 ? 1 : 0;
}

// utime + stime of a process, in clock ticks, and the stime part.
static std::pair<std::uint64_t, std::uint64_t> cpu_ticks_of(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::uint64_t user = 0, sys = 0;
    auto close_paren = content.rfind(')');
    if (close_paren == std::string::npos) return {0, 0};
    std::istringstream fields(content.substr(close_paren + 2));
    std::string field;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) user = std::stoull(field);
        if (i == 15) sys = std::stoull(field);
    }
    return {user + sys, sys};
}

// The fan-out floor: what any bridge has to do for the fanout scenario, and nothing else. A child
// on the daemon's core reads the pty and sends every line as one small WebSocket-sized message
// (2-byte header + line) to each of N loopback TCP connections, one send() per message. Its CPU
// is the kernel's share of the work (pty reads, TCP sends, and on loopback the receiver's half of
// the TCP stack, which Linux runs in the sender's context) that no user-space code can avoid
// without sending fewer, larger segments.
int run_floor_fanout(const Options& o) {
    const std::string name = "floor-fanout-c" + std::to_string(o.clients) + "-r" + std::to_string(o.rate);
    PtyPair pty(true);
    sockaddr_in addr{};
    int listener = listen_loopback(4096, addr);
    const std::int64_t epoch = now_us();
    pid_t child = fork();
    if (child == 0) {
        pin_to_cpu(o.daemon_cpu);
        std::vector<int> peers;
        for (int k = 0; k < o.clients; ++k) {
            int c = ::accept(listener, nullptr, nullptr);
            int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            peers.push_back(c);
        }
        std::string buf;
        char chunk[65536];
        unsigned char frame[130];
        for (bool end = false; !end;) {
            ssize_t n = ::read(pty.slave(), chunk, sizeof chunk);
            if (n <= 0) break;
            buf.append(chunk, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n', start)) {
                std::size_t size = std::min<std::size_t>(nl + 1 - start, 125);
                if (buf.compare(start, 3, "end") == 0) end = true;
                frame[0] = 0x81;
                frame[1] = static_cast<unsigned char>(size);
                std::memcpy(frame + 2, buf.data() + start, size);
                for (int peer : peers) (void)::send(peer, frame, size + 2, MSG_NOSIGNAL);
                start = nl + 1;
            }
            buf.erase(0, start);
        }
        _exit(0);
    }
    ::close(listener);
    std::vector<int> socks;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int k = 0; k < o.clients; ++k) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
            throw std::runtime_error("connect failed");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(k);
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        socks.push_back(fd);
    }
    std::vector<std::string> pending(socks.size());
    Histogram latency;
    std::uint64_t received = 0, seq = 0;
    auto drain = [&](int timeout_ms) {
        epoll_event events[256];
        int n = epoll_wait(ep, events, 256, timeout_ms);
        char buf[65536];
        for (int e = 0; e < n; ++e) {
            auto k = events[e].data.u32;
            ssize_t got = ::recv(socks[k], buf, sizeof buf, 0);
            if (got <= 0) continue;
            std::int64_t now = now_us();
            auto& text = pending[k];
            text.append(buf, static_cast<std::size_t>(got));
            std::size_t start = 0;
            // Each message: 0x81, length, line ending in '\n'.
            while (text.size() >= start + 2 && text.size() >= start + 2 + static_cast<unsigned char>(text[start + 1])) {
                std::size_t size = static_cast<unsigned char>(text[start + 1]);
                const char* line = text.data() + start + 2;
                if (std::strncmp(line, "end", 3) != 0) {
                    char* stop = nullptr;
                    std::strtoull(line, &stop, 10);
                    latency.record(now - epoch - std::strtoll(stop, nullptr, 10));
                    ++received;
                }
                start += 2 + size;
            }
            text.erase(0, start);
        }
    };
    auto before = cpu_ticks_of(child);
    const std::int64_t begin_us = now_us();
    {
        Ticker ticker(o.rate);
        const std::int64_t end_us = begin_us + static_cast<std::int64_t>(o.duration_s * 1e6);
        while (now_us() < end_us) {
            pollfd p{ticker.fd(), POLLIN, 0};
            ::poll(&p, 1, 0);
            std::string chunk = stamped_lines(ticker.ticks(), seq, epoch);
            if (!chunk.empty() && ::write(pty.master(), chunk.data(), chunk.size()) < 0) break;
            drain(1);
        }
    }
    auto after = cpu_ticks_of(child);
    const double secs = static_cast<double>(now_us() - begin_us) / 1e6;
    std::string end = "end 0\n";
    while (::write(pty.master(), end.data(), end.size()) < 0 && errno == EAGAIN) usleep(1000);
    for (std::int64_t stop = now_us() + 2000000; received < seq * socks.size() && now_us() < stop;) drain(10);
    waitpid(child, nullptr, 0);
    for (int fd : socks) ::close(fd);
    ::close(ep);
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    json result = {{"name", name}, {"scenario", "floor-fanout"}, {"clients", o.clients}, {"rate", o.rate},
                   {"duration_s", o.duration_s},
                   {"cpu_percent", std::round(1000.0 * static_cast<double>(after.first - before.first) / tick / secs) / 10},
                   {"cpu_sys_percent", std::round(1000.0 * static_cast<double>(after.second - before.second) / tick / secs) / 10}};
    result.update(delivery_json(seq * socks.size(), received, 0, 0));
    result["latency_us"] = latency_json(latency);
    write_report(o.out, result, latency, nullptr);
    std::printf("%s: %llu/%llu messages, p99 %llu us, cpu %.1f %%\n", name.c_str(), static_cast<unsigned long long>(received),
                static_cast<unsigned long long>(seq * socks.size()),
                static_cast<unsigned long long>(latency.percentile(0.99)), result["cpu_percent"].get<double>());
    return received == 0 ? 1 : 0;
}

}  // namespace hwb::bench
