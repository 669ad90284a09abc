// Parsing and validation of client frames (docs/protocol.md). Called from the lws receive
// callback, so nothing here may throw: every failure becomes a BadRequest.
#include <cmath>
#include <initializer_list>

#include "protocol/messages.h"

#include "core/text.h"

namespace hwb::protocol {

namespace {

constexpr std::size_t max_client_chars = 64;
constexpr std::int64_t max_pulse_ms = 24LL * 60 * 60 * 1000;
constexpr std::int64_t min_lease_ms = 1000;  // shorter leases would expire between two renewals of a phone
constexpr double max_rate_limit_hz = 1000;
// Once a day: slower caps mean nothing, and 1 / (1e-300 Hz) overflows every clock.
constexpr double min_rate_limit_hz = 1.0 / 86400;
constexpr std::size_t max_quoted_type_bytes = 40;  // of an unknown `type` echoed in the message

BadRequest fail(Json id, const char* code, std::string message) {
    return BadRequest{std::move(id), Error{code, std::move(message)}};
}

}  // namespace

bool nests_deeper_than(std::string_view frame, int limit) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < frame.size(); ++i) {
        const char c = frame[i];
        if (in_string) {
            if (c == '\\') {
                ++i;  // the escaped character cannot end the string
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        switch (c) {
            case '"': in_string = true; break;
            case '[':
            case '{':
                if (++depth > limit) return true;
                break;
            case ']':
            case '}':
                if (depth > 0) --depth;
                break;
            default: break;
        }
    }
    return false;
}

namespace {

std::size_t utf8_chars(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view truncate_utf8(std::string_view s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end);
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: ..." without the
// library's prefix, and short: `last read` can quote a long token of the frame.
std::string parse_error_detail(std::string_view what) {
    constexpr std::size_t max_detail_bytes = 160;
    if (what.rfind("[json.exception.", 0) == 0) {
        if (const auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    std::string detail(truncate_utf8(what, max_detail_bytes));
    if (detail.size() < what.size()) detail += "...";
    return detail;
}


// The fields of one request object, read with the request's id at hand for errors.
class Fields {
public:
    Fields(const Json& object, Json id) : object_(object), id_(std::move(id)) {}

    const Json& id() const { return id_; }
    BadRequest bad(std::string message) const { return fail(id_, "bad_request", std::move(message)); }

    // nullptr when absent or null: optional fields may be sent as null.
    const Json* find(const char* name) const {
        auto it = object_.find(name);
        return it == object_.end() || it->is_null() ? nullptr : &*it;
    }

    std::optional<BadRequest> channel(std::string& out) const {
        const Json* v = find("channel");
        if (v == nullptr || !v->is_string() || v->get_ref<const std::string&>().empty())
            return bad("'channel' must be a non-empty string (a channel id from the hello)");
        out = v->get<std::string>();
        return std::nullopt;
    }

    std::optional<BadRequest> client(std::string& out) const {
        const Json* v = find("client");
        if (v == nullptr) return std::nullopt;
        if (!v->is_string() || utf8_chars(v->get_ref<const std::string&>()) > max_client_chars)
            return bad("'client' must be a string of at most " + std::to_string(max_client_chars) + " characters");
        out = v->get<std::string>();
        return std::nullopt;
    }

private:
    const Json& object_;
    Json id_;
};

// Common envelope: a JSON object with a known `type` and a usable `id`. Returns the object and
// the index of its type in `types`, or the BadRequest to answer.
struct Envelope {
    Json object;
    Json id;
    std::size_t type = 0;
};

std::variant<Envelope, BadRequest> open_envelope(std::string_view frame, const char* subprotocol,
                                                 std::initializer_list<const char*> types) {
    if (frame.empty()) return fail(nullptr, "bad_json", "empty frame; expected a JSON object");
    if (nests_deeper_than(frame, max_nesting_depth))
        return fail(nullptr, "bad_request",
                    "message nests deeper than " + std::to_string(max_nesting_depth) + " levels");

    Envelope env;
    try {
        env.object = Json::parse(frame);
    } catch (const Json::exception& e) {
        // parse_error for syntax and invalid UTF-8; out_of_range for numbers beyond a double.
        return fail(nullptr, "bad_json", "frame is not valid JSON: " + parse_error_detail(e.what()));
    }
    if (!env.object.is_object()) return fail(nullptr, "bad_request", "message must be a JSON object");

    // Echo the id whenever it is readable, even when the rest of the request is bad.
    auto id = env.object.find("id");
    const bool id_ok = id != env.object.end() && (id->is_string() || id->is_number());
    if (id_ok) env.id = *id;

    auto type = env.object.find("type");
    if (type == env.object.end() || !type->is_string())
        return fail(env.id, "bad_request", "'type' must be a string naming the message");
    const auto& name = type->get_ref<const std::string&>();
    std::size_t index = 0;
    for (const char* t : types) {
        if (name == t) break;
        ++index;
    }
    if (index == types.size()) {
        return fail(env.id, "unknown_type",
                    "unknown type '" + std::string(truncate_utf8(name, max_quoted_type_bytes)) + "' in the " +
                        subprotocol + " subprotocol; expected one of: " + join(types));
    }
    env.type = index;

    if (id == env.object.end()) return fail(nullptr, "bad_request", "missing 'id' (a string or a number)");
    if (!id_ok) return fail(nullptr, "bad_request", "'id' must be a string or a number");
    return env;
}

template <class Request>
Parsed<Request> guarded(Parsed<Request> (*parse)(std::string_view), std::string_view frame) noexcept {
    try {
        return parse(frame);
    } catch (const std::exception& e) {
        // Only resource exhaustion gets here; the client still deserves an answer.
        try {
            return BadRequest{nullptr, Error{"bad_request", std::string("message could not be processed: ") + e.what()}};
        } catch (...) {
        }
    } catch (...) {
    }
    return BadRequest{nullptr, Error{"bad_request", {}}};  // fits the small-string buffer: no allocation
}

// ---- sensor ----

std::optional<std::int64_t> whole_ms(const Json* d, std::int64_t min, std::int64_t max);

Parsed<SensorRequest> parse_sensor(std::string_view frame) {
    auto opened = open_envelope(frame, "sensor", {"subscribe", "history"});
    if (auto* bad = std::get_if<BadRequest>(&opened)) return std::move(*bad);
    auto& env = std::get<Envelope>(opened);
    Fields f(env.object, env.id);
    if (env.type == 1) {
        std::string channel;
        if (auto bad = f.channel(channel)) return std::move(*bad);
        History history{f.id(), std::move(channel), {}, {}, {}};
        // Milliseconds since the Unix epoch, whole and not before 1970 (a year 9999 bound keeps
        // arithmetic on them far from overflow).
        constexpr std::int64_t max_time_ms = 253402300799999;
        for (auto [name, into] : {std::pair{"from", &history.from_ms}, std::pair{"to", &history.to_ms},
                                  std::pair{"step", &history.step_ms}}) {
            const Json* v = f.find(name);
            if (v == nullptr) continue;
            auto ms = whole_ms(v, 0, max_time_ms);
            if (!ms) return f.bad(std::string("'") + name + "' must be a whole number of milliseconds from 0 to " +
                                  std::to_string(max_time_ms) + ", or null");
            *into = *ms;
        }
        if (!history.from_ms && (history.to_ms || history.step_ms))
            return f.bad("'to' and 'step' need 'from' (stored history)");
        return SensorRequest{std::move(history)};
    }

    Subscribe sub;
    sub.id = f.id();
    if (const Json* channels = f.find("channels")) {
        if (!channels->is_array()) return f.bad("'channels' must be an array of channel ids or null");
        std::vector<std::string> ids;
        ids.reserve(channels->size());
        for (const auto& c : *channels) {
            if (!c.is_string()) return f.bad("'channels' must be an array of channel ids (strings) or null");
            ids.push_back(c.get<std::string>());
        }
        sub.channels = std::move(ids);
    }
    if (const Json* rate = f.find("max_rate_hz")) {
        const double hz = rate->is_number() ? rate->get<double>() : 0;
        if (!rate->is_number() || !(hz >= min_rate_limit_hz && hz <= max_rate_limit_hz))
            return f.bad("'max_rate_hz' must be a number from 1/86400 (once a day) to 1000, or null");
        sub.max_rate_hz = hz;
    }
    return SensorRequest{std::move(sub)};
}

// ---- relay ----

// A whole number of milliseconds in [min, max] (5e2 and 500.0 count as whole), or nullopt.
std::optional<std::int64_t> whole_ms(const Json* d, std::int64_t min, std::int64_t max) {
    if (d == nullptr) return std::nullopt;
    if (d->is_number_unsigned()) {
        // Unsigned values above INT64_MAX would wrap; they are out of range anyway.
        const auto u = d->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(max)) return std::nullopt;
        const auto v = static_cast<std::int64_t>(u);
        return v >= min ? std::optional<std::int64_t>(v) : std::nullopt;
    }
    if (d->is_number_integer()) {
        const auto v = d->get<std::int64_t>();
        return v >= min && v <= max ? std::optional<std::int64_t>(v) : std::nullopt;
    }
    if (d->is_number_float()) {
        const double v = d->get<double>();
        if (std::isfinite(v) && v == std::floor(v) && v >= static_cast<double>(min) && v <= static_cast<double>(max))
            return static_cast<std::int64_t>(v);
    }
    return std::nullopt;
}

Parsed<RelayRequest> parse_relay(std::string_view frame) {
    auto opened = open_envelope(frame, "relay", {"set", "toggle", "pulse", "renew", "automation"});
    if (auto* bad = std::get_if<BadRequest>(&opened)) return std::move(*bad);
    auto& env = std::get<Envelope>(opened);
    Fields f(env.object, env.id);
    if (env.type == 4) {
        const Json* name = f.find("automation");
        if (name == nullptr || !name->is_string() || name->get_ref<const std::string&>().empty() ||
            name->get_ref<const std::string&>().size() > 64)
            return f.bad("'automation' must be an automation id from the hello");
        AutomationChange change{f.id(), name->get<std::string>(), std::nullopt, std::nullopt};
        const Json* setpoint = f.find("setpoint");
        const Json* enabled = f.find("enabled");
        if ((setpoint == nullptr) == (enabled == nullptr))
            return f.bad("an 'automation' request carries exactly one of 'setpoint' (a number) and 'enabled' (true or false)");
        if (setpoint != nullptr) {
            if (!setpoint->is_number()) return f.bad("'setpoint' must be a number");
            change.setpoint = setpoint->get<double>();
        } else {
            if (!enabled->is_boolean()) return f.bad("'enabled' must be true or false");
            change.enabled = enabled->get<bool>();
        }
        return RelayRequest{std::move(change)};
    }

    std::string channel, client;
    if (auto bad = f.channel(channel)) return std::move(*bad);
    if (auto bad = f.client(client)) return std::move(*bad);

    const std::string lease_range =
        "'lease_ms' must be an integer between " + std::to_string(min_lease_ms) + " and " + std::to_string(max_pulse_ms);
    std::optional<std::chrono::milliseconds> lease;
    if (const Json* l = f.find("lease_ms"); l != nullptr && !l->is_null()) {
        auto ms = whole_ms(l, min_lease_ms, max_pulse_ms);
        if (!ms) return f.bad(lease_range);
        lease = std::chrono::milliseconds(*ms);
    }

    switch (env.type) {
        case 0: {
            const Json* state = f.find("state");
            bool on = false;
            if (state != nullptr && state->is_boolean()) {
                on = state->get<bool>();
            } else if (state != nullptr && state->is_string() && (*state == "on" || *state == "off")) {
                on = *state == "on";
            } else {
                return f.bad("'state' must be \"on\", \"off\", true or false");
            }
            return RelayRequest{RelaySet{f.id(), std::move(channel), on, std::move(client), lease}};
        }
        case 1: return RelayRequest{RelayToggle{f.id(), std::move(channel), std::move(client), lease}};
        case 2: {
            auto ms = whole_ms(f.find("duration_ms"), 1, max_pulse_ms);
            if (!ms) return f.bad("'duration_ms' must be an integer between 1 and " + std::to_string(max_pulse_ms));
            return RelayRequest{RelayPulse{f.id(), std::move(channel), std::chrono::milliseconds(*ms), std::move(client)}};
        }
        default:
            if (!lease) return f.bad(lease_range);
            return RelayRequest{RelayRenew{f.id(), std::move(channel), std::move(client), *lease}};
    }
}

// ---- text ----

Parsed<TextRequest> parse_text(std::string_view frame) {
    auto opened = open_envelope(frame, "text", {"open", "close", "send"});
    if (auto* bad = std::get_if<BadRequest>(&opened)) return std::move(*bad);
    auto& env = std::get<Envelope>(opened);
    Fields f(env.object, env.id);

    std::string channel;
    if (auto bad = f.channel(channel)) return std::move(*bad);

    switch (env.type) {
        case 0: return TextRequest{TextOpen{f.id(), std::move(channel)}};
        case 1: return TextRequest{TextClose{f.id(), std::move(channel)}};
        default: {
            const Json* line = f.find("line");
            if (line == nullptr || !line->is_string()) return f.bad("'line' must be a string");
            const auto& text = line->get_ref<const std::string&>();
            // The driver appends the device's line ending; a break inside would send two lines.
            if (text.find_first_of("\r\n") != std::string::npos)
                return f.bad("'line' must be one line, without line breaks");
            std::string client;
            if (auto bad = f.client(client)) return std::move(*bad);
            return TextRequest{TextSend{f.id(), std::move(channel), text, std::move(client)}};
        }
    }
}

}  // namespace

Parsed<SensorRequest> parse_sensor_request(std::string_view frame) { return guarded(&parse_sensor, frame); }
Parsed<RelayRequest> parse_relay_request(std::string_view frame) { return guarded(&parse_relay, frame); }
Parsed<TextRequest> parse_text_request(std::string_view frame) { return guarded(&parse_text, frame); }

}  // namespace hwb::protocol
