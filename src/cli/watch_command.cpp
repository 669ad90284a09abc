// hwb watch [SENSOR...]: live readings. On a terminal a table redrawn in place (at most 10 times a
// second, whatever the rate); piped or with --json the bridge's reading and status messages, one
// JSON object per line, starting with the current values.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <set>

#include "cli/cli.h"
#include "protocol/json_writer.h"

namespace hwb::cli {

namespace {

using client::Json;

struct Row {
    std::string label;
    std::string unit;
    int precision = 2;
    Json value;
    bool online = true;
    std::string reason;
};

class Watch {
public:
    Watch(client::Client& c, const WatchOptions& w, bool table) : c_(c), w_(w), table_(table) {}

    void on_hello(const client::HelloMessage& hello) {
        // A reload may add, remove or relabel sensors: rebuild the rows from the new metadata.
        std::map<std::string, Row> rows;
        for (const auto& ch : hello.channels) {
            if (!watched(ch.id)) continue;
            Row row{ch.label, ch.unit, ch.fields.value("precision", 2), ch.value, ch.online, ch.reason};
            if (!table_ && !ch.value.is_null() && !seen_.count(ch.id)) {
                print_reading(ch.id, ch.value, ch.time_ms.value_or(0), ch.seq);
                count_one();
            }
            seen_.insert(ch.id);
            rows.emplace(ch.id, std::move(row));
        }
        rows_ = std::move(rows);
        order_.clear();
        if (w_.sensors.empty()) {
            for (const auto& ch : hello.channels) order_.push_back(ch.id);
        } else {
            for (const auto& id : w_.sensors)
                if (rows_.count(id)) order_.push_back(id);
        }
        dirty_ = true;
    }

    void on_reading(const client::ReadingMessage& r) {
        auto it = rows_.find(r.channel);
        if (it == rows_.end()) return;
        it->second.value = r.value;
        if (!table_) {
            print_reading(r.channel, r.value, r.time_ms, r.seq);
        }
        dirty_ = true;
        count_one();
    }

    void on_status(const client::StatusMessage& s) {
        auto it = rows_.find(s.channel);
        if (it == rows_.end()) return;
        it->second.online = s.online;
        it->second.reason = s.reason;
        if (!table_) {
            protocol::ObjectWriter w;
            w.str("type", "status").str("channel", s.channel).boolean("online", s.online);
            if (!s.online) w.str("reason", s.reason);
            print(w.finish());
        }
        dirty_ = true;
    }

    // Redraws the table over the previous one.
    void draw() {
        if (!table_ || !dirty_) return;
        dirty_ = false;
        std::size_t id_w = 2, label_w = 5, value_w = 5;
        std::vector<std::array<std::string, 4>> lines;
        for (const auto& id : order_) {
            const Row& row = rows_.at(id);
            std::string value = row.online ? format_value(row.value, row.precision) : "offline";
            lines.push_back({printable(id), printable(row.label), printable(value), printable(row.online ? row.unit : row.reason)});
            id_w = std::max(id_w, display_width(lines.back()[0]));
            label_w = std::max(label_w, display_width(lines.back()[1]));
            value_w = std::max(value_w, display_width(lines.back()[2]));
        }
        std::string out;
        if (drawn_lines_ > 0) out += "\x1b[" + std::to_string(drawn_lines_) + "F";  // to the first line drawn
        auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - display_width(s), ' '); };
        auto right = [](const std::string& s, std::size_t w) { return std::string(w - display_width(s), ' ') + s; };
        out += pad("SENSOR", id_w) + "  " + pad("LABEL", label_w) + "  " + right("VALUE", value_w) + "  UNIT\x1b[K\n";
        for (const auto& l : lines) out += pad(l[0], id_w) + "  " + pad(l[1], label_w) + "  " + right(l[2], value_w) + "  " + l[3] + "\x1b[K\n";
        const std::size_t now_drawn = lines.size() + 1;
        if (now_drawn < drawn_lines_) out += "\x1b[J";  // rows removed by a reload
        drawn_lines_ = now_drawn;
        std::cout << out << std::flush;
    }

    bool done() const { return w_.count > 0 && counted_ >= w_.count; }

private:
    bool watched(const std::string& id) const {
        return w_.sensors.empty() || std::find(w_.sensors.begin(), w_.sensors.end(), id) != w_.sensors.end();
    }
    // The bridge's own message, fields in its order (docs/protocol.md, "reading").
    void print_reading(const std::string& channel, const Json& value, std::int64_t time_ms, std::uint64_t seq) {
        protocol::ObjectWriter w;
        w.str("type", "reading").str("channel", channel).json("value", value).integer("time", time_ms).integer("seq", seq);
        print(w.finish());
    }
    void print(const std::string& line) {
        if (done()) return;
        std::cout << line << '\n' << std::flush;
    }
    void count_one() {
        ++counted_;
        if (done()) c_.stop();
    }

    client::Client& c_;
    const WatchOptions& w_;
    bool table_;
    std::map<std::string, Row> rows_;
    std::vector<std::string> order_;
    std::set<std::string> seen_;
    bool dirty_ = false;
    std::size_t drawn_lines_ = 0;
    long counted_ = 0;
};

}  // namespace

int run_watch(const Globals& g, const WatchOptions& w) {
    auto options = client_options(g);
    if (!options.ok()) return usage_error(options.error().message);
    if (w.rate_hz < 0 || w.rate_hz > 1000) return usage_error("--rate must be between 0 (no cap) and 1000");
    const bool table = !g.json && (w.table || isatty(STDOUT_FILENO) == 1);
    client::Client c(std::move(options).value());
    Watch watch(c, w, table);
    std::optional<Error> failed;

    auto& e = c.events();
    e.hello = [&](ChannelKind kind, const client::HelloMessage& hello, bool reconnected) {
        if (kind != ChannelKind::sensor) return;
        if (reconnected) std::cerr << "hwb: reconnected to " << c.endpoint().str() << '\n';
        watch.on_hello(hello);
        watch.draw();
    };
    e.reading = [&](const client::ReadingMessage& r) { watch.on_reading(r); };
    e.status = [&](ChannelKind kind, const client::StatusMessage& s) {
        if (kind == ChannelKind::sensor) watch.on_status(s);
    };
    e.disconnected = [&](ChannelKind, const Error& error, bool retrying) {
        if (retrying) {
            std::cerr << "hwb: " << printable(error.message) << "; reconnecting\n";
        } else {
            failed = error;
            c.stop();
        }
    };
    std::optional<std::vector<std::string>> channels;
    if (!w.sensors.empty()) channels = w.sensors;
    c.subscribe(channels, w.rate_hz > 0 ? std::optional<double>(w.rate_hz) : std::nullopt, [&](Result<Json> r) {
        if (!r.ok() && r.error().code != client::errors::disconnected) {
            failed = r.error();
            c.stop();
        }
    });
    Signals signals(c.loop(), false, [&](int) { c.stop(); });
    Timer redraw(c.loop(), [&] {
        watch.draw();
        redraw.start(std::chrono::milliseconds(100));
    });
    if (table) redraw.start(std::chrono::milliseconds(100));
    c.run();
    watch.draw();
    if (failed) return fail(*failed);
    return exit_status::ok;
}

}  // namespace hwb::cli
