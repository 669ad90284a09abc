// What the commands share: exit statuses, where the bridge is, the token, durations, signals.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "cli/cli.h"

namespace hwb::cli {

int exit_status_for(const std::string& code) {
    static const std::map<std::string, int> statuses = {
        {client::errors::bad_url, exit_status::usage},
        {client::errors::connect_failed, exit_status::connection},
        {client::errors::disconnected, exit_status::connection},
        {client::errors::no_answer, exit_status::connection},
        {"unauthorized", exit_status::auth},
        {"bad_token", exit_status::auth},
        {"token_expired", exit_status::auth},
        {"forbidden", exit_status::forbidden},
        {"unknown_channel", exit_status::unknown_channel},
        {"interlock", exit_status::interlock},
        {"too_soon", exit_status::too_soon},
        {"busy", exit_status::busy},
        {"rate_limited", exit_status::rate_limited},
        {"offline", exit_status::offline},
        {"unavailable", exit_status::offline},  // stored history off or failed (docs/history.md)
        {"hardware", exit_status::hardware},
        {"timeout", exit_status::timeout},
        {"unknown_state", exit_status::unknown_state},
        {"no_lease", exit_status::lease_lost},
        {"lease_expired", exit_status::lease_lost},
        {client::errors::lease_ended, exit_status::lease_lost},
        {"too_long", exit_status::text_refused},
        {"not_open", exit_status::text_refused},
        {"read_only", exit_status::text_refused},
        {"bad_request", exit_status::protocol},
        {"bad_json", exit_status::protocol},
        {"unknown_type", exit_status::protocol},
    };
    auto it = statuses.find(code);
    return it == statuses.end() ? exit_status::refused : it->second;
}

const char* exit_status_help() {
    return "Exit status:\n"
           "   0  ok\n"
           "   1  refused by the bridge with a code not listed here\n"
           "   2  usage: bad arguments, unreadable token file, bad --url\n"
           "   3  connection: cannot connect, TLS failure, connection lost, no answer in time\n"
           "   4  unauthorized, bad_token, token_expired\n"
           "   5  forbidden (role or token scope)\n"
           "   6  unknown_channel\n"
           "   7  interlock\n"
           "   8  too_soon (min_on / min_off)\n"
           "   9  busy\n"
           "  10  rate_limited\n"
           "  11  offline, unavailable (stored history off)\n"
           "  12  hardware\n"
           "  13  timeout (the hardware did not confirm)\n"
           "  14  unknown_state (toggle of a relay in an unknown state)\n"
           "  15  lease lost: no_lease, lease_expired, or ended by another client\n"
           "  16  text refused: too_long, not_open, read_only\n"
           "  17  protocol: bad_request, bad_json, unknown_type (bridge and hwb disagree)\n"
           "  With -- COMMAND: the command's own status once it ran (128+N if killed by signal N).\n";
}

std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

int fail(const Error& error) {
    const int status = exit_status_for(error.code);
    const bool refusal = status != exit_status::connection && status != exit_status::usage;
    std::cerr << "hwb: " << (refusal ? "refused: " : "") << printable(error.code) << ": " << printable(error.message)
              << '\n';
    return status;
}

int usage_error(const std::string& message) {
    std::cerr << "hwb: " << message << " (see hwb --help)\n";
    return exit_status::usage;
}

namespace {

std::string trim(std::string s) {
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}

// The address the local bridge listens on, from its device map: bridge.listen, and https when
// bridge.tls is set. An any-address listen is reached over loopback.
std::optional<std::string> url_from_map(const std::string& path, bool required, std::string& problem) {
    std::ifstream in(path);
    if (!in) {
        if (required) problem = "cannot read the device map " + path;
        return std::nullopt;
    }
    try {
        YAML::Node root = YAML::Load(in);
        YAML::Node bridge = root["bridge"];
        if (!bridge || !bridge.IsMap()) return std::nullopt;
        std::string listen = bridge["listen"] ? bridge["listen"].as<std::string>() : "127.0.0.1:8080";
        const bool tls = bridge["tls"].IsDefined() && !bridge["tls"].IsNull();
        std::string host = listen, port = "8080";
        if (!listen.empty() && listen.front() == '[') {
            const auto close = listen.find(']');
            if (close == std::string::npos) return std::nullopt;
            host = listen.substr(1, close - 1);
            if (close + 1 < listen.size() && listen[close + 1] == ':') port = listen.substr(close + 2);
        } else if (std::count(listen.begin(), listen.end(), ':') == 1) {
            const auto colon = listen.find(':');
            host = listen.substr(0, colon);
            port = listen.substr(colon + 1);
        }
        if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
        if (host == "::") host = "::1";
        if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
        return std::string(tls ? "https://" : "http://") + host + ":" + port;
    } catch (const std::exception& e) {
        if (required) problem = "cannot read bridge.listen from " + path + ": " + e.what();
        return std::nullopt;
    }
}

}  // namespace

Result<client::Options> client_options(const Globals& g) {
    client::Options o;
    if (!g.url.empty()) {
        o.url = g.url;
    } else if (const char* u = env("HWB_URL")) {
        o.url = u;
    } else {
        std::string problem;
        const std::string map = g.map.empty() ? "/etc/hwbridge/hwbridge.yaml" : g.map;
        auto url = url_from_map(map, !g.map.empty(), problem);
        if (!problem.empty()) return Error{"usage", problem};
        o.url = url.value_or("http://127.0.0.1:8080");
    }
    if (auto endpoint = client::parse_url(o.url); !endpoint.ok()) return Error{"usage", endpoint.error().message};

    if (!g.token.empty()) {
        o.token = g.token;
    } else if (const char* t = env("HWB_TOKEN")) {
        o.token = t;
    } else {
        std::string file = !g.token_file.empty() ? g.token_file : (env("HWB_TOKEN_FILE") ? env("HWB_TOKEN_FILE") : "");
        if (!file.empty()) {
            std::ifstream in(file);
            if (!in) return Error{"usage", "cannot read the token file " + file};
            std::string line;
            std::getline(in, line);
            o.token = trim(line);
            if (o.token.empty()) return Error{"usage", "the token file " + file + " is empty"};
        }
    }
    o.token = trim(o.token);
    if (!g.ca.empty()) {
        if (access(g.ca.c_str(), R_OK) != 0) return Error{"usage", "cannot read the CA file " + g.ca};
        o.ca_file = g.ca;
    }
    o.name = g.name;
    if (!(g.timeout_s > 0 && g.timeout_s <= 86400)) return Error{"usage", "--timeout must be between 0 and 86400 seconds"};
    o.request_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(g.timeout_s * 1000));
    o.lws_log = g.verbose;
    return o;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
    std::size_t used = 0;
    double number = 0;
    try {
        number = std::stod(text, &used);
    } catch (...) {
        return std::nullopt;
    }
    const std::string unit = text.substr(used);
    double ms = 0;
    if (unit.empty() || unit == "s") {
        ms = number * 1000;
    } else if (unit == "ms") {
        ms = number;
    } else if (unit == "m" || unit == "min") {
        ms = number * 60000;
    } else if (unit == "h") {
        ms = number * 3600000;
    } else {
        return std::nullopt;
    }
    if (!std::isfinite(ms) || ms < 1 || ms > 86400000.0) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::size_t display_width(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

std::string format_value(const client::Json& value, int precision) {
    if (value.is_boolean()) return value.get<bool>() ? "on" : "off";
    if (value.is_number()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*f", std::clamp(precision, 0, 12), value.get<double>());
        return buf;
    }
    if (value.is_string()) return value.get<std::string>();
    return "-";
}

// ---- signals ----

struct Signals::Impl {
    sigset_t old{};
    int fd = -1;
    std::unique_ptr<FdWatch> watch;
};

Signals::Signals(EventLoop& loop, bool with_child, std::function<void(int)> on_signal) : impl_(std::make_unique<Impl>()) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (with_child) sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &impl_->old);
    impl_->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (impl_->fd < 0) throw std::runtime_error("cannot create a signalfd");
    const int fd = impl_->fd;
    impl_->watch = loop.watch_fd(fd, [fd, on_signal = std::move(on_signal)](FdEvent) {
        signalfd_siginfo info{};
        while (read(fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) on_signal(static_cast<int>(info.ssi_signo));
    });
}

Signals::~Signals() {
    impl_->watch.reset();
    ::close(impl_->fd);
    sigprocmask(SIG_SETMASK, &impl_->old, nullptr);
}

const void* Signals::old_mask() const { return &impl_->old; }

}  // namespace hwb::cli
