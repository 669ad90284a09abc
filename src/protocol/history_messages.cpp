// Stored history on the wire (docs/protocol.md, "history"; docs/history.md): the sensor
// subprotocol's answer, and GET /api/history as JSON and as CSV.
#include <cstdio>
#include <ctime>

#include "core/history.h"
#include "protocol/json_writer.h"
#include "protocol/messages.h"

namespace hwb::protocol {

namespace {

// [[time, min, avg, max, count], ...] or, for relays, [[time, state, cause], ...].
std::string history_lists(const HistoryAnswer& answer, bool& relay) {
    relay = answer.tier == "events";
    std::string list = "[";
    list.reserve(2 + (relay ? answer.events.size() * 48 : answer.points.size() * 56));
    if (relay) {
        for (const auto& e : answer.events) {
            if (list.size() > 1) list += ',';
            list += '[' + std::to_string(e.time_ms) + ',';
            append_json_string(list, e.kind == "relay" ? e.detail : e.kind);
            list += ',';
            append_json_string(list, e.kind == "relay" ? e.cause : e.detail);
            list += ']';
        }
    } else {
        for (const auto& p : answer.points) {
            if (list.size() > 1) list += ',';
            list += '[' + std::to_string(p.time_ms) + ',';
            append_json_number(list, p.min);
            list += ',';
            append_json_number(list, p.avg);
            list += ',';
            append_json_number(list, p.max);
            list += ',' + std::to_string(p.count) + ']';
        }
    }
    list += ']';
    return list;
}

void fields(ObjectWriter& w, const HistoryAnswer& answer) {
    bool relay = false;
    std::string list = history_lists(answer, relay);
    w.str("channel", answer.channel)
        .integer("from", answer.from_ms)
        .integer("to", answer.to_ms)
        .str("tier", answer.tier);
    if (!relay) w.integer("step", answer.step_ms);
    w.raw(relay ? "events" : "points", list);
}

}  // namespace

std::string stored_history_ack(const Json& id, const HistoryAnswer& answer) {
    ObjectWriter w(256 + answer.points.size() * 56 + answer.events.size() * 48);
    w.str("type", "ack").json("id", id);
    fields(w, answer);
    return std::move(w).finish();
}

std::string history_json(const HistoryAnswer& answer) {
    ObjectWriter w(256 + answer.points.size() * 56 + answer.events.size() * 48);
    fields(w, answer);
    return std::move(w).finish();
}

std::string history_csv(const HistoryAnswer& answer) {
    std::string out;
    // ISO 8601 UTC beside the epoch milliseconds: a spreadsheet reads the first as a date.
    auto iso = [](std::int64_t ms) {
        std::time_t seconds = static_cast<std::time_t>(ms / 1000);
        std::tm tm{};
        gmtime_r(&seconds, &tm);
        char buffer[96];
        std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000 + 1000) % 1000);
        return std::string(buffer);
    };
    // Texts are quoted, with quotes doubled (RFC 4180); a leading = + - @ is defused so that a
    // spreadsheet does not run it as a formula.
    auto quoted = [](const std::string& text) {
        std::string q = "\"";
        if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@')) q += '\'';
        for (char c : text) {
            if (c == '"') q += '"';
            q += (c == '\r' || c == '\n') ? ' ' : c;
        }
        return q + '"';
    };
    if (answer.tier == "events") {
        out.reserve(64 + answer.events.size() * 64);
        out += "time,time_ms,channel,kind,state,cause\r\n";
        for (const auto& e : answer.events) {
            out += iso(e.time_ms) + ',' + std::to_string(e.time_ms) + ',' + quoted(e.channel) + ',' + quoted(e.kind) + ',' +
                   quoted(e.detail) + ',' + quoted(e.cause) + "\r\n";
        }
        return out;
    }
    out.reserve(64 + answer.points.size() * 80);
    out += "time,time_ms,min,avg,max,count\r\n";
    for (const auto& p : answer.points) {
        out += iso(p.time_ms) + ',' + std::to_string(p.time_ms) + ',';
        append_json_number(out, p.min);
        out += ',';
        append_json_number(out, p.avg);
        out += ',';
        append_json_number(out, p.max);
        out += ',' + std::to_string(p.count) + "\r\n";
    }
    return out;
}

}  // namespace hwb::protocol
