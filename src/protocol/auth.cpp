#include "protocol/auth.h"

#include "protocol/json_writer.h"

namespace hwb::protocol {

namespace {

// role, subject, method, expires: shared by the access object and the auth ack.
ObjectWriter& identity_fields(ObjectWriter& w, const AccessInfo& access) {
    w.str("role", access.role).str("subject", access.subject).str("method", access.method);
    return access.expires_ms ? w.integer("expires", *access.expires_ms) : w.null("expires");
}

}  // namespace

std::optional<Parsed<AuthRequest>> parse_auth_request(std::string_view frame) {
    // Cheap test first: most frames are relay or text requests.
    if (frame.find("\"auth\"") == std::string_view::npos) return std::nullopt;
    // Too deep for any request: the subprotocol's parser refuses it with the reason.
    if (nests_deeper_than(frame, max_nesting_depth)) return std::nullopt;
    Json message = Json::parse(frame, nullptr, false);
    if (message.is_discarded() || !message.is_object()) return std::nullopt;
    auto type = message.find("type");
    if (type == message.end() || !type->is_string() || type->get<std::string>() != "auth") return std::nullopt;
    Json id = nullptr;
    if (auto it = message.find("id"); it != message.end() && (it->is_string() || it->is_number())) id = *it;
    auto token = message.find("token");
    if (token == message.end() || !token->is_string() || token->get<std::string>().empty())
        return Parsed<AuthRequest>(BadRequest{id, Error{"bad_request", "'token' must be a non-empty string"}});
    return Parsed<AuthRequest>(AuthRequest{id, token->get<std::string>()});
}

std::string auth_required_hello(std::string_view subprotocol, const std::string& client, bool passphrase) {
    return ObjectWriter()
        .str("type", "hello")
        .str("protocol", subprotocol)
        .integer("version", std::int64_t{version})
        .str("client", client)
        .str("auth", "required")
        .raw("login", passphrase ? "[\"token\",\"passphrase\"]" : "[\"token\"]")
        .finish();
}

std::string with_access(std::string hello, const AccessInfo& access) {
    auto end = hello.rfind('}');
    if (end == std::string::npos) return hello;
    ObjectWriter w;
    identity_fields(w, access).json("control", Json(access.control));
    hello.insert(end, ",\"access\":" + w.finish());
    return hello;
}

std::string auth_ack(const Json& id, const AccessInfo& access) {
    ObjectWriter w;
    w.str("type", "ack").json("id", id);
    return identity_fields(w, access).finish();
}

}  // namespace hwb::protocol
