// hwb: the bridge's command-line client (docs/client.md, hwb(1)). A second small binary rather
// than subcommands of hwbridge: the daemon's command line is about a device map (hwbridge MAP),
// hwb's about a running bridge, possibly another machine's; hwb links neither the drivers nor the
// server, and short commands read better in scripts (hwb relay set pump on).
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli.h"

namespace {

constexpr const char* version = HWB_VERSION;

const char* examples =
    "Examples:\n"
    "  hwb channels\n"
    "  hwb get temperature\n"
    "  hwb watch temperature humidity            # a table on a terminal, JSON lines when piped\n"
    "  hwb watch --json --count 10 | jq .value\n"
    "  hwb relay set pump on\n"
    "  hwb relay set pump on --lease 10s -- ./water.sh   # pump on only while water.sh runs\n"
    "  hwb relay pulse door_opener 500ms\n"
    "  hwb send console 'status'\n"
    "  hwb console console                       # exit with C-a C-x\n"
    "  HWB_TOKEN=$(cat ~/.hwb-token) hwb --url https://bridge.local:8443 --ca ca.pem channels\n"
    "Environment: HWB_URL, HWB_TOKEN, HWB_TOKEN_FILE.\n";

}  // namespace

int main(int argc, char** argv) {
    // Everything after the first "--" is the command a lease is held for; CLI11 never sees it.
    std::vector<std::string> command;
    int own_argc = argc;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--") {
            own_argc = i;
            for (int j = i + 1; j < argc; ++j) command.emplace_back(argv[j]);
            break;
        }
    }

    using namespace hwb::cli;
    Globals g;
    CLI::App app{"hwb: command-line client of an hwbridge (docs/client.md)", "hwb"};
    app.footer(std::string(examples) + exit_status_help());
    app.require_subcommand(1);
    // Global options may also follow the subcommand: hwb relay set pump on --json.
    app.fallthrough();
    app.add_option("--url", g.url, "the bridge: http(s):// or ws(s)://HOST:PORT (default: HWB_URL, else bridge.listen of "
                                   "/etc/hwbridge/hwbridge.yaml or --map, else http://127.0.0.1:8080)");
    app.add_option("--map", g.map, "read the bridge's address from this device map");
    app.add_option("--token", g.token, "access token (visible to other users in ps: prefer HWB_TOKEN or --token-file)");
    app.add_option("--token-file", g.token_file, "read the token from the first line of this file");
    app.add_option("--ca", g.ca, "with https/wss: trust the bridge's certificate if it chains to this CA (PEM)");
    app.add_option("--name", g.name, "the name others see as the cause of this client's changes (default: its connection id)");
    app.add_option("--timeout", g.timeout_s, "seconds to wait for the connection and for each answer (default 10)");
    app.add_flag("--json", g.json, "machine-readable output: JSON (one object per line for watch)");
    app.add_flag("--verbose", g.verbose, "print libwebsockets' own errors and warnings");
    app.set_version_flag("--version", std::string("hwb ") + version);

    auto* channels = app.add_subcommand("channels", "every channel with kind, label, unit and state");
    std::string get_channel;
    auto* get = app.add_subcommand("get", "print one channel's current value (a sensor's value, a relay's state, a text's last line)");
    get->add_option("channel", get_channel, "channel id")->required();

    WatchOptions watch_options;
    auto* watch = app.add_subcommand("watch", "live sensor readings: a table on a terminal, JSON lines when piped or with --json");
    watch->add_option("sensors", watch_options.sensors, "sensor ids (default: all)");
    watch->add_option("--rate", watch_options.rate_hz, "at most this many readings per sensor and second");
    watch->add_option("--count", watch_options.count, "exit after this many readings (the current values count)");
    watch->add_flag("--table", watch_options.table, "the table even when the output is not a terminal");

    RelayOptions relay_options;
    auto* relay = app.add_subcommand("relay", "switch a relay and print its confirmed state");
    relay->require_subcommand(1);
    auto* set = relay->add_subcommand("set", "set CHANNEL on|off [--lease DURATION] [-- COMMAND...]");
    set->add_option("channel", relay_options.channel, "relay id")->required();
    set->add_option("state", relay_options.state, "on or off")->required();
    set->add_option("--lease", relay_options.lease,
                    "hold the relay on with a lease renewed while hwb runs: until interrupted, or while COMMAND runs");
    auto* toggle = relay->add_subcommand("toggle", "toggle CHANNEL [--lease DURATION] [-- COMMAND...]");
    toggle->add_option("channel", relay_options.channel, "relay id")->required();
    toggle->add_option("--lease", relay_options.lease, "as for set");
    auto* pulse = relay->add_subcommand("pulse", "pulse CHANNEL DURATION: on, and off again after DURATION (e.g. 500ms)");
    pulse->add_option("channel", relay_options.channel, "relay id")->required();
    pulse->add_option("duration", relay_options.duration, "1ms .. 24h")->required();

    std::string send_channel;
    std::vector<std::string> send_words;
    auto* send = app.add_subcommand("send", "send CHANNEL LINE: send one line to a text channel");
    send->add_option("channel", send_channel, "text channel id")->required();
    send->add_option("line", send_words, "the line (several words are joined with spaces)")->required();

    ConsoleOptions console_options;
    auto* console = app.add_subcommand("console", "interactive terminal on a text channel (C-a C-x exits, C-a C-c local echo)");
    console->add_option("channel", console_options.channel, "text channel id")->required();
    console->add_flag("--echo", console_options.echo, "local echo on at start");
    std::string escape = "a";
    console->add_option("--escape", escape, "the escape key: C-<letter> (default a, as picocom)");
    console->add_option("--linger", console_options.linger_s,
                        "input not a terminal: seconds to wait for replies after its end (default 0.5)");

    try {
        app.parse(own_argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_status::usage;
    }
    if (!command.empty() && !set->parsed() && !toggle->parsed())
        return usage_error("'-- COMMAND' goes with relay set or relay toggle");

    try {
        if (channels->parsed()) return run_channels(g);
        if (get->parsed()) return run_get(g, get_channel);
        if (watch->parsed()) return run_watch(g, watch_options);
        if (relay->parsed()) {
            relay_options.action = set->parsed() ? "set" : toggle->parsed() ? "toggle" : "pulse";
            relay_options.command = command;
            return run_relay(g, relay_options);
        }
        if (send->parsed()) {
            std::string line;
            for (const auto& w : send_words) line += (line.empty() ? "" : " ") + w;
            return run_send(g, send_channel, line);
        }
        if (console->parsed()) {
            if (escape.size() != 1 || !std::isalpha(static_cast<unsigned char>(escape[0])))
                return usage_error("--escape takes one letter (C-a: a)");
            console_options.escape = static_cast<char>(std::tolower(static_cast<unsigned char>(escape[0])));
            return run_console(g, console_options);
        }
    } catch (const std::exception& e) {
        std::cerr << "hwb: " << e.what() << '\n';
        return exit_status::connection;
    }
    return exit_status::usage;
}
