// The client's half of the codec (client_messages.h). Requests are small and rare, so they are
// built as DOMs; server messages are read field by field so that a wrong type is a located error,
// never an exception.
#include "protocol/client_messages.h"

#include "protocol/json_writer.h"

namespace hwb::protocol {

namespace {

void put_client(Json& j, const std::string& client) {
    if (!client.empty()) j["client"] = client;
}

std::string finish(const Json& j) { return dump(j); }

// Reads the fields of one server message; the first wrong one is remembered and reported.
class Reader {
public:
    Reader(const Json& object, const char* what) : object_(object), what_(what) {}

    const Json* find(const char* name) const {
        auto it = object_.find(name);
        return it == object_.end() || it->is_null() ? nullptr : &*it;
    }
    std::string string(const char* name, bool required = false) {
        const Json* v = find(name);
        if (v == nullptr) {
            if (required) wrong(name, "a string");
            return {};
        }
        if (!v->is_string()) {
            wrong(name, "a string");
            return {};
        }
        return v->get<std::string>();
    }
    bool boolean(const char* name, bool fallback) {
        const Json* v = find(name);
        if (v == nullptr) return fallback;
        if (!v->is_boolean()) {
            wrong(name, "true or false");
            return fallback;
        }
        return v->get<bool>();
    }
    std::optional<std::int64_t> integer(const char* name) {
        const Json* v = find(name);
        if (v == nullptr) return std::nullopt;
        if (!v->is_number_integer()) {
            wrong(name, "an integer");
            return std::nullopt;
        }
        return v->get<std::int64_t>();
    }
    std::uint64_t count(const char* name) {
        const Json* v = find(name);
        if (v == nullptr) return 0;
        if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0)) {
            wrong(name, "a count");
            return 0;
        }
        return v->get<std::uint64_t>();
    }
    Json any(const char* name) const {
        const Json* v = find(name);
        return v == nullptr ? Json() : *v;
    }

    void wrong(const char* name, const char* expected) {
        if (!error_) error_ = Error{"bad_request", std::string(what_) + ": '" + name + "' must be " + expected};
    }
    const std::optional<Error>& error() const { return error_; }

private:
    const Json& object_;
    const char* what_;
    std::optional<Error> error_;
};

std::optional<LeaseEntry> read_lease(Reader& r) {
    const Json* v = r.find("lease");
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) {
        r.wrong("lease", "an object or null");
        return std::nullopt;
    }
    Reader lease(*v, "lease");
    LeaseEntry out{lease.string("client"), lease.integer("expires").value_or(0)};
    if (lease.error()) r.wrong("lease", "{client, expires}");
    return out;
}

Result<ServerMessage> parse_hello(const Json& j) {
    Reader r(j, "hello");
    HelloMessage hello;
    hello.protocol = r.string("protocol", true);
    hello.version = static_cast<int>(r.integer("version").value_or(0));
    hello.bridge = r.string("bridge");
    hello.client = r.string("client");
    hello.auth_required = r.string("auth") == "required";
    if (const Json* channels = r.find("channels")) {
        if (!channels->is_array()) return Error{"bad_request", "hello: 'channels' must be an array"};
        for (const auto& entry : *channels) {
            auto parsed = parse_channel_entry(entry, hello.protocol);
            if (!parsed.ok()) return parsed.error();
            hello.channels.push_back(std::move(parsed).value());
        }
    }
    if (const Json* access = r.find("access"); access != nullptr && access->is_object()) {
        Reader a(*access, "access");
        AccessInfo info;
        info.role = a.string("role");
        info.subject = a.string("subject");
        info.method = a.string("method");
        info.expires_ms = a.integer("expires");
        if (const Json* control = a.find("control"); control != nullptr && control->is_array()) {
            for (const auto& c : *control)
                if (c.is_string()) info.control.push_back(c.get<std::string>());
        }
        if (a.error()) return *a.error();
        hello.access = std::move(info);
    }
    if (r.error()) return *r.error();
    return ServerMessage{std::move(hello)};
}

}  // namespace

// ---- requests ----

std::string encode_request(const Subscribe& request) {
    Json j = {{"type", "subscribe"}, {"id", request.id}};
    j["channels"] = request.channels ? Json(*request.channels) : Json();
    j["max_rate_hz"] = request.max_rate_hz ? Json(*request.max_rate_hz) : Json();
    return finish(j);
}

std::string encode_request(const History& request) {
    return finish({{"type", "history"}, {"id", request.id}, {"channel", request.channel}});
}

std::string encode_request(const RelaySet& request) {
    Json j = {{"type", "set"}, {"id", request.id}, {"channel", request.channel}, {"state", request.on ? "on" : "off"}};
    put_client(j, request.client);
    if (request.lease) j["lease_ms"] = request.lease->count();
    return finish(j);
}

std::string encode_request(const RelayToggle& request) {
    Json j = {{"type", "toggle"}, {"id", request.id}, {"channel", request.channel}};
    put_client(j, request.client);
    if (request.lease) j["lease_ms"] = request.lease->count();
    return finish(j);
}

std::string encode_request(const RelayPulse& request) {
    Json j = {{"type", "pulse"}, {"id", request.id}, {"channel", request.channel}, {"duration_ms", request.duration.count()}};
    put_client(j, request.client);
    return finish(j);
}

std::string encode_request(const RelayRenew& request) {
    Json j = {{"type", "renew"}, {"id", request.id}, {"channel", request.channel}, {"lease_ms", request.lease.count()}};
    put_client(j, request.client);
    return finish(j);
}

std::string encode_request(const TextOpen& request) {
    return finish({{"type", "open"}, {"id", request.id}, {"channel", request.channel}});
}

std::string encode_request(const TextClose& request) {
    return finish({{"type", "close"}, {"id", request.id}, {"channel", request.channel}});
}

std::string encode_request(const TextSend& request) {
    Json j = {{"type", "send"}, {"id", request.id}, {"channel", request.channel}, {"line", request.line}};
    put_client(j, request.client);
    return finish(j);
}

std::string encode_request(const AuthRequest& request) {
    Json j = {{"type", "auth"}, {"token", request.token}};
    if (!request.id.is_null()) j["id"] = request.id;
    return finish(j);
}

// ---- server messages ----

Result<ChannelEntry> parse_channel_entry(const Json& entry, std::string_view protocol) {
    if (!entry.is_object()) return Error{"bad_request", "a channel entry must be an object"};
    Reader r(entry, "channel");
    ChannelEntry c;
    c.id = r.string("id", true);
    c.label = r.string("label");
    c.device = r.string("device");
    c.unit = r.string("unit");
    c.online = r.boolean("online", true);
    c.reason = r.string("reason");
    if (protocol == "sensor") {
        c.value = r.any("value");
    } else if (protocol == "relay") {
        c.value = r.string("state");
    }
    c.time_ms = r.integer("time");
    c.seq = r.count("seq");
    if (r.error()) return *r.error();
    c.fields = entry;
    return c;
}

Result<LineMessage> parse_line(const Json& object, std::string channel) {
    if (!object.is_object()) return Error{"bad_request", "a line must be an object"};
    Reader r(object, "line");
    LineMessage line;
    line.channel = std::move(channel);
    line.line = r.string("line", true);
    line.dir = r.string("dir");
    line.by = r.string("by");
    line.time_ms = r.integer("time").value_or(0);
    line.seq = r.count("seq");
    if (r.error()) return *r.error();
    return line;
}

Result<ServerMessage> parse_server_message(std::string_view frame) {
    if (nests_deeper_than(frame, max_nesting_depth))
        return Error{"bad_json", "nested deeper than " + std::to_string(max_nesting_depth) + " levels"};
    Json j = Json::parse(frame, nullptr, false);
    if (j.is_discarded()) return Error{"bad_json", "not valid JSON"};
    if (!j.is_object()) return Error{"bad_request", "a message must be a JSON object"};
    try {
        Reader r(j, "message");
        const std::string type = r.string("type", true);
        if (r.error()) return *r.error();
        if (type == "hello") return parse_hello(j);
        if (type == "ack") return ServerMessage{AckMessage{r.any("id"), j}};
        if (type == "error") {
            ErrorMessage e{r.any("id"), r.string("channel"), Error{r.string("code", true), r.string("message")}};
            if (r.error()) return *r.error();
            return ServerMessage{std::move(e)};
        }
        if (type == "reading") {
            ReadingMessage m{r.string("channel", true), r.any("value"), r.integer("time").value_or(0), r.count("seq")};
            if (r.error()) return *r.error();
            return ServerMessage{std::move(m)};
        }
        if (type == "state") {
            StateMessage m;
            m.channel = r.string("channel", true);
            m.state = r.string("state", true);
            m.time_ms = r.integer("time");
            m.seq = r.count("seq");
            m.cause = r.string("cause");
            m.client = r.string("client");
            m.lease = read_lease(r);
            m.auto_off_ms = r.integer("auto_off");
            if (r.error()) return *r.error();
            return ServerMessage{std::move(m)};
        }
        if (type == "status") {
            StatusMessage m{r.string("channel", true), r.boolean("online", true), r.string("reason")};
            if (r.error()) return *r.error();
            return ServerMessage{std::move(m)};
        }
        if (type == "line") {
            auto line = parse_line(j, r.string("channel", true));
            if (r.error()) return *r.error();
            if (!line.ok()) return line.error();
            return ServerMessage{std::move(line).value()};
        }
        return Error{"unknown_type", "unknown message type '" + type.substr(0, 40) + "'"};
    } catch (const std::exception& e) {
        // nlohmann's accessors are guarded above; this is the last line against a surprise.
        return Error{"bad_request", e.what()};
    }
}

}  // namespace hwb::protocol
