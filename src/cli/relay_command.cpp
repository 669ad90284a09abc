// hwb relay set|toggle|pulse CHANNEL ...: waits for the confirmed state and prints it. With
// --lease the lease is renewed while hwb runs: until a signal, or while `-- COMMAND` runs; then
// the relay connection is closed and the bridge drives the relay to its safe state at once.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "cli/cli.h"

namespace hwb::cli {

namespace {

using client::Json;

constexpr std::chrono::milliseconds default_command_lease{10000};

// Starts `command` with the signal mask hwb had; it gets SIGTERM should hwb die first, so that a
// script never goes on believing it holds a relay that the bridge has already released.
pid_t start_command(const std::vector<std::string>& command, const sigset_t* mask) {
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // hwb died between fork and prctl
    sigprocmask(SIG_SETMASK, mask, nullptr);
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "hwb: cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
}

int status_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 1;
}

// Closes the relay connection (ending the leases) and waits a moment for the close to go out.
void release(client::Client& c) {
    c.release_leases();
    c.run_until([&] { return !c.active(ChannelKind::relay); }, std::chrono::milliseconds(2000));
}

}  // namespace

int run_relay(const Globals& g, const RelayOptions& r) {
    auto options = client_options(g);
    if (!options.ok()) return usage_error(options.error().message);
    std::optional<std::chrono::milliseconds> lease;
    if (!r.lease.empty()) {
        lease = parse_duration(r.lease);
        if (!lease || *lease < std::chrono::milliseconds(1000))
            return usage_error("--lease must be a duration from 1s to 24h, e.g. 30s");
    }
    if (!r.command.empty() && !lease) lease = default_command_lease;
    if (r.action == "pulse" && (lease || !r.command.empty())) return usage_error("pulse takes no --lease or command");

    auto o = std::move(options).value();
    o.reconnect = false;  // a lease cannot survive a lost connection: the bridge has ended it
    client::BlockingClient c(std::move(o));
    Result<Json> answer = Error{};
    if (r.action == "set") {
        if (r.state != "on" && r.state != "off") return usage_error("relay set takes on or off, not '" + r.state + "'");
        answer = c.set(r.channel, r.state == "on", lease);
    } else if (r.action == "toggle") {
        answer = c.toggle(r.channel, lease);
    } else {
        auto duration = parse_duration(r.duration);
        if (!duration) return usage_error("relay pulse takes a duration from 1ms to 24h, e.g. 500ms");
        answer = c.pulse(r.channel, *duration);
    }
    if (!answer.ok()) return fail(answer.error());
    std::cout << (g.json ? answer.value().dump() : r.channel + " " + answer.value().value("state", "?")) << '\n' << std::flush;
    if (!lease) return exit_status::ok;
    if (!c.client().holds_lease(r.channel)) {
        // Switched off (or toggled off): there is nothing to hold; the command still runs.
        if (r.command.empty()) return exit_status::ok;
    }

    auto& client = c.client();
    std::optional<Error> lost;
    pid_t child = -1;
    std::optional<int> child_status;
    bool stop_requested = false;
    client.events().lease_lost = [&](const std::string& channel, const Error& error) {
        if (channel != r.channel || lost) return;
        lost = error;
        if (child > 0 && !child_status) kill(child, SIGTERM);
        client.stop();
    };
    Signals signals(client.loop(), !r.command.empty(), [&](int signo) {
        if (signo == SIGCHLD) {
            int ws = 0;
            if (child > 0 && waitpid(child, &ws, WNOHANG) == child) {
                child_status = status_of(ws);
                client.stop();
            }
            return;
        }
        // Interrupted: a running command gets the signal and ends the hold by exiting.
        if (child > 0 && !child_status) {
            kill(child, signo);
        } else {
            stop_requested = true;
            client.stop();
        }
    });
    if (!r.command.empty()) child = start_command(r.command, static_cast<const sigset_t*>(signals.old_mask()));

    while (!(child_status || stop_requested || (lost && (child <= 0 || child_status)))) {
        client.run();
        if (lost && child > 0 && !child_status) continue;  // wait for the command to end
    }
    release(client);
    if (lost) {
        std::cerr << "hwb: lease on '" << r.channel << "' lost: " << lost->code << ": " << lost->message << '\n';
        return exit_status::lease_lost;
    }
    if (child_status) return *child_status;
    return exit_status::ok;
}

}  // namespace hwb::cli
