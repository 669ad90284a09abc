// Fuzzes the protocol codec with arbitrary client frames. Each frame goes through the three request
// parsers and the parser of `auth` messages (which sees frames before a client has a role), none of
// which may throw. Round trips: whatever a parser answers is encoded the way the
// server would answer it (an ack echoing id and channel, or an error echoing the id), and that text
// must parse back as JSON with the same id, channel and error code. The raw bytes are also written
// as a JSON string and a JSON number, which must read back (invalid UTF-8 as U+FFFD), and read as
// a server message by the client's parser.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/auth.h"
#include "protocol/client_messages.h"
#include "protocol/json_writer.h"
#include "protocol/messages.h"

namespace {

using hwb::protocol::Json;

[[noreturn]] void fail() { __builtin_trap(); }

Json parse_back(const std::string& text) {
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) fail();
    return doc;
}

bool usable_id(const Json& id) { return id.is_null() || id.is_string() || id.is_number(); }

void check_error(const hwb::protocol::BadRequest& bad) {
    if (!usable_id(bad.id) || bad.error.code.empty() || bad.error.message.empty()) fail();
    const Json answer = parse_back(hwb::protocol::error(bad.id, "", bad.error));
    if (answer["type"] != "error" || answer["id"] != bad.id || answer["code"] != bad.error.code) fail();
}

// An ack for a request on `channel`, as the sessions send it.
void check_ack(const Json& id, const std::string& channel) {
    if (!usable_id(id) || id.is_null() || channel.empty()) fail();
    const Json ack = parse_back(hwb::protocol::text_ack(id, channel));
    if (ack["type"] != "ack" || ack["id"] != id || ack["channel"] != channel) fail();
    const Json refused = parse_back(hwb::protocol::error(id, channel, hwb::Error{"unknown_channel", "no such channel"}));
    if (refused["id"] != id || refused["channel"] != channel) fail();
}

template <class Request, class OnRequest>
void check(const hwb::protocol::Parsed<Request>& parsed, OnRequest on_request) {
    if (const auto* bad = std::get_if<hwb::protocol::BadRequest>(&parsed)) {
        check_error(*bad);
    } else {
        std::visit(on_request, std::get<Request>(parsed));
    }
}

void check_string_round_trip(std::string_view bytes) {
    std::string out;
    hwb::protocol::append_json_string(out, bytes);
    const Json back = Json::parse(out, nullptr, false);
    if (back.is_discarded() || !back.is_string()) fail();
    // Valid UTF-8 comes back unchanged (nlohmann's dump throws on anything else).
    bool valid = true;
    try {
        (void)Json(std::string(bytes)).dump();
    } catch (const Json::exception&) {
        valid = false;
    }
    if (valid && back.get_ref<const std::string&>() != bytes) fail();
}

void check_number_round_trip(std::string_view bytes) {
    if (bytes.size() < sizeof(double)) return;
    double value = 0;
    std::memcpy(&value, bytes.data(), sizeof value);
    std::string out;
    hwb::protocol::append_json_number(out, value);
    const Json back = Json::parse(out, nullptr, false);
    if (back.is_discarded()) fail();
    if (!std::isfinite(value)) {
        if (!back.is_null()) fail();
    } else if (!back.is_number() || back.get<double>() != value) {
        fail();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view frame(reinterpret_cast<const char*>(data), size);
    using namespace hwb::protocol;

    check(parse_sensor_request(frame), [](const auto& request) {
        using T = std::decay_t<decltype(request)>;
        if constexpr (std::is_same_v<T, Subscribe>) {
            const Json ack = parse_back(subscribe_ack(request.id, request.channels, request.max_rate_hz));
            if (ack["id"] != request.id) fail();
            if (request.channels ? ack["channels"] != Json(*request.channels) : !ack["channels"].is_null()) fail();
            if (request.max_rate_hz && !(*request.max_rate_hz >= 1.0 / 86400 && *request.max_rate_hz <= 1000)) fail();
        } else {
            check_ack(request.id, request.channel);
        }
    });
    check(parse_relay_request(frame), [](const auto& request) {
        using T = std::decay_t<decltype(request)>;
        check_ack(request.id, request.channel);
        if (request.client.size() > 64 * 4) fail();
        if constexpr (std::is_same_v<T, RelayPulse>) {
            if (request.duration.count() < 1 || request.duration.count() > 86400000) fail();
        } else if constexpr (std::is_same_v<T, RelayRenew>) {
            if (request.lease.count() < 1000 || request.lease.count() > 86400000) fail();
        } else {
            if (request.lease && (request.lease->count() < 1000 || request.lease->count() > 86400000)) fail();
        }
    });
    check(parse_text_request(frame), [](const auto& request) {
        using T = std::decay_t<decltype(request)>;
        check_ack(request.id, request.channel);
        if constexpr (std::is_same_v<T, TextSend>) {
            if (request.line.find_first_of("\r\n") != std::string::npos) fail();
        }
    });

    if (auto auth = parse_auth_request(frame)) {
        if (nests_deeper_than(frame, max_nesting_depth)) fail();  // the depth guard comes first
        if (const auto* bad = std::get_if<BadRequest>(&*auth)) {
            check_error(*bad);
        } else {
            const auto& request = std::get<AuthRequest>(*auth);
            if (request.token.empty() || !usable_id(request.id)) fail();
            const Json ack = parse_back(auth_ack(request.id, AccessInfo{"operator", "x", "token", std::nullopt, {}}));
            if (ack["id"] != request.id) fail();
        }
    }

    // The same bytes as a frame from a bridge, read by the client library: a typed message or an
    // error with a code, never an exception.
    auto server = parse_server_message(frame);
    if (!server.ok() && server.error().code.empty()) fail();

    check_string_round_trip(frame);
    check_number_round_trip(frame);
    return 0;
}
