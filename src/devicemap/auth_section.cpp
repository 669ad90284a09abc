// Who may do what: the `auth:` section, the `control:` key of relays and texts, and the rule that
// a bridge reachable beyond this machine needs authentication or an explicit allow_anonymous.
// See docs/device-map.md, "auth", and docs/security.md.
#include <algorithm>
#include <cctype>

#include "auth/passphrase.h"
#include "auth/token.h"
#include "core/text.h"
#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"
#include "devicemap/suggest.h"

namespace hwb::devicemap {

namespace schema {

std::vector<OptionSpec> auth() {
    return {
        {.key = "secret_file", .help = "absolute path of the file holding the token signing secret "
                                       "(hwbridge token --init-secret FILE); never the secret itself"},
        {.key = "allow_anonymous", .type = OptionType::choice,
         .help = "role of clients without a token: none (they must sign in), viewer or operator",
         .fallback = std::string("none"), .choices = {"none", "viewer", "operator"}},
        {.key = "passphrase_hash",
         .help = "PBKDF2 hash of the pass-phrase the page can sign in with (hwbridge token --hash-passphrase)"},
        {.key = "passphrase_role", .type = OptionType::choice, .help = "role of a pass-phrase sign-in",
         .fallback = std::string("operator"), .choices = {"viewer", "operator", "admin"}},
        {.key = "passphrase_ttl", .type = OptionType::duration, .help = "lifetime of a pass-phrase sign-in's token",
         .fallback = std::chrono::milliseconds(8 * 3600 * 1000), .min = 60000, .max = 7 * 86400000.0},
    };
}

std::vector<OptionSpec> machine_token() {
    return {
        {.key = "name", .help = "who the token belongs to, shown in audit lines", .required = true},
        {.key = "sha256", .help = "SHA-256 of the token in hex (hwbridge token --machine prints it)", .required = true},
        {.key = "role", .type = OptionType::choice, .help = "what the token may do",
         .fallback = std::string("operator"), .choices = {"viewer", "operator", "admin"}},
        {.key = "channels", .type = OptionType::string_list,
         .help = "relays and texts the token may control (default: all its role may)"},
    };
}

std::vector<OptionSpec> channel_access() {
    return {
        {.key = "control", .type = OptionType::choice,
         .help = "least role that may switch this relay or send to this text channel",
         .fallback = std::string("operator"), .choices = {"operator", "admin"}},
    };
}

}  // namespace schema

namespace {

bool is_hex_sha256(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

void read_secret_file(MappingReader& reader, const Options& options, AuthConfig& auth) {
    if (!options.has("secret_file")) return;
    const auto* entry = reader.find("secret_file");
    const std::string& path = options.string("secret_file");
    if (path.empty() || path.front() != '/') {
        reader.diagnostics().error(entry->value_mark(),
                                   "'secret_file' must be an absolute path such as /etc/hwbridge/secret, got '" + path +
                                       "' (the secret itself never goes into the map: every viewer can read the map)");
        return;
    }
    auth.secret_file = path;
    auth.secret_file_where = reader.diagnostics().location(entry->value_mark());
}

void read_passphrase(MappingReader& reader, const Options& options, AuthConfig& auth) {
    if (!options.has("passphrase_hash")) return;
    const auto* entry = reader.find("passphrase_hash");
    std::string problem;
    if (!auth::parse_passphrase_hash(options.string("passphrase_hash"), &problem)) {
        reader.diagnostics().error(entry->value_mark(), "'passphrase_hash' is not valid: " + problem);
        return;
    }
    if (auth.secret_file.empty() && !reader.find("secret_file")) {
        reader.diagnostics().error(entry->key_node.Mark(),
                                   "'passphrase_hash' needs 'secret_file' in 'auth': a pass-phrase sign-in is "
                                   "answered with a token signed with that secret");
        return;
    }
    auth.passphrase_hash = options.string("passphrase_hash");
}

std::optional<MachineToken> read_machine_token(MappingReader& reader, LoadContext& context) {
    Options options = reader.read_all(schema::machine_token());
    reader.report_unknown_keys();
    if (!options.has("name") || !options.has("sha256")) return std::nullopt;
    MachineToken token;
    token.name = options.string("name");
    token.sha256 = ascii_lower(options.string("sha256"));
    if (options.has("role")) token.role = role_from(options.string("role")).value_or(Role::operator_);
    token.where = context.diagnostics.location(reader.mark());
    bool ok = true;
    if (!auth::is_valid_subject(token.name)) {
        context.diagnostics.error(reader.find("name")->value_mark(),
                                  "'name' must be 1 to 64 letters, digits, spaces or . _ @ + -, got '" + token.name + "'");
        ok = false;
    }
    if (!is_hex_sha256(token.sha256)) {
        context.diagnostics.error(reader.find("sha256")->value_mark(),
                                  "'sha256' must be the 64 hex digits printed by 'hwbridge token --machine' "
                                  "(the hash of the token, never the token itself)");
        ok = false;
    }
    if (options.has("channels")) {
        token.channels = options.strings("channels");
        const auto* entry = reader.find("channels");
        std::size_t i = 0;
        for (const auto& item : entry->value) {
            if (i < token.channels->size() && item.IsScalar())
                context.token_channel_refs.emplace_back(item.Scalar(), context.diagnostics.location(item.Mark()));
            ++i;
        }
    }
    return ok ? std::optional(token) : std::nullopt;
}

void read_machine_tokens(MappingReader& reader, LoadContext& context, AuthConfig& auth) {
    const auto* entry = reader.find("machine_tokens");
    if (entry == nullptr) return;
    for (const auto& item : list_entries(entry->value, entry->value_mark(), "machine_tokens", "machine token",
                                         context.diagnostics)) {
        const YAML::Node name = item.node["name"];
        std::string what = name.IsDefined() && name.IsScalar() ? "machine token '" + name.Scalar() + "'"
                                                                : "machine token #" + std::to_string(item.index + 1);
        MappingReader token_reader(item.node, what, context.diagnostics);
        auto token = read_machine_token(token_reader, context);
        if (!token) continue;
        auto same = std::find_if(auth.machine_tokens.begin(), auth.machine_tokens.end(), [&](const MachineToken& t) {
            return t.name == token->name || t.sha256 == token->sha256;
        });
        if (same != auth.machine_tokens.end()) {
            context.diagnostics.error(token->where, what + " repeats the " + (same->name == token->name ? "name" : "hash") +
                                                        " of the machine token at " + same->where.str());
            continue;
        }
        auth.machine_tokens.push_back(std::move(*token));
    }
}

std::vector<std::string> controllable_ids(const LoadContext& context) {
    std::vector<std::string> ids;
    for (const auto& device : context.devices) {
        for (const auto& relay : device.relays) ids.push_back(relay.info.id);
        for (const auto& text : device.texts) ids.push_back(text.info.id);
    }
    return ids;
}

}  // namespace

AuthConfig read_auth(const YAML::Node& section, LoadContext& context) {
    AuthConfig auth;
    auto opened = open_section(section, "'auth'", "of settings", context.diagnostics);
    if (!opened) return auth;
    MappingReader& reader = *opened;
    Options options = reader.read_all(schema::auth());
    read_secret_file(reader, options, auth);
    // A key whose value was refused (reported) is absent from `options`.
    if (options.has("allow_anonymous") && options.string("allow_anonymous") != "none")
        auth.allow_anonymous = role_from(options.string("allow_anonymous"));
    read_passphrase(reader, options, auth);
    if (options.has("passphrase_role"))
        auth.passphrase_role = role_from(options.string("passphrase_role")).value_or(Role::operator_);
    if (options.has("passphrase_ttl")) auth.passphrase_ttl = options.duration("passphrase_ttl");
    read_machine_tokens(reader, context, auth);
    reader.report_unknown_keys();
    return auth;
}

void read_channel_access(MappingReader& reader, const std::string& channel_id, LoadContext& context) {
    Options options = reader.read_all(schema::channel_access());
    if (!options.has("control") || channel_id.empty()) return;
    Role role = role_from(options.string("control")).value_or(Role::operator_);
    if (role != Role::operator_) context.control[channel_id] = role;
}

void check_auth(const YAML::Node& root, const BridgeConfig& bridge, AuthConfig& auth, LoadContext& context) {
    auto ids = controllable_ids(context);
    for (const auto& [id, where] : context.token_channel_refs) {
        if (std::find(ids.begin(), ids.end(), id) == ids.end())
            context.diagnostics.error(where, "machine token channel '" + id + "' is not a relay or text channel of this map" +
                                                 did_you_mean(id, ids));
    }
    auth.control = context.control;
    auto problem = exposure_problem(bridge.listen_host, auth);
    if (!problem) return;
    const YAML::Node listen = root.IsMap() && root["bridge"].IsMap() ? root["bridge"]["listen"] : YAML::Node();
    context.diagnostics.error(listen.IsDefined() ? listen.Mark() : YAML::Mark::null_mark(), "'listen' " + *problem);
}

}  // namespace hwb::devicemap

namespace hwb {

bool is_loopback_listen_host(std::string_view host) {
    return host == "localhost" || host == "::1" || (host.rfind("127.", 0) == 0 && host.find(':') == std::string_view::npos);
}

std::optional<std::string> exposure_problem(const std::string& listen_host, const AuthConfig& auth) {
    if (is_loopback_listen_host(listen_host) || auth.configured() || auth.allow_anonymous) return std::nullopt;
    return "is " + listen_host +
           ", reachable from other machines, but the map has no authentication: anyone on the network could "
           "switch relays. Add an 'auth:' section with a 'secret_file' or 'machine_tokens' (docs/security.md, "
           "\"Authentication\"), or allow it explicitly with 'auth: {allow_anonymous: viewer}' (or operator)";
}

}  // namespace hwb
