// What /api/map means (docs/protocol.md, "Device map"), apart from the HTTP plumbing in http.cpp:
// who may apply and save, how a request body is read, and the JSON of the answers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/map_admin.h"

namespace hwb::map_api {

// Bodies above this are refused with 413 whatever Content-Length says.
constexpr std::size_t max_body_bytes = 1024 * 1024;

enum class Action { none, validate, apply, save };
const char* to_string(Action action);
Action action_of(std::string_view path);  // POST /api/map/validate|apply|save

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104, as printed by lws_get_peer_simple.
bool is_loopback(std::string_view address);
// The Host header names this machine by a loopback name (localhost, 127.x.y.z, [::1]), with or
// without a port: guards against DNS rebinding, where a foreign site resolves its own name to
// 127.0.0.1 and so reaches the bridge from the user's browser with its own Origin and Host.
bool is_loopback_host(std::string_view host);

struct AdminCheck {
    bool admin = false;
    std::string reason;  // why (not), in the user's words
};
// Until authentication exists: only clients on the bridge machine itself may apply and save.
AdminCheck admin_check(std::string_view peer, std::string_view host);

// The draft of a request: text/plain (the YAML itself) or application/json {text, version}.
// The version may also come from If-Match (quotes and W/ removed); JSON wins.
struct Draft {
    std::string text;
    std::string version;
};
struct DraftOrError {
    std::optional<Draft> draft;
    std::string error;  // a bad_request message when draft is empty
};
DraftOrError parse_draft(std::string_view content_type, const std::string& body, std::string_view if_match);

// Answers (JSON text; invalid UTF-8 in a map is replaced, never thrown).
std::string dump(const nlohmann::json& value);
nlohmann::json problems_json(const std::vector<MapProblem>& problems);
std::string error_body(std::string_view code, std::string_view message);
// Status and body of an apply/save result.
struct Answer {
    unsigned status = 200;
    std::string body;
};
Answer apply_answer(const MapApplyResult& result);

}  // namespace hwb::map_api
