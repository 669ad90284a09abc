#include "server/map_api.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace hwb::map_api {

const char* to_string(Action action) {
    switch (action) {
        case Action::validate: return "validate";
        case Action::apply: return "apply";
        case Action::save: return "save";
        case Action::none: break;
    }
    return "none";
}

Action action_of(std::string_view path) {
    if (path == "/api/map/validate") return Action::validate;
    if (path == "/api/map/apply") return Action::apply;
    if (path == "/api/map/save") return Action::save;
    return Action::none;
}

bool is_loopback(std::string_view address) {
    std::string a(address);
    in_addr v4{};
    if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, a.c_str(), &v6) != 1) return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool is_loopback_host(std::string_view host) {
    std::string h = ascii_lower(host);
    if (!h.empty() && h.front() == '[') {  // [::1]:port
        auto close = h.find(']');
        if (close == std::string::npos) return false;
        std::string rest = h.substr(close + 1);
        if (!rest.empty() && (rest[0] != ':' || rest.size() == 1 ||
                              !std::all_of(rest.begin() + 1, rest.end(), [](unsigned char c) { return std::isdigit(c); })))
            return false;
        return is_loopback(h.substr(1, close - 1));
    }
    auto colon = h.find(':');
    if (colon != std::string::npos) {
        std::string port = h.substr(colon + 1);
        if (port.empty() || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
            return false;
        h.resize(colon);
    }
    if (h == "localhost" || h == "localhost.") return true;
    in_addr v4{};
    return inet_pton(AF_INET, h.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

AdminCheck admin_check(std::string_view peer, std::string_view host) {
    if (!is_loopback(peer)) {
        return {false, "Applying and saving the device map is only allowed from the bridge machine itself (loopback) "
                       "until authentication exists; this page is connected from " + std::string(peer) + "."};
    }
    if (!is_loopback_host(host)) {
        return {false, "Applying and saving needs the page opened by a loopback name (http://localhost:PORT or "
                       "http://127.0.0.1:PORT); it was opened as '" + std::string(host) + "'."};
    }
    return {true, "Connected from the bridge machine itself (loopback, " + std::string(peer) +
                      "): until authentication exists, every local client may apply and save the device map."};
}

namespace {

std::string etag_value(std::string_view v) {
    std::string s(v);
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    if (s.rfind("W/", 0) == 0) s.erase(0, 2);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

}  // namespace

DraftOrError parse_draft(std::string_view content_type, const std::string& body, std::string_view if_match) {
    Draft draft;
    draft.version = etag_value(if_match);
    if (ascii_lower(content_type).rfind("application/json", 0) == 0) {
        auto json = nlohmann::json::parse(body, nullptr, false);
        if (json.is_discarded() || !json.is_object()) return {std::nullopt, "the body is not a JSON object"};
        auto text = json.find("text");
        if (text == json.end() || !text->is_string()) return {std::nullopt, "the body has no string 'text'"};
        draft.text = text->get<std::string>();
        auto version = json.find("version");
        if (version != json.end()) {
            if (!version->is_string()) return {std::nullopt, "'version' must be a string"};
            draft.version = version->get<std::string>();
        }
        return {draft, {}};
    }
    draft.text = body;
    return {draft, {}};
}

std::string dump(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json problems_json(const std::vector<MapProblem>& problems) {
    auto list = nlohmann::json::array();
    for (const auto& p : problems) list.push_back({{"line", p.line}, {"column", p.column}, {"message", p.message}});
    return list;
}

std::string error_body(std::string_view code, std::string_view message) {
    return dump({{"error", {{"code", code}, {"message", message}}}});
}

Answer apply_answer(const MapApplyResult& result) {
    nlohmann::json body = {{"version", result.version}, {"summary", result.summary}};
    if (!result.error) return {200, dump(body)};
    const auto& code = result.error->code;
    body["error"] = {{"code", code}, {"message", result.error->message}};
    if (code == "invalid") {
        body["problems"] = problems_json(result.problems);
        return {422, dump(body)};
    }
    if (code == "stale") return {409, dump(body)};
    if (code == "busy") return {503, dump(body)};
    return {500, dump(body)};
}

}  // namespace hwb::map_api
