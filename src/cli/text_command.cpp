// hwb send CHANNEL LINE, hwb console CHANNEL.
//
// The console is line based, as text channels are: what is typed is kept until Enter and then
// sent as one line. Keys follow picocom and minicom: the escape key C-a, then C-x or C-q (minicom:
// x or q) to exit, C-c (minicom: e) to switch local echo (showing what is typed; off at start, as
// in picocom). Lines from the device are printed as they come, as a terminal program prints a
// device's bytes; lines other clients send to it are shown with "> ".
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "cli/cli.h"

namespace hwb::cli {

namespace {

using client::Json;

class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (tcgetattr(fd_, &saved_) != 0) return;
        termios raw = saved_;
        // No line editing, echo or signal keys: hwb does those. Output processing stays (\n -> \r\n).
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG | IEXTEN);
        raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL | INLCR | IGNCR);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) tcsetattr(fd_, TCSANOW, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

constexpr char ctrl(char c) { return static_cast<char>(c & 0x1f); }

}  // namespace

int run_send(const Globals& g, const std::string& channel, const std::string& line) {
    auto options = client_options(g);
    if (!options.ok()) return usage_error(options.error().message);
    auto o = std::move(options).value();
    o.reconnect = false;
    client::BlockingClient c(std::move(o));
    auto opened = c.open_text(channel);
    if (!opened.ok()) return fail(opened.error());
    auto sent = c.send(channel, line);
    if (!sent.ok()) return fail(sent.error());
    if (g.json) std::cout << sent.value().dump() << '\n';
    return exit_status::ok;
}

int run_console(const Globals& g, const ConsoleOptions& opt) {
    auto options = client_options(g);
    if (!options.ok()) return usage_error(options.error().message);
    client::Client c(std::move(options).value());
    const bool tty = isatty(STDIN_FILENO) == 1;
    std::optional<RawTerminal> raw;
    bool echo = opt.echo;
    bool escaped = false;
    bool input_done = false;
    std::string typed;  // the line being typed
    std::size_t in_flight = 0;
    std::optional<Error> failed;
    std::string our_id;
    const char escape = ctrl(opt.escape);

    auto show_typed = [&] {
        if (tty && echo && !typed.empty()) std::cout << typed << std::flush;
    };
    // A line from the bridge, printed above what is being typed.
    auto print_line = [&](const std::string& text) {
        std::string out;
        if (tty && echo && !typed.empty()) out += "\r\x1b[K";
        out += text + "\n";
        std::cout << out;
        show_typed();
        std::cout << std::flush;
    };

    Timer linger(c.loop(), [&] { c.stop(); });
    auto send_line = [&](std::string line) {
        ++in_flight;
        c.send(opt.channel, line, [&](Result<Json> r) {
            --in_flight;
            if (!r.ok()) {
                if (client::is_auth_error(r.error().code) || r.error().code == client::errors::disconnected ||
                    r.error().code == "unknown_channel") {
                    failed = r.error();
                    c.stop();
                } else {
                    std::cerr << (tty ? "\r\x1b[K" : "") << "hwb: refused: " << printable(r.error().code) << ": " << printable(r.error().message)
                              << (tty ? "\r\n" : "\n") << std::flush;
                    show_typed();
                }
            }
            if (input_done && in_flight == 0 && !tty && !linger.active()) c.stop();
        });
    };

    auto& e = c.events();
    e.hello = [&](ChannelKind kind, const client::HelloMessage& hello, bool reconnected) {
        if (kind != ChannelKind::text) return;
        our_id = hello.client;
        if (reconnected) std::cerr << (tty ? "\r\x1b[K" : "") << "hwb: reconnected" << (tty ? "\r\n" : "\n");
    };
    e.line = [&](const client::LineMessage& line) {
        if (line.channel != opt.channel) return;
        if (line.dir == "tx") {
            const bool ours = line.by == our_id || (!c.options().name.empty() && line.by == c.options().name);
            if (ours) return;  // shown as typed (local echo) or deliberately not (echo off)
            print_line("> " + line.line);
            return;
        }
        print_line(line.line);
    };
    e.disconnected = [&](ChannelKind, const Error& error, bool retrying) {
        std::cerr << (tty ? "\r\x1b[K" : "") << "hwb: " << printable(error.message) << (retrying ? "; reconnecting" : "")
                  << (tty ? "\r\n" : "\n");
        if (!retrying) {
            failed = error;
            c.stop();
        }
    };

    std::optional<Result<Json>> opened;
    c.open_text(opt.channel, [&](Result<Json> r) { opened = std::move(r); });
    c.run_until([&] { return opened.has_value(); }, c.options().request_timeout + std::chrono::seconds(1));
    if (!opened) return fail(Error{client::errors::no_answer, "no answer from the bridge"});
    if (!opened->ok()) return fail(opened->error());
    if (const auto* hello = c.hello(ChannelKind::text)) {
        for (const auto& ch : hello->channels)
            if (ch.id == opt.channel && !ch.fields.value("input", true))
                std::cerr << "hwb: '" << opt.channel << "' is display-only: lines typed here are refused\n";
    }

    auto on_input = [&](const char* data, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            const char ch = data[i];
            if (escaped) {
                escaped = false;
                // picocom: C-x / C-q; minicom: x / q.
                if (ch == ctrl('x') || ch == ctrl('q') || ch == 'x' || ch == 'X' || ch == 'q' || ch == 'Q') {
                    input_done = true;
                    c.stop();
                    return;
                }
                // picocom: C-c; minicom: e.
                if (ch == ctrl('c') || ch == 'e' || ch == 'E') {
                    echo = !echo;
                    std::cerr << "\r\x1b[K*** local echo: " << (echo ? "yes" : "no") << " ***\r\n";
                    show_typed();
                    std::cout << std::flush;
                }
                continue;
            }
            if (tty && ch == escape) {
                escaped = true;
                continue;
            }
            if (ch == '\r' || ch == '\n') {
                if (!tty && ch == '\r') continue;
                if (tty && echo) std::cout << "\r\x1b[K" << typed << "\n" << std::flush;
                send_line(std::move(typed));
                typed.clear();
            } else if (tty && (ch == 0x7f || ch == 0x08)) {
                while (!typed.empty() && (static_cast<unsigned char>(typed.back()) & 0xC0) == 0x80) typed.pop_back();
                if (!typed.empty()) typed.pop_back();
                if (echo) std::cout << "\r\x1b[K" << typed << std::flush;
            } else if (tty && ch == ctrl('u')) {
                typed.clear();
                if (echo) std::cout << "\r\x1b[K" << std::flush;
            } else if (tty && static_cast<unsigned char>(ch) < 0x20 && ch != '\t') {
                // Other control keys cannot be part of a line: ignored.
            } else {
                typed += ch;
                if (tty && echo) std::cout << ch << std::flush;
            }
        }
    };
    std::unique_ptr<FdWatch> input;
    input = c.loop().watch_fd(STDIN_FILENO, [&](FdEvent ev) {
        char buf[4096];
        ssize_t n = ev == FdEvent::hangup ? 0 : read(STDIN_FILENO, buf, sizeof buf);
        if (n > 0) {
            on_input(buf, static_cast<std::size_t>(n));
            return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        // End of input: a last unterminated line is sent too; then wait for the answers and
        // `linger` for the device's replies.
        if (input_done) return;
        input_done = true;
        if (!typed.empty()) send_line(std::move(typed));
        typed.clear();
        if (tty) {
            c.stop();
        } else {
            linger.start(std::chrono::milliseconds(static_cast<std::int64_t>(opt.linger_s * 1000)));
        }
    });
    if (tty) {
        raw.emplace(STDIN_FILENO);
        std::cerr << "hwb: console on '" << opt.channel << "' at " << c.endpoint().str() << "; exit: C-" << opt.escape
                  << " C-x, local echo: C-" << opt.escape << " C-c (" << (echo ? "on" : "off") << ")\r\n";
    }
    Signals signals(c.loop(), false, [&](int) { c.stop(); });
    for (;;) {
        c.run();
        // After the end of piped input: done when every line was answered and the linger passed.
        if (failed || tty || !input_done || (in_flight == 0 && !linger.active())) break;
    }
    input.reset();
    raw.reset();
    if (tty) std::cerr << "\r\nhwb: console closed\n";
    if (failed) return fail(*failed);
    return exit_status::ok;
}

}  // namespace hwb::cli
