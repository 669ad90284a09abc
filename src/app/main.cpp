// hwbridge: serial and GPIO hardware on the web. See README.md and docs/.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/bridge.h"
#include "app/logging.h"
#include "app/map_file.h"
#include "app/metrics_sources.h"
#include "app/shutdown.h"
#include "app/systemd.h"
#include "app/token_command.h"
#include "auth/secret.h"
#include "core/channels.h"
#include "core/driver.h"
#include "devicemap/json_schema.h"
#include "devicemap/loader.h"
#include "gpio/gpio_driver.h"
#include "history/history_front.h"
#include "ksensors/ksensor_driver.h"
#include "modbus/modbus_driver.h"
#include "mqtt/mqtt_front.h"
#include "mqttdev/mqtt_driver.h"
#include "automation/automation.h"
#include "automation/automation_front.h"
#include "server/server.h"
#include "serial/serial_driver.h"
#include "sim/sim_driver.h"

namespace {

constexpr const char* version = HWB_VERSION;

// The MQTT front as the automations' uplink: their `publish` actions go out through it.
class MqttUplink final : public hwb::automation::Uplink {
public:
    explicit MqttUplink(hwb::mqtt::MqttFront& front) : front_(front) {}
    hwb::Status publish(const std::string& topic, const std::string& payload, int qos, bool retain) override {
        return front_.publish_message(topic, payload, qos, retain);
    }

private:
    hwb::mqtt::MqttFront& front_;
};

struct Options {
    std::string map_path;
    bool check = false;
    std::string listen;
    std::string log_level;
    std::string sysfs_root = "/sys";  // the kernel sensor drivers' /sys (tests give a folder laid out like it)
};

hwb::DriverRegistry make_driver_registry(const std::string& sysfs_root = "/sys") {
    hwb::DriverRegistry drivers;
    hwb::register_sim_driver(drivers);
    hwb::register_serial_driver(drivers);
    hwb::register_gpio_driver(drivers);
    hwb::register_kernel_sensor_drivers(drivers, sysfs_root);
    hwb::register_mqtt_driver(drivers);
    hwb::register_modbus_driver(drivers);
    return drivers;
}

void print_summary(const hwb::DeviceMap& map, const hwb::app::Bridge& bridge, const hwb::Server& server) {
    spdlog::info("hwbridge {}: '{}' from {}", version, map.bridge.name, map.path);
    for (std::size_t i = 0; i < map.devices.size(); ++i) {
        const auto& d = map.devices[i];
        spdlog::info("device {} (driver {}): {}", d.id, d.driver, bridge.describe(d.id));
        for (const auto& s : d.sensors)
            spdlog::info("  sensor {} '{}'{}{}", s.info.id, s.info.label, s.info.unit.empty() ? "" : " in ", s.info.unit);
        for (const auto& r : d.relays)
            spdlog::info("  relay {} '{}', safe state {}", r.info.id, r.info.label,
                         r.info.safe_state ? (*r.info.safe_state ? "on" : "off") : "none");
        for (const auto& t : d.texts) spdlog::info("  text {} '{}'", t.info.id, t.info.label);
    }
    std::string host = map.bridge.listen_host.find(':') != std::string::npos ? "[" + map.bridge.listen_host + "]"
                                                                               : map.bridge.listen_host;
    spdlog::info("listening on {}://{}:{}{}", server.tls() ? "https" : "http", host, server.port(),
                 server.tls() ? " (TLS: https and wss only)" : "");
}

// `hwbridge modbus read ...` (docs/modbus.md, "Finding the addresses").
CLI::App* add_modbus_read_command(CLI::App& app, hwb::ModbusReadOptions& o) {
    auto* modbus = app.add_subcommand("modbus", "Modbus tools (docs/modbus.md)");
    auto* read = modbus->add_subcommand("read", "read registers or bits of a Modbus unit and print them");
    modbus->require_subcommand(1);
    read->add_option("--port", o.port, "RTU: serial port, e.g. /dev/ttyUSB0");
    read->add_option("--tcp", o.tcp, "Modbus TCP: HOST:PORT");
    read->add_option("--baud", o.baud, "RTU: line speed (default 9600)");
    read->add_option("--parity", o.parity, "RTU: none, even or odd")->check(CLI::IsMember({"none", "even", "odd"}));
    read->add_option("--data-bits", o.data_bits, "RTU: 7 or 8");
    read->add_option("--stop-bits", o.stop_bits, "RTU: 1 or 2");
    read->add_option("--unit", o.unit, "unit (slave) id (default 1)")->check(CLI::Range(0, 247));
    read->add_option("--table", o.table, "input, holding, coil or discrete (default holding)")
        ->check(CLI::IsMember({"input", "holding", "coil", "discrete"}));
    read->add_option("--register,--address", o.address, "first address (0-based protocol address)")->check(CLI::Range(0, 65535));
    read->add_option("--count", o.count, "values to read (default 1)")->check(CLI::Range(1, 2000));
    read->add_option("--type", o.type, "int16, uint16, int32, uint32, float32, int64, uint64, float64")
        ->check(CLI::IsMember({"int16", "uint16", "int32", "uint32", "float32", "int64", "uint64", "float64"}));
    read->add_option("--word-order", o.word_order, "ABCD, CDAB, BADC or DCBA")->check(CLI::IsMember({"ABCD", "CDAB", "BADC", "DCBA"}));
    read->add_option("--timeout", o.timeout_ms, "milliseconds to wait for the answer (default 1000)")->check(CLI::Range(10, 60000));
    return read;
}

// One line on who may do what (docs/security.md, "Authentication").
void log_access(const hwb::DeviceMap& map) {
    const auto& auth = map.auth;
    if (!auth.configured()) {
        if (auth.allow_anonymous) {
            spdlog::warn("no authentication configured: every client is a(n) {} (auth.allow_anonymous); map apply/save "
                         "only for clients on this machine",
                         hwb::to_string(*auth.allow_anonymous));
        } else {
            spdlog::info("no authentication configured: listening on loopback only; every local client is an operator, "
                         "map apply/save for clients on this machine (docs/security.md)");
        }
        return;
    }
    spdlog::info("authentication: {}{} machine token(s), pass-phrase sign-in {}; clients without a token: {}",
                 auth.secret_file.empty() ? "" : "signed tokens, ", auth.machine_tokens.size(),
                 auth.passphrase_hash.empty() ? "off" : std::string("on (role ") + hwb::to_string(auth.passphrase_role) + ")",
                 auth.allow_anonymous ? hwb::to_string(*auth.allow_anonymous) : "nothing until they authenticate");
}

int run(const Options& options) {
    auto drivers = make_driver_registry(options.sysfs_root);
    // The text the map was loaded from is its version's base for the page's editor.
    auto text = hwb::app::read_map_file(options.map_path);
    auto loaded = hwb::load_device_map_file(options.map_path, drivers);
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) std::cerr << e.str() << '\n';
        std::cerr << options.map_path << ": " << loaded.error_count << (loaded.error_count == 1 ? " error" : " errors")
                  << '\n';
        return 1;
    }
    hwb::DeviceMap map = std::move(*loaded.map);
    if (!options.log_level.empty()) {
        hwb::app::set_log_level(options.log_level);
    } else {
        hwb::app::set_log_level(hwb::to_string(map.bridge.log_level));
    }
    hwb::app::Bridge::Overrides overrides{.log_level = !options.log_level.empty(), .map_listen = {}};
    if (!options.listen.empty()) {
        overrides.map_listen = hwb::ListenAddress{map.bridge.listen_host, map.bridge.listen_port};
        auto address = hwb::parse_listen_address(options.listen);
        if (!address.ok()) {
            std::cerr << "hwbridge: --listen: " << address.error().message << '\n';
            return 1;
        }
        map.bridge.listen_host = address.value().host;
        map.bridge.listen_port = address.value().port;
    }
    if (auto problem = hwb::exposure_problem(map.bridge.listen_host, map.auth)) {
        std::cerr << "hwbridge: --listen " << options.listen << " " << *problem << '\n';
        return 1;
    }
    // --check judges the map; the secret file may not exist yet where the map is written (it is
    // created on the bridge machine), so there it is a warning. Starting needs it.
    auto secret = hwb::auth::read_configured_secret(map.auth);
    if (!secret.ok() && !options.check) {
        std::cerr << secret.error().message << '\n';
        return 1;
    }
    if (!secret.ok()) {
        std::string warning = secret.error().message;
        if (auto at = warning.find(": error: "); at != std::string::npos) warning.replace(at, 9, ": warning: ");
        std::cerr << warning << " (hwbridge will not start without it)\n";
    }
    if (options.check) {
        std::size_t channels = 0;
        for (const auto& d : map.devices) channels += d.sensors.size() + d.relays.size() + d.texts.size();
        std::cout << options.map_path << ": ok (" << map.devices.size() << " devices, " << channels << " channels)\n";
        return 0;
    }

    // Signals arrive through the event loop (signalfd), never in the middle of a callback.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    hwb::app::UniqueFd signal_fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_fd) {
        spdlog::error("cannot create signalfd; stopping");
        return 1;
    }

    std::unique_ptr<hwb::Server> server;
    try {
        server = std::make_unique<hwb::Server>(map.bridge);
    } catch (const std::exception& e) {
        spdlog::error("{}; stopping", e.what());
        return 1;
    }
    server->set_auth(map.auth, std::move(secret).value());
    auto bridge = std::make_unique<hwb::app::Bridge>(drivers, *server, map, text.ok() ? text.value() : std::string(),
                                                     overrides);
    // GET /metrics (docs/metrics.md): watching the channels before the devices start, so the first
    // switches (startup, an automation's) are counted too; the other fronts' sources follow below.
    auto metrics = std::make_unique<hwb::metrics::MetricsFront>(server->loop(), version);
    metrics->attach(bridge->channels());
    bridge->start();
    print_summary(bridge->map(), *bridge, *server);
    log_access(bridge->map());
    // The MQTT front (docs/mqtt.md): another front on the same loop and door.
    auto mqtt = std::make_unique<hwb::mqtt::MqttFront>(server->loop(), server->door(), version);
    mqtt->apply(bridge->map(), bridge->channels());
    // Automations (docs/automations.md): one more front, its requests through the same door.
    auto automations = std::make_unique<hwb::automation::AutomationFront>(server->loop(), server->door());
    MqttUplink uplink(*mqtt);
    automations->set_uplink(&uplink);
    automations->apply(bridge->map(), bridge->channels());
    // The history store (docs/history.md): another observer; its database is written off the loop.
    auto history = std::make_unique<hwb::history::HistoryFront>(server->loop());
    history->apply(bridge->map(), bridge->channels());
    server->set_history(history.get());
    server->door().set_audit_listener([&](const std::string& line) { history->record_audit("", line); });
    hwb::app::add_metrics_sources(*metrics, *bridge, *server, server->door(), *mqtt, *history);
    server->set_metrics([&] { return metrics->render(); });
    bridge->on_reloaded([&] {
        mqtt->apply(bridge->map(), bridge->channels());
        automations->apply(bridge->map(), bridge->channels());
        history->apply(bridge->map(), bridge->channels());
        metrics->attach(bridge->channels());
    });

    hwb::app::Systemd systemd(server->loop());
    auto ready_status = [&] { return bridge->map().bridge.name + ": listening on port " + std::to_string(server->port()); };
    systemd.ready(ready_status());

    hwb::app::Shutdown shutdown(*server, bridge->channels());
    auto watch = server->loop().watch_fd(signal_fd.get(), [&](hwb::FdEvent) {
        signalfd_siginfo info{};
        while (read(signal_fd.get(), &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
            if (info.ssi_signo == SIGHUP) {
                spdlog::info("SIGHUP: reloading {}", bridge->map().path);
                systemd.reloading();
                bridge->reload_from_file();
                systemd.ready(ready_status());
            } else {
                systemd.stopping("stopping: relays to their safe state");
                automations->stop();  // nothing may switch a relay back on while they go to their safe states
                shutdown.begin(strsignal(static_cast<int>(info.ssi_signo)));
            }
        }
    });

    server->run();

    mqtt->stop();  // offline on the status topic, clean disconnect
    history->stop();  // the last batch is written
    bridge->on_reloaded({});
    server->set_metrics({});
    metrics.reset();
    automations->set_uplink(nullptr);
    mqtt.reset();
    automations.reset();
    server->set_history(nullptr);
    server->door().set_audit_listener({});
    history.reset();
    watch.reset();
    bridge->close_devices();
    server.reset();  // clients see close 1001
    bridge.reset();
    spdlog::info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"hwbridge: serial and GPIO hardware on the web, driven by a YAML device map", "hwbridge"};
    bool list_ports = false;
    bool list_gpio = false;
    bool list_sensors = false;
    bool schema = false;
    // The subcommand first: CLI11 2.4 (Debian 13) refuses a subcommand option (token --map) named like a
    // positional of its parent that exists already; the other order is accepted by 2.1 and 2.4 alike.
    hwb::app::TokenOptions token_options;
    auto* token = hwb::app::add_token_command(app, token_options);
    hwb::ModbusReadOptions modbus_read;
    auto* modbus_read_command = add_modbus_read_command(app, modbus_read);
    auto* map = app.add_option("map", options.map_path, "device map (YAML), e.g. config/demo.yaml");
    app.add_flag("--list-ports", list_ports, "list serial ports with their USB ids (for the map's port/usb_* keys) and exit");
    app.add_flag("--list-gpio", list_gpio, "list GPIO chips and their lines with names and consumers (for the map's chip/line keys) and exit");
    app.add_flag("--list-sensors", list_sensors,
                 "list the IIO devices, hwmon chips and 1-Wire thermometers the kernel offers, with map entries, and exit");
    app.add_option("--sysfs-root", options.sysfs_root, "where sysfs is mounted, for the iio/hwmon/w1 drivers (default /sys; for tests)");
    app.add_flag("--schema", schema, "print the device map's JSON Schema (for editors, see docs/device-map.md) and exit");
    app.add_flag("--check", options.check, "validate the device map without touching hardware; exit 0 if valid, 1 if not");
    app.add_option("--listen", options.listen, "listen address HOST:PORT, overrides bridge.listen (port 0: any free port)");
    app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off (default: the map's log_level)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
    app.set_version_flag("--version", std::string("hwbridge ") + version);
    CLI11_PARSE(app, argc, argv);
    if (token->parsed()) return hwb::app::run_token_command(token_options, make_driver_registry());
    if (modbus_read_command->parsed()) return hwb::run_modbus_read(modbus_read, std::cout, std::cerr);
    if (list_ports) {
        std::cout << hwb::serial_port_list();
        return 0;
    }
    if (schema) {
        std::cout << hwb::devicemap::json_schema(make_driver_registry());
        return 0;
    }
    if (list_gpio) {
        std::string listing;
        bool ok = hwb::gpio_chip_list(listing);
        (ok ? std::cout : std::cerr) << listing;
        return ok ? 0 : 1;
    }
    if (list_sensors) {
        std::cout << hwb::kernel_sensor_list(options.sysfs_root);
        return 0;
    }
    if (map->count() == 0) {
        std::cerr << "hwbridge: the device map is required (e.g. hwbridge config/demo.yaml); see --help\n";
        return 1;
    }

    hwb::app::setup_logging();
    try {
        return run(options);
    } catch (const std::exception& e) {
        spdlog::critical("internal error: {}", e.what());
        return 2;
    }
}
