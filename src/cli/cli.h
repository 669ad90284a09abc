// The hwb command (docs/client.md): what its commands share.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/blocking.h"
#include "client/client.h"
#include "core/event_loop.h"
#include "core/result.h"

namespace hwb::cli {

// Exit statuses (documented in `hwb --help`, hwb(1) and docs/client.md), so that a script can
// branch on why a command failed.
namespace exit_status {
inline constexpr int ok = 0;
inline constexpr int refused = 1;          // the bridge refused with a code not listed below
inline constexpr int usage = 2;            // bad arguments, unreadable token file
inline constexpr int connection = 3;       // cannot connect, TLS failure, connection lost, no answer
inline constexpr int auth = 4;             // unauthorized, bad_token, token_expired
inline constexpr int forbidden = 5;
inline constexpr int unknown_channel = 6;
inline constexpr int interlock = 7;
inline constexpr int too_soon = 8;
inline constexpr int busy = 9;
inline constexpr int rate_limited = 10;
inline constexpr int offline = 11;
inline constexpr int hardware = 12;
inline constexpr int timeout = 13;         // the hardware did not confirm in time
inline constexpr int unknown_state = 14;
inline constexpr int lease_lost = 15;      // no_lease, lease_expired, lease_ended
inline constexpr int text_refused = 16;    // too_long, not_open, read_only
inline constexpr int protocol = 17;        // bad_request, bad_json, unknown_type: bridge and hwb disagree
}  // namespace exit_status

int exit_status_for(const std::string& error_code);
// The table printed by --help and in the man page.
const char* exit_status_help();

struct Globals {
    std::string url;         // --url
    std::string map;         // --map: read the bridge's address from this device map
    std::string token;       // --token
    std::string token_file;  // --token-file
    std::string ca;          // --ca
    std::string name;        // --name: the `client` name of requests
    double timeout_s = 10;   // --timeout
    bool json = false;       // --json
    bool verbose = false;    // --verbose: libwebsockets' own messages
};

// Client options from the globals, the environment (HWB_URL, HWB_TOKEN, HWB_TOKEN_FILE) and the
// local map. Errors: usage problems (exit 2).
Result<client::Options> client_options(const Globals& globals);

// "hwb: refused: interlock: relay 'fan' is on ..." on stderr; returns the exit status of the code.
int fail(const Error& error);
int usage_error(const std::string& message);

// 30s, 500ms, 2m, 1h, 1.5s; a bare number is seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

// Text from the bridge (labels, units, reasons, error messages) made safe for a terminal: control
// characters (an escape sequence could rewrite the screen or the title) become '?'.
std::string printable(std::string_view text);
// Display width of UTF-8 text (code points; the labels are not East Asian wide).
std::size_t display_width(const std::string& text);
// A sensor value for people: `precision` decimals, or on/off for boolean sensors; "-" for none.
std::string format_value(const client::Json& value, int precision);

// SIGINT, SIGTERM and SIGHUP (and SIGCHLD when asked) through a signalfd watched by the loop.
class Signals {
public:
    Signals(EventLoop& loop, bool with_child, std::function<void(int)> on_signal);
    ~Signals();
    Signals(const Signals&) = delete;
    Signals& operator=(const Signals&) = delete;
    // The mask a child should get back before exec.
    const void* old_mask() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Commands; each returns the exit status.
int run_channels(const Globals& g);
int run_get(const Globals& g, const std::string& channel);
struct WatchOptions {
    std::vector<std::string> sensors;
    double rate_hz = 0;  // 0: no cap
    long count = 0;      // 0: until interrupted
    bool table = false;  // --table: the table even when not on a terminal (tests)
};
int run_watch(const Globals& g, const WatchOptions& w);
struct RelayOptions {
    std::string action;  // set, toggle, pulse
    std::string channel;
    std::string state;     // set: on/off
    std::string duration;  // pulse
    std::string lease;     // --lease
    std::vector<std::string> command;  // after --
};
int run_relay(const Globals& g, const RelayOptions& r);
int run_send(const Globals& g, const std::string& channel, const std::string& line);
struct ConsoleOptions {
    std::string channel;
    bool echo = false;      // local echo at start (toggled with C-a C-c)
    char escape = 'a';      // C-a
    double linger_s = 0.5;  // stdin not a terminal: wait this long for replies after its end
};
int run_console(const Globals& g, const ConsoleOptions& c);

}  // namespace hwb::cli
