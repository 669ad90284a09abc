#include "door/door.h"

#include <spdlog/spdlog.h>

namespace hwb {

RequestLimiter::RequestLimiter(RateLimit limit, std::size_t max_refusals, std::chrono::seconds window,
                               Clock::time_point now)
    : bucket_(limit, now), max_refusals_(max_refusals), window_(window), window_start_(now) {}

RequestLimiter::Verdict RequestLimiter::check(Clock::time_point now) {
    if (bucket_.take(now)) return Verdict::allow;
    return refused(now);
}

RequestLimiter::Verdict RequestLimiter::refused(Clock::time_point now) {
    if (now - window_start_ >= window_) {
        window_start_ = now;
        refusals_ = 0;
    }
    ++refusals_;
    return refusals_ > max_refusals_ ? Verdict::close : Verdict::refuse;
}

namespace {

// Whom a change is credited to besides the connection: the identity the requester proved (a
// token, a machine token) or the front it is (mqtt, automation); nobody for anonymous clients.
std::string credited_subject(const Identity& identity) {
    if (identity.method == "none" || identity.method == "anonymous") return {};
    return identity.subject;
}

// Refusals of requesters over their rate: 5 lines per second, 20 at once; the next line printed
// says how many were left out. Enough to see what happens, too few to fill a disk.
constexpr RateLimit door_refusal_log{5, 20};
// Tables of relay and subject buckets keep at most this many entries (bounded like the
// per-address table of new connections).
constexpr std::size_t door_max_keys = 4096;

const char* kind_word(ChannelKind kind) { return to_string(kind); }

// The request as audit lines name it: "relay set pump on", "relay pulse door 500 ms".
std::string describe(const RelayCommand& command) {
    switch (command.op) {
        case RelayCommand::Op::set:
            return "relay set " + command.channel + (command.on ? " on" : " off");
        case RelayCommand::Op::toggle:
            return "relay toggle " + command.channel;
        case RelayCommand::Op::pulse:
            return "relay pulse " + command.channel + " " + std::to_string(command.duration.count()) + " ms";
    }
    return "relay " + command.channel;
}

// What the relay's last change did: "off -> on", "stays on (lease set)", or "stays off" and then
// `no_lease` (a confirmation that ended a lease says " (lease ended)"). Read while the relay
// replies or reports the change, when its last change is the one described.
std::string what_happened(const Relay& relay, const char* no_lease = "") {
    if (relay.transitioned())
        return std::string(to_string(relay.previous_state())) + " -> " + to_string(relay.state());
    return std::string("stays ") + to_string(relay.state()) + (relay.lease() ? " (lease set)" : no_lease);
}

// "audit: ACTION by SUBJECT from SOURCE (CLIENT): RESULT" (docs/security.md, "Audit trail").
void audit_line(const std::string& subject, const std::string& source, const std::string& client, bool done,
                const std::string& action, const std::string& result) {
    spdlog::log(done ? spdlog::level::info : spdlog::level::warn, "audit: {} by {} from {} ({}): {}", action, subject,
                source, client, result);
}

}  // namespace

Door::Door(EventLoop& loop, const LimitsConfig& limits)
    : loop_(loop),
      limits_(limits),
      per_relay_(limits.relay_switches, door_max_keys),
      per_subject_(limits.relay_requests, door_max_keys),
      refusal_log_(door_refusal_log) {}

Door::~Door() {
    if (channels_ != nullptr) channels_->remove_observer(this);
}

void Door::attach(Channels& channels) {
    if (channels_ == &channels) return;
    if (channels_ != nullptr) channels_->remove_observer(this);
    channels_ = &channels;
    channels.add_observer(this);
}

void Door::configure(const LimitsConfig& limits) {
    if (!(limits.relay_switches == limits_.relay_switches))
        per_relay_ = KeyedRateLimiter(limits.relay_switches, door_max_keys);
    if (!(limits.relay_requests == limits_.relay_requests))
        per_subject_ = KeyedRateLimiter(limits.relay_requests, door_max_keys);
    limits_ = limits;
}

bool Door::set_auth(const AuthConfig& auth, std::string secret) {
    bool changed = access_.identities_change(auth, secret);
    access_.configure(auth, std::move(secret));
    return changed;
}

void Door::audit_as(const std::string& subject, const Requester& who, bool done, const std::string& action,
                    const std::string& result) {
    audit_line(subject, who.source(), who.client(), done, action, result);
}

void Door::audit(const Requester& who, bool done, const std::string& action, const std::string& result) const {
    audit_as(who.identity.subject, who, done, action, result);
    if (audit_listener_)
        audit_listener_(action + " by " + who.identity.subject + " from " + who.source() + " (" + who.client() + "): " + result);
}

RequestLimiter& Door::limiter(Requester& who, ChannelKind kind) {
    auto& slot = kind == ChannelKind::text ? who.text_limit_ : kind == ChannelKind::relay ? who.relay_limit_ : who.sensor_limit_;
    if (!slot) {
        RateLimit limit = kind == ChannelKind::text    ? limits_.text_requests
                          : kind == ChannelKind::relay ? limits_.relay_requests
                                                       : limits_.sensor_requests;
        slot.emplace(limit, limits_.max_refusals, limits_.refusal_window, loop_.now());
    }
    return *slot;
}

// Over the rate: audited through the throttle (a flood must not flood the log), and the requester
// becomes abusive after too many refusals in a row.
void Door::refused(const Requester& who, const std::string& action, const Error& error, bool over_rate) {
    if (!over_rate) {
        audit(who, false, action, "refused (" + error.code + "): " + error.message);
        return;
    }
    auto skipped = refusal_log_.allow(loop_.now());
    if (!skipped) return;
    std::string what = who.abusive() ? "still too many after " + std::to_string(limits_.max_refusals) +
                                           " rate_limited answers; closing with 1008"
                                     : error.code == "rate_limited" ? "rate limited" : error.code;
    std::string line = "audit: refused " + action + " of client " + who.client() + " from " + who.source() + ": " + what;
    if (*skipped > 0) line += " (" + std::to_string(*skipped) + " more refusals not logged)";
    spdlog::warn("{}", line);
}

Status Door::admit(Requester& who, ChannelKind kind) {
    auto verdict = limiter(who, kind).check(loop_.now());
    if (verdict == RequestLimiter::Verdict::allow) return {};
    if (verdict == RequestLimiter::Verdict::close) who.abusive_ = true;
    Error error{"rate_limited", std::string("too many ") + kind_word(kind) + " requests; not executed, slow down"};
    refused(who, std::string(kind_word(kind)) + " request", error, true);
    return error;
}

std::optional<Error> Door::check(Requester& who, ChannelKind kind, const std::string& channel, const std::string& action) {
    // 1. Who may: role, token scope, the channel's `control`.
    auto allowed = access_.may_control(who.identity, kind_word(kind), channel);
    if (!allowed.ok()) {
        // A refused request still costs the requester a request: forbidden floods are rate limited.
        auto verdict = limiter(who, kind).check(loop_.now());
        if (verdict == RequestLimiter::Verdict::close) who.abusive_ = true;
        bool over = verdict != RequestLimiter::Verdict::allow;
        refused(who, over ? std::string(kind_word(kind)) + " request" : action, allowed.error(), over);
        return allowed.error();
    }
    // 2. How often.
    if (auto error = rate(who, kind, channel)) {
        refused(who, std::string(kind_word(kind)) + " request", *error, true);
        return error;
    }
    return std::nullopt;
}

std::optional<Error> Door::rate(Requester& who, ChannelKind kind, const std::string& channel) {
    auto now = loop_.now();
    auto verdict = limiter(who, kind).check(now);
    if (verdict == RequestLimiter::Verdict::close) who.abusive_ = true;
    if (verdict != RequestLimiter::Verdict::allow)
        return Error{"rate_limited", std::string("too many ") + kind_word(kind) + " requests; not executed, slow down"};
    if (kind != ChannelKind::relay) return std::nullopt;
    // A relay is a physical thing: it is protected from all its requesters together, and an
    // authenticated subject gets one budget however many connections it opens.
    if (!per_relay_.take(channel, now))
        return Error{"rate_limited", "relay '" + channel + "' is switched too often (bridge.limits.switch_rate, all "
                                     "clients together); not executed, slow down"};
    if (who.identity.method == "token" || who.identity.method == "machine") {
        if (!per_subject_.take(who.identity.subject, now))
            return Error{"rate_limited", "too many relay requests by " + who.identity.subject +
                                             " over all its connections (bridge.limits.relay_rate); not executed, slow down"};
    }
    return std::nullopt;
}

void Door::relay(Requester& who, const RelayCommand& command, std::function<void(Result<RelayState>)> caller_reply) {
    auto reply = [outcomes = relay_outcomes_, caller_reply = std::move(caller_reply)](Result<RelayState> result) {
        ++(*outcomes)[result.ok() ? "ok" : result.error().code];
        caller_reply(std::move(result));
    };
    Relay* relay = channels_ != nullptr ? channels_->relay(command.channel) : nullptr;
    if (relay == nullptr) {
        // Unknown channels cost a request like any other.
        if (auto limited = admit(who, ChannelKind::relay); !limited.ok()) return reply(limited.error());
        return reply(Error{"unknown_channel", "no relay '" + command.channel + "'"});
    }
    // A relay imported from another hwbridge: the line names it (that bridge audits the request too).
    const std::string action =
        describe(command) + (relay->info().origin.empty() ? "" : " at bridge " + relay->info().origin);
    if (auto error = check(who, ChannelKind::relay, command.channel, action)) return reply(*error);
    // 3. Core. 4. The audit line, when core answers: what the request did, or why not.
    // The requester's own label, if it gave one, is named beside its connection.
    std::string client = command.name.empty() ? who.client() : who.client() + " as " + command.name;
    auto done = [relay, action, subject = who.identity.subject, source = who.source(), client = std::move(client),
                 reply = std::move(reply)](Result<RelayState> result) {
        if (result.ok()) {
            audit_line(subject, source, client, true, action, "done, " + what_happened(*relay));
        } else {
            audit_line(subject, source, client, false, action,
                       "refused (" + result.error().code + "): " + result.error().message);
        }
        reply(std::move(result));
    };
    Cause cause = Cause::by_client(command.name.empty() ? who.client() : command.name);
    cause.subject = credited_subject(who.identity);
    std::optional<LeaseRequest> lease;
    if (command.lease) lease = LeaseRequest{who.client(), *command.lease};
    switch (command.op) {
        case RelayCommand::Op::set:
            relay->set(command.on, std::move(cause), std::move(done), std::move(lease));
            break;
        case RelayCommand::Op::toggle:
            relay->toggle(std::move(cause), std::move(done), std::move(lease));
            break;
        case RelayCommand::Op::pulse:
            relay->pulse(command.duration, std::move(cause), std::move(done));
            break;
    }
}

Result<Lease> Door::renew_lease(Requester& who, const std::string& channel, Millis duration) {
    if (auto limited = admit(who, ChannelKind::relay); !limited.ok()) return limited.error();
    Relay* relay = channels_ != nullptr ? channels_->relay(channel) : nullptr;
    if (relay == nullptr) return Error{"unknown_channel", "no relay '" + channel + "'"};
    return relay->renew_lease(who.client(), duration);
}

void Door::text_send(Requester& who, const std::string& channel, const std::string& line, const std::string& name,
                     std::function<void(Status)> caller_reply) {
    auto reply = [outcomes = text_outcomes_, caller_reply = std::move(caller_reply)](Status status) {
        ++(*outcomes)[status.ok() ? "ok" : status.error().code];
        caller_reply(std::move(status));
    };
    TextChannel* text = channels_ != nullptr ? channels_->text(channel) : nullptr;
    if (text == nullptr) {
        if (auto limited = admit(who, ChannelKind::text); !limited.ok()) return reply(limited.error());
        return reply(Error{"unknown_channel", "no text channel '" + channel + "'"});
    }
    const std::string action = "text send " + channel + " (" + std::to_string(line.size()) + " bytes)" +
                               (text->info().origin.empty() ? "" : " at bridge " + text->info().origin);
    if (auto error = check(who, ChannelKind::text, channel, action)) return reply(*error);
    std::string client = name.empty() ? who.client() : who.client() + " as " + name;
    auto done = [action, subject = who.identity.subject, source = who.source(), client = std::move(client),
                 reply = std::move(reply)](Status status) {
        audit_line(subject, source, client, status.ok(), action,
                   status.ok() ? "done" : "refused (" + status.error().code + "): " + status.error().message);
        reply(std::move(status));
    };
    text->send(line, Cause::by_client(name.empty() ? who.client() : name), std::move(done));
}

void Door::leave(const Requester& who) {
    if (channels_ == nullptr) return;
    for (const auto& relay : channels_->relays()) relay->release_leases_of(who.client());
}

void Door::on_relay_change(const Relay& relay, const Cause& cause) {
    // A change a request caused is in that request's audit line; everything else is audited here.
    if (cause.kind == Cause::Kind::client) return;
    const std::string what = what_happened(relay, " (lease ended)");
    spdlog::info("audit: relay {}{} {} by {}{}{}", relay.id(),
                 relay.info().origin.empty() ? "" : " at bridge " + relay.info().origin, what, to_string(cause.kind),
                 cause.client.empty() ? "" : " ", cause.client);
}

void Door::on_relay_failure(const Relay& relay, const RelayFailure& failure) {
    if (failure.cause.kind == Cause::Kind::client) return;
    std::string next = "left to the requester";
    if (failure.retry_in) {
        next = failure.retry_in->count() == 0
                   ? "retrying now"
                   : fmt::format("retrying in {:.1f} s", static_cast<double>(failure.retry_in->count()) / 1000.0);
    }
    spdlog::warn("audit: relay {} write {} by {}{}{} failed ({}: {}); state {}; {}", relay.id(), failure.on ? "on" : "off",
                 to_string(failure.cause.kind), failure.cause.client.empty() ? "" : " ", failure.cause.client,
                 failure.error.code, failure.error.message, to_string(relay.state()), next);
}

}  // namespace hwb
