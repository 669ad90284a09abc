#include "client/client.h"

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

#include "lws/lws_loop.h"

namespace hwb::client {

bool is_auth_error(const std::string& code) {
    return code == "bad_token" || code == "token_expired" || code == "unauthorized";
}

namespace {

constexpr const char* client_protocol_name = "hwb-client";

int index_of(ChannelKind kind) { return static_cast<int>(kind); }

}  // namespace

// The client's EventLoop: LwsLoop, plus a wake-up after every timer. libwebsockets 4.1 runs the
// timers that are due just before it enters poll(), and then sleeps until the next timer or fd
// event even if a timer callback has just finished what run_until() waits for (an answer's
// timeout, the end of a wait); lws_cancel_service() makes that poll() return at once.
class ClientLoop final : public EventLoop {
public:
    ClientLoop(lws_context* context, lws_vhost* vhost) : context_(context), inner_(context, vhost) {}
    void invalidate() {
        context_ = nullptr;
        inner_.invalidate();
    }
    Clock::time_point now() const override { return inner_.now(); }
    std::unique_ptr<TimerSlot> make_timer(std::function<void()> on_fire) override {
        return inner_.make_timer([loop = this, on_fire = std::move(on_fire)] {
            // on_fire may destroy this very timer (an answer's timeout ends its request), and
            // with it this lambda: nothing of it is touched afterwards.
            ClientLoop* self = loop;
            on_fire();
            if (self->context_ != nullptr) lws_cancel_service(self->context_);
        });
    }
    std::unique_ptr<FdWatch> watch_fd(int fd, std::function<void(FdEvent)> on_event) override {
        return inner_.watch_fd(fd, std::move(on_event));
    }

private:
    lws_context* context_;
    LwsLoop inner_;
};

struct ClientContextDeleter {
    void operator()(lws_context* c) const { lws_context_destroy(c); }
};

struct SslContextDeleter {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

namespace {

// The TLS context of wss connections, made here rather than by libwebsockets: 4.1 does not free
// the client context it makes for a vhost (with the system's CA store in it) when the context is
// destroyed. lws still checks the certificate's chain and the host name on every connection.
std::unique_ptr<SSL_CTX, SslContextDeleter> make_tls_context(const std::string& ca_file) {
    std::unique_ptr<SSL_CTX, SslContextDeleter> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) throw std::runtime_error("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                       : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
    if (loaded != 1)
        throw std::runtime_error(ca_file.empty() ? "cannot load the system's CA certificates"
                                                 : "cannot load CA certificates from " + ca_file + " (PEM expected)");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    return ctx;
}

}  // namespace

// One WebSocket of one subprotocol and what travels on it.
struct Link {
    enum class State { idle, connecting, open, ready, waiting, closing };

    ChannelKind kind = ChannelKind::sensor;
    State state = State::idle;
    lws* wsi = nullptr;
    std::string rx;                         // a message being reassembled from fragments
    std::deque<std::string> tx;             // frames waiting for WRITEABLE
    std::vector<std::pair<std::int64_t, std::string>> unsent;  // requests waiting for the hello
    std::optional<HelloMessage> hello;
    bool was_ready = false;      // this connection reached its hello
    bool ever_ready = false;     // some connection did: reconnect after a loss
    bool closing_by_us = false;
    int attempts = 0;            // failed attempts since the last hello (backoff)
    std::optional<Error> close_reason;  // from a close frame or an error with a null id
    std::optional<Error> failure;       // final: no retry
    std::unique_ptr<TimerSlot> retry;
};

struct Pending {
    ChannelKind kind;
    Reply reply;
    std::unique_ptr<TimerSlot> timeout;
    bool sent = false;
    std::function<void(const Result<Json>&)> after;  // the library's own follow-up (leases, text)
};

struct LeaseHold {
    std::chrono::milliseconds lease{0};
    std::unique_ptr<TimerSlot> renew;
    bool renewing = false;
};

struct Client::Impl {
    Options options;
    Endpoint endpoint;
    Events events;
    std::unique_ptr<SSL_CTX, SslContextDeleter> tls;  // outlives the lws context (declared first)
    std::unique_ptr<lws_context, ClientContextDeleter> context;
    std::unique_ptr<ClientLoop> loop;
    lws_retry_bo_t keepalive{};
    std::array<Link, 3> links;
    std::map<std::int64_t, Pending> pending;
    std::int64_t next_id = 1;
    bool stopping = false;
    bool destroying = false;
    std::mt19937 random{std::random_device{}()};

    // What is restored after reconnection.
    std::optional<protocol::Subscribe> subscription;
    std::map<std::string, std::uint64_t> open_texts;  // channel -> last seq delivered
    std::map<std::string, LeaseHold> leases;

    explicit Impl(Options o);
    ~Impl();

    Link& link(ChannelKind kind) { return links[static_cast<std::size_t>(index_of(kind))]; }

    void connect(Link& l);
    void schedule_retry(Link& l);
    void request(ChannelKind kind, const std::function<std::string(const Json&)>& encode, Reply reply,
                 std::function<void(const Result<Json>&)> after = {});
    void answer(std::int64_t id, Result<Json> result);
    void flush(Link& l);
    void write_frame(Link& l, std::string frame);
    void on_hello(Link& l, HelloMessage hello);
    void on_message(Link& l, std::string_view frame);
    void on_closed(Link& l, Error why);
    void lose_leases(const Error& why);
    void renew(const std::string& channel);
    void start_lease(const std::string& channel, std::chrono::milliseconds lease);
    void end_lease(const std::string& channel) { leases.erase(channel); }
    void close_link(Link& l, bool by_user);
    std::chrono::milliseconds backoff(int attempts);

    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);
    int handle(Link& l, lws* wsi, lws_callback_reasons reason, void* in, std::size_t len);
};

namespace {

const lws_protocols client_protocols[] = {
    {client_protocol_name, &Client::Impl::callback, 0, 4096, 0, nullptr, 0},
    {LwsLoop::raw_protocol_name, LwsLoop::raw_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void lws_log_to_stderr(int level, const char* line) {
    std::fprintf(stderr, "lws %s: %s", (level & LLL_ERR) ? "error" : "warning", line);
}

std::string kind_name(ChannelKind kind) { return to_string(kind); }

}  // namespace

Client::Impl::Impl(Options o) : options(std::move(o)) {
    auto parsed = parse_url(options.url);
    if (!parsed.ok()) throw std::invalid_argument(parsed.error().message);
    endpoint = std::move(parsed).value();
    for (std::size_t i = 0; i < links.size(); ++i) links[i].kind = static_cast<ChannelKind>(i);

    if (options.lws_log) {
        lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_stderr);
    } else {
        lws_set_log_level(0, nullptr);
    }
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = client_protocols;
    info.user = this;
    info.timeout_secs = 10;  // TCP connect and handshake
    if (endpoint.tls) {
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        tls = make_tls_context(options.ca_file);
        info.provided_client_ssl_ctx = tls.get();
    }
    // A bridge that stops answering (half-open TCP) is pinged after 20 s of silence and given up
    // 10 s later: the connection then counts as lost and is made again.
    keepalive.secs_since_valid_ping = 20;
    keepalive.secs_since_valid_hangup = 30;
    context.reset(lws_create_context(&info));
    if (!context) throw std::runtime_error("cannot create the libwebsockets client context");
    lws_vhost* vhost = lws_get_vhost_by_name(context.get(), "default");
    loop = std::make_unique<ClientLoop>(context.get(), vhost);
}

Client::Impl::~Impl() {
    destroying = true;
    for (auto& l : links) {
        l.retry.reset();
        if (l.wsi != nullptr) lws_set_opaque_user_data(l.wsi, nullptr);
        l.wsi = nullptr;
    }
    pending.clear();
    leases.clear();
    loop->invalidate();
    context.reset();
}

std::chrono::milliseconds Client::Impl::backoff(int attempts) {
    // Doubling from backoff_min to backoff_max, each delay drawn from [d/2, d] so that many
    // clients of a restarted bridge do not all come back in the same instant.
    auto d = options.backoff_min;
    for (int i = 1; i < attempts && d < options.backoff_max; ++i) d *= 2;
    d = std::min(d, options.backoff_max);
    std::uniform_int_distribution<std::int64_t> pick(d.count() / 2, std::max<std::int64_t>(d.count(), 1));
    return std::chrono::milliseconds(pick(random));
}

void Client::Impl::connect(Link& l) {
    if (destroying) return;
    l.state = Link::State::connecting;
    l.was_ready = false;
    l.closing_by_us = false;
    l.close_reason.reset();
    l.failure.reset();
    l.rx.clear();
    l.tx.clear();
    const std::string host = endpoint.authority();
    const std::string protocol = kind_name(l.kind);
    lws_client_connect_info ci{};
    ci.context = context.get();
    ci.address = endpoint.host.c_str();
    ci.port = endpoint.port;
    ci.path = endpoint.path.c_str();
    ci.host = host.c_str();
    ci.origin = nullptr;  // a script is not a web page: no Origin, as curl
    ci.protocol = protocol.c_str();
    ci.local_protocol_name = client_protocol_name;
    ci.ssl_connection = endpoint.tls ? LCCSCF_USE_SSL : 0;
    ci.opaque_user_data = &l;
    ci.retry_and_idle_policy = &keepalive;
    ci.pwsi = &l.wsi;
    if (endpoint.tls) ci.alpn = "http/1.1";
    // On failure lws has already called CLIENT_CONNECTION_ERROR (which cleared l.wsi) or not;
    // either way a null result means no connection is coming.
    if (lws_client_connect_via_info(&ci) == nullptr && l.state == Link::State::connecting) {
        l.wsi = nullptr;
        on_closed(l, Error{errors::connect_failed, "cannot connect to " + endpoint.str()});
    }
}

void Client::Impl::schedule_retry(Link& l) {
    l.state = Link::State::waiting;
    ++l.attempts;
    if (!l.retry) {
        Link* lp = &l;
        l.retry = loop->make_timer([this, lp] {
            if (lp->state == Link::State::waiting) connect(*lp);
        });
    }
    l.retry->start(backoff(l.attempts));
}

void Client::Impl::write_frame(Link& l, std::string frame) {
    l.tx.push_back(std::move(frame));
    if (l.wsi != nullptr) lws_callback_on_writable(l.wsi);
}

void Client::Impl::request(ChannelKind kind, const std::function<std::string(const Json&)>& encode, Reply reply,
                           std::function<void(const Result<Json>&)> after) {
    Link& l = link(kind);
    const std::int64_t id = next_id++;
    Pending p;
    p.kind = kind;
    p.reply = std::move(reply);
    p.after = std::move(after);
    p.timeout = loop->make_timer([this, id] {
        answer(id, Error{errors::no_answer, "no answer from the bridge within " +
                                                std::to_string(options.request_timeout.count()) + " ms"});
    });
    p.timeout->start(options.request_timeout);
    pending.emplace(id, std::move(p));
    std::string frame = encode(Json(id));
    if (l.state == Link::State::ready) {
        pending.at(id).sent = true;
        write_frame(l, std::move(frame));
    } else {
        l.unsent.emplace_back(id, std::move(frame));
        if (l.state == Link::State::idle) connect(l);
    }
}

void Client::Impl::answer(std::int64_t id, Result<Json> result) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    pending.erase(it);
    Link& l = link(p.kind);
    std::erase_if(l.unsent, [&](const auto& u) { return u.first == id; });
    if (p.after) p.after(result);
    if (p.reply) p.reply(std::move(result));
}

void Client::Impl::flush(Link& l) {
    auto unsent = std::move(l.unsent);
    l.unsent.clear();
    for (auto& [id, frame] : unsent) {
        auto it = pending.find(id);
        if (it == pending.end()) continue;
        it->second.sent = true;
        write_frame(l, std::move(frame));
    }
}

void Client::Impl::on_hello(Link& l, HelloMessage hello) {
    if (hello.auth_required) {
        l.failure = Error{"unauthorized", "the bridge requires a token (--token, HWB_TOKEN or --token-file)"};
        l.close_reason = l.failure;
        close_link(l, false);
        return;
    }
    const bool first_of_connection = !l.was_ready;
    const bool reconnected = first_of_connection && l.ever_ready;
    l.hello = std::move(hello);
    l.state = Link::State::ready;
    l.was_ready = true;
    l.ever_ready = true;
    l.attempts = 0;
    if (first_of_connection) {
        // Restore what the user had before the connection was lost, ahead of queued requests.
        if (l.kind == ChannelKind::sensor && subscription && reconnected) {
            auto s = *subscription;
            request(ChannelKind::sensor, [s](const Json& id) mutable {
                s.id = id;
                return protocol::encode_request(s);
            }, {});
        }
        if (l.kind == ChannelKind::text && reconnected) {
            for (const auto& [channel, last_seq] : open_texts) {
                const std::string ch = channel;
                request(ChannelKind::text, [ch](const Json& id) { return protocol::encode_request(protocol::TextOpen{id, ch}); },
                        {}, [this, ch](const Result<Json>& r) {
                            if (!r.ok() || !r.value().contains("history")) return;
                            // Lines that came while we were away: those after the last one delivered.
                            auto it = open_texts.find(ch);
                            if (it == open_texts.end()) return;
                            for (const auto& entry : r.value()["history"]) {
                                auto line = protocol::parse_line(entry, ch);
                                if (!line.ok() || line.value().seq <= it->second) continue;
                                it->second = line.value().seq;
                                if (events.line) events.line(line.value());
                            }
                        });
            }
        }
        flush(l);
    }
    if (events.hello) events.hello(l.kind, *l.hello, reconnected);
}

namespace {

ChannelEntry* find_channel(std::optional<HelloMessage>& hello, const std::string& id) {
    if (!hello) return nullptr;
    for (auto& c : hello->channels)
        if (c.id == id) return &c;
    return nullptr;
}

std::int64_t id_number(const Json& id) { return id.is_number_integer() ? id.get<std::int64_t>() : -1; }

}  // namespace

void Client::Impl::on_message(Link& l, std::string_view frame) {
    auto parsed = protocol::parse_server_message(frame);
    if (!parsed.ok()) return;  // unknown_type from a newer bridge, or garbage: nothing to act on
    auto& message = parsed.value();
    if (auto* hello = std::get_if<HelloMessage>(&message)) {
        on_hello(l, std::move(*hello));
    } else if (auto* ack = std::get_if<protocol::AckMessage>(&message)) {
        answer(id_number(ack->id), std::move(ack->body));
    } else if (auto* err = std::get_if<protocol::ErrorMessage>(&message)) {
        if (is_auth_error(err->error.code)) {
            // The bridge closes the connection after this: remember why, and do not come back.
            l.failure = err->error;
            l.close_reason = err->error;
        }
        if (err->id.is_null()) return;
        answer(id_number(err->id), err->error);
    } else if (auto* reading = std::get_if<ReadingMessage>(&message)) {
        if (auto* c = find_channel(l.hello, reading->channel)) {
            c->value = reading->value;
            c->time_ms = reading->time_ms;
            c->seq = reading->seq;
        }
        if (events.reading) events.reading(*reading);
    } else if (auto* state = std::get_if<StateMessage>(&message)) {
        if (auto* c = find_channel(l.hello, state->channel)) {
            c->value = state->state;
            c->time_ms = state->time_ms;
            c->seq = state->seq;
        }
        if (auto it = leases.find(state->channel); it != leases.end() && l.hello) {
            if (!state->lease || state->lease->client != l.hello->client) {
                leases.erase(it);
                if (events.lease_lost)
                    events.lease_lost(state->channel,
                                      Error{state->cause == "lease_expired" ? "lease_expired" : errors::lease_ended,
                                            "relay '" + state->channel + "' is now " + state->state + " (cause " +
                                                state->cause + (state->client.empty() ? "" : " by " + state->client) + ")"});
            }
        }
        if (events.state) events.state(*state);
    } else if (auto* status = std::get_if<StatusMessage>(&message)) {
        if (auto* c = find_channel(l.hello, status->channel)) {
            c->online = status->online;
            c->reason = status->reason;
        }
        if (events.status) events.status(l.kind, *status);
    } else if (auto* line = std::get_if<LineMessage>(&message)) {
        if (auto it = open_texts.find(line->channel); it != open_texts.end()) it->second = std::max(it->second, line->seq);
        if (events.line) events.line(*line);
    }
}

void Client::Impl::lose_leases(const Error& why) {
    auto lost = std::move(leases);
    leases.clear();
    for (auto& [channel, hold] : lost)
        if (events.lease_lost) events.lease_lost(channel, why);
}

void Client::Impl::on_closed(Link& l, Error why) {
    if (l.close_reason) why = *l.close_reason;
    const bool was_ready = l.was_ready;
    l.wsi = nullptr;
    l.tx.clear();
    l.rx.clear();
    l.was_ready = false;
    // Requests on the wire may or may not have run: they fail. Those not yet sent wait for the
    // next connection when there is one.
    std::vector<std::int64_t> in_flight;
    for (auto& [id, p] : pending)
        if (p.kind == l.kind && p.sent) in_flight.push_back(id);
    Error lost = was_ready ? Error{errors::disconnected, why.message.empty() ? "the connection to the bridge closed" : why.message}
                           : why;
    if (is_auth_error(why.code)) lost = why;
    for (auto id : in_flight) answer(id, lost);
    if (l.kind == ChannelKind::relay) lose_leases(Error{errors::disconnected, "the connection to the bridge closed: "
                                                                              "the bridge ended the lease"});
    const bool fatal = is_auth_error(why.code) || l.failure.has_value();
    const bool retry = !l.closing_by_us && !fatal && !destroying && options.reconnect &&
                       (l.ever_ready || options.retry_first_connect);
    if (retry) {
        schedule_retry(l);
    } else {
        l.state = Link::State::idle;
        if (!l.closing_by_us) l.failure = why;
        // Nothing will carry the queued requests: fail them now.
        std::vector<std::int64_t> queued;
        for (auto& [id, frame] : l.unsent) queued.push_back(id);
        for (auto id : queued) answer(id, why);
    }
    if (events.disconnected && !l.closing_by_us) events.disconnected(l.kind, why, retry);
}

void Client::Impl::close_link(Link& l, bool by_user) {
    if (l.retry) l.retry->cancel();
    l.closing_by_us = by_user;
    if (l.wsi == nullptr) {
        l.state = Link::State::idle;
        return;
    }
    l.state = Link::State::closing;
    lws_callback_on_writable(l.wsi);
}

void Client::Impl::start_lease(const std::string& channel, std::chrono::milliseconds lease) {
    auto& hold = leases[channel];
    hold.lease = lease;
    // A third of the lease: two renewals may be lost or slow before the bridge gives up on us.
    const auto period = std::max(std::chrono::milliseconds(200), lease / 3);
    hold.renew = loop->make_timer([this, channel] { renew(channel); });
    hold.renew->start(period);
}

void Client::Impl::renew(const std::string& channel) {
    auto it = leases.find(channel);
    if (it == leases.end()) return;
    const auto lease = it->second.lease;
    const auto period = std::max(std::chrono::milliseconds(200), lease / 3);
    it->second.renew->start(period);
    if (it->second.renewing) return;  // the previous renewal is still unanswered
    it->second.renewing = true;
    const std::string name = options.name;
    request(ChannelKind::relay, [channel, lease, name](const Json& id) {
        return protocol::encode_request(protocol::RelayRenew{id, channel, name, lease});
    }, {}, [this, channel](const Result<Json>& r) {
        auto it = leases.find(channel);
        if (it == leases.end()) return;
        it->second.renewing = false;
        if (r.ok() || r.error().code == errors::no_answer || r.error().code == "rate_limited") return;
        leases.erase(it);
        if (events.lease_lost) events.lease_lost(channel, r.error());
    });
}

int Client::Impl::callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, std::size_t len) {
    auto* l = static_cast<Link*>(lws_get_opaque_user_data(wsi));
    if (l == nullptr) {
        // A connection of a client being destroyed, or lws' context-wide callbacks.
        return reason == LWS_CALLBACK_CLIENT_WRITEABLE || reason == LWS_CALLBACK_CLIENT_RECEIVE ? -1 : 0;
    }
    auto* self = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
    try {
        return self->handle(*l, wsi, reason, in, len);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hwb client: %s connection: %s; closing it\n", to_string(l->kind), e.what());
    } catch (...) {
        std::fprintf(stderr, "hwb client: %s connection: unknown exception; closing it\n", to_string(l->kind));
    }
    return -1;
}

int Client::Impl::handle(Link& l, lws* wsi, lws_callback_reasons reason, void* in, std::size_t len) {
    switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
            if (options.token.empty()) return 0;
            auto** p = static_cast<unsigned char**>(in);
            const std::string value = "Bearer " + options.token;
            if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                             reinterpret_cast<const unsigned char*>(value.data()),
                                             static_cast<int>(value.size()), p, *p + len) != 0)
                return -1;
            return 0;
        }
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            l.wsi = wsi;
            l.state = Link::State::open;  // ready once the hello arrives
            return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE: {
            if (l.rx.size() + len > options.max_message_bytes) {
                l.close_reason = Error{errors::disconnected, "a message from the bridge exceeds " +
                                                                 std::to_string(options.max_message_bytes) + " bytes"};
                lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
                return -1;
            }
            if (lws_frame_is_binary(wsi)) return 0;  // the protocol has none
            l.rx.append(static_cast<const char*>(in), len);
            if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
                std::string frame = std::move(l.rx);
                l.rx.clear();
                on_message(l, frame);
            }
            return 0;
        }
        case LWS_CALLBACK_CLIENT_WRITEABLE: {
            if (l.state == Link::State::closing) {
                lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
                return -1;
            }
            if (l.tx.empty()) return 0;
            std::string& frame = l.tx.front();
            std::vector<unsigned char> buf(LWS_PRE + frame.size());
            std::copy(frame.begin(), frame.end(), buf.begin() + LWS_PRE);
            int n = lws_write(wsi, buf.data() + LWS_PRE, frame.size(), LWS_WRITE_TEXT);
            if (n < static_cast<int>(frame.size())) return -1;
            l.tx.pop_front();
            if (!l.tx.empty()) lws_callback_on_writable(wsi);
            return 0;
        }
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
            if (len >= 2 && !l.close_reason) {
                auto* b = static_cast<const unsigned char*>(in);
                const int code = (b[0] << 8) | b[1];
                std::string text(static_cast<const char*>(in) + 2, std::min<std::size_t>(len - 2, 123));
                std::string message = "the bridge closed the connection (" + std::to_string(code) +
                                      (text.empty() ? "" : ": " + text) + ")";
                l.close_reason = Error{errors::disconnected, message};
            }
            return 0;
        }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            if (l.state != Link::State::connecting && l.state != Link::State::open) return 0;
            std::string why = in != nullptr ? std::string(static_cast<const char*>(in), strnlen(static_cast<const char*>(in), 200))
                                             : "connection failed";
            l.wsi = nullptr;
            on_closed(l, Error{errors::connect_failed, "cannot connect to " + endpoint.str() + " (" + kind_name(l.kind) +
                                                           "): " + why});
            return 0;
        }
        case LWS_CALLBACK_CLIENT_CLOSED:
            if (l.state != Link::State::open && l.state != Link::State::ready && l.state != Link::State::closing) return 0;
            l.wsi = nullptr;
            on_closed(l, Error{errors::disconnected, "the connection to the bridge closed"});
            return 0;
        default:
            return 0;
    }
}

// ---- Client ----

Client::Client(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

const Options& Client::options() const { return impl_->options; }
const Endpoint& Client::endpoint() const { return impl_->endpoint; }
EventLoop& Client::loop() { return *impl_->loop; }
Events& Client::events() { return impl_->events; }

void Client::open(ChannelKind kind) {
    Link& l = impl_->link(kind);
    if (l.state == Link::State::idle) impl_->connect(l);
}

void Client::close(ChannelKind kind) { impl_->close_link(impl_->link(kind), true); }

const HelloMessage* Client::hello(ChannelKind kind) const {
    const auto& h = impl_->links[static_cast<std::size_t>(index_of(kind))].hello;
    return h ? &*h : nullptr;
}

std::optional<Error> Client::failure(ChannelKind kind) const {
    return impl_->links[static_cast<std::size_t>(index_of(kind))].failure;
}

bool Client::active(ChannelKind kind) const {
    return impl_->links[static_cast<std::size_t>(index_of(kind))].state != Link::State::idle;
}

void Client::subscribe(std::optional<std::vector<std::string>> channels, std::optional<double> max_rate_hz, Reply reply) {
    protocol::Subscribe s{Json(), std::move(channels), max_rate_hz};
    impl_->subscription = s;
    impl_->request(ChannelKind::sensor, [s](const Json& id) mutable {
        s.id = id;
        return protocol::encode_request(s);
    }, std::move(reply));
}

void Client::history(const std::string& channel, Reply reply) {
    impl_->request(ChannelKind::sensor, [channel](const Json& id) {
        return protocol::encode_request(protocol::History{id, channel});
    }, std::move(reply));
}

namespace {

// After a set or toggle: hold the lease when the relay ended up on with one, else drop ours.
std::function<void(const Result<Json>&)> lease_follow_up(Client::Impl* impl, const std::string& channel,
                                                        std::optional<std::chrono::milliseconds> lease);

}  // namespace

void Client::set(const std::string& channel, bool on, std::optional<std::chrono::milliseconds> lease, Reply reply) {
    const std::string name = impl_->options.name;
    if (!lease) impl_->end_lease(channel);
    impl_->request(ChannelKind::relay, [=](const Json& id) {
        return protocol::encode_request(protocol::RelaySet{id, channel, on, name, lease});
    }, std::move(reply), lease_follow_up(impl_.get(), channel, lease));
}

void Client::toggle(const std::string& channel, std::optional<std::chrono::milliseconds> lease, Reply reply) {
    const std::string name = impl_->options.name;
    if (!lease) impl_->end_lease(channel);
    impl_->request(ChannelKind::relay, [=](const Json& id) {
        return protocol::encode_request(protocol::RelayToggle{id, channel, name, lease});
    }, std::move(reply), lease_follow_up(impl_.get(), channel, lease));
}

void Client::pulse(const std::string& channel, std::chrono::milliseconds duration, Reply reply) {
    const std::string name = impl_->options.name;
    impl_->end_lease(channel);
    impl_->request(ChannelKind::relay, [=](const Json& id) {
        return protocol::encode_request(protocol::RelayPulse{id, channel, duration, name});
    }, std::move(reply));
}

namespace {

std::function<void(const Result<Json>&)> lease_follow_up(Client::Impl* impl, const std::string& channel,
                                                        std::optional<std::chrono::milliseconds> lease) {
    if (!lease) return {};
    return [impl, channel, lease](const Result<Json>& r) {
        if (r.ok() && r.value().value("state", "") == "on") {
            impl->start_lease(channel, *lease);
        } else if (r.ok()) {
            impl->end_lease(channel);
        }
    };
}

}  // namespace

bool Client::holds_lease(const std::string& channel) const { return impl_->leases.count(channel) != 0; }

void Client::release_leases() {
    impl_->leases.clear();
    close(ChannelKind::relay);
}

void Client::open_text(const std::string& channel, Reply reply) {
    impl_->request(ChannelKind::text, [channel](const Json& id) {
        return protocol::encode_request(protocol::TextOpen{id, channel});
    }, std::move(reply), [impl = impl_.get(), channel](const Result<Json>& r) {
        if (!r.ok()) return;
        std::uint64_t last = 0;
        if (r.value().contains("history") && r.value()["history"].is_array())
            for (const auto& entry : r.value()["history"])
                if (auto line = protocol::parse_line(entry, channel); line.ok()) last = std::max(last, line.value().seq);
        impl->open_texts[channel] = last;
    });
}

void Client::close_text(const std::string& channel, Reply reply) {
    impl_->open_texts.erase(channel);
    impl_->request(ChannelKind::text, [channel](const Json& id) {
        return protocol::encode_request(protocol::TextClose{id, channel});
    }, std::move(reply));
}

void Client::send(const std::string& channel, const std::string& line, Reply reply) {
    const std::string name = impl_->options.name;
    impl_->request(ChannelKind::text, [=](const Json& id) {
        return protocol::encode_request(protocol::TextSend{id, channel, line, name});
    }, std::move(reply));
}

void Client::run() {
    // A stop() that came before (from a callback run by run_until, say) ends this run at once.
    while (!impl_->stopping) lws_service(impl_->context.get(), 0);
    impl_->stopping = false;
}

void Client::stop() {
    impl_->stopping = true;
    lws_cancel_service(impl_->context.get());
}

bool Client::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    // lws sleeps until its next timer or fd event: this timer is the one that ends the wait.
    bool expired = false;
    auto wake = impl_->loop->make_timer([&expired] { expired = true; });
    wake->start(timeout);
    while (!done()) {
        if (expired || Clock::now() >= deadline) return done();
        lws_service(impl_->context.get(), 0);
    }
    return true;
}

}  // namespace hwb::client
