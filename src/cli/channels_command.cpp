// hwb channels, hwb get CHANNEL.
#include <iostream>

#include "cli/cli.h"

namespace hwb::cli {

namespace {

using client::ChannelEntry;
using client::Json;

std::string state_text(ChannelKind kind, const ChannelEntry& c) {
    if (!c.online) return "offline" + (c.reason.empty() ? std::string() : " (" + c.reason + ")");
    switch (kind) {
        case ChannelKind::sensor: return format_value(c.value, c.fields.value("precision", 2));
        case ChannelKind::relay: {
            std::string s = c.value.is_string() ? c.value.get<std::string>() : "unknown";
            if (c.fields.contains("lease") && c.fields["lease"].is_object()) s += " (leased)";
            return s;
        }
        case ChannelKind::text: return c.fields.value("input", true) ? "online" : "online, read-only";
    }
    return "";
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()));
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
        }
        std::cout << line << '\n';
    }
}

}  // namespace

int run_channels(const Globals& g) {
    auto options = client_options(g);
    if (!options.ok()) return usage_error(options.error().message);
    auto o = std::move(options).value();
    o.reconnect = false;
    client::BlockingClient c(std::move(o));
    auto all = c.channels();
    if (!all.ok()) return fail(all.error());
    if (g.json) {
        Json list = Json::array();
        for (const auto& [kind, entry] : all.value()) {
            Json j = entry.fields;
            j["kind"] = to_string(kind);
            list.push_back(std::move(j));
        }
        std::cout << list.dump() << '\n';
        return exit_status::ok;
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "KIND", "LABEL", "UNIT", "STATE"}};
    for (const auto& [kind, entry] : all.value())
        rows.push_back({printable(entry.id), to_string(kind), printable(entry.label), printable(entry.unit),
                        printable(state_text(kind, entry))});
    print_table(rows);
    return exit_status::ok;
}

int run_get(const Globals& g, const std::string& channel) {
    auto options = client_options(g);
    if (!options.ok()) return usage_error(options.error().message);
    auto o = std::move(options).value();
    o.reconnect = false;
    client::BlockingClient c(std::move(o));
    // One subprotocol after the other, stopping at the channel: a sensor costs one connection,
    // which matters to the bridge's per-address connection rate when a script loops.
    for (ChannelKind kind : {ChannelKind::sensor, ChannelKind::relay, ChannelKind::text}) {
        auto hello = c.connect(kind);
        if (!hello.ok()) return fail(hello.error());
        for (const auto& entry : hello.value().channels) {
            if (entry.id != channel) continue;
            if (!entry.online) return fail(Error{"offline", to_string(kind) + std::string(" '") + channel + "' is offline" +
                                                                 (entry.reason.empty() ? "" : ": " + entry.reason)});
            if (kind == ChannelKind::sensor) {
                Json value = entry.value;
                Json out = entry.fields;
                if (value.is_null()) {
                    // No reading yet (the bridge just started): wait for the first one.
                    auto s = c.subscribe(std::vector<std::string>{channel});
                    if (!s.ok()) return fail(s.error());
                    auto reading = c.next_event(c.client().options().request_timeout, [&](const client::Event& e) {
                        auto* r = std::get_if<client::ReadingMessage>(&e);
                        return r != nullptr && r->channel == channel;
                    });
                    if (!reading) return fail(Error{client::errors::no_answer, "sensor '" + channel + "' has no reading yet"});
                    const auto& r = std::get<client::ReadingMessage>(*reading);
                    value = r.value;
                    out["value"] = r.value;
                    out["time"] = r.time_ms;
                    out["seq"] = r.seq;
                }
                std::cout << (g.json ? out.dump() : value.dump()) << '\n';
            } else if (kind == ChannelKind::relay) {
                std::cout << (g.json ? entry.fields.dump() : entry.value.is_string() ? entry.value.get<std::string>() : "unknown")
                          << '\n';
            } else {
                // A text channel's current value: its most recent line.
                auto opened = c.open_text(channel);
                if (!opened.ok()) return fail(opened.error());
                const Json& history = opened.value().contains("history") ? opened.value()["history"] : Json::array();
                if (g.json) {
                    std::cout << (history.empty() ? Json() : history.back()).dump() << '\n';
                } else if (!history.empty()) {
                    std::cout << history.back().value("line", "") << '\n';
                }
            }
            return exit_status::ok;
        }
    }
    return fail(Error{"unknown_channel", "no channel '" + channel + "' on the bridge (hwb channels lists them)"});
}

}  // namespace hwb::cli
