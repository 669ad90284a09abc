#include "client/blocking.h"

namespace hwb::client {

BlockingClient::BlockingClient(Options options, std::size_t max_events)
    : client_(std::move(options)), max_events_(max_events) {
    auto& e = client_.events();
    e.reading = [this](const ReadingMessage& m) { push(m); };
    e.state = [this](const StateMessage& m) { push(m); };
    e.status = [this](ChannelKind, const StatusMessage& m) { push(m); };
    e.line = [this](const LineMessage& m) { push(m); };
    e.hello = [this](ChannelKind kind, const HelloMessage& h, bool reconnected) { push(Hello{kind, h, reconnected}); };
    e.disconnected = [this](ChannelKind kind, const Error& error, bool retrying) { push(Disconnected{kind, error, retrying}); };
    e.lease_lost = [this](const std::string& channel, const Error& error) { push(LeaseLost{channel, error}); };
}

void BlockingClient::push(Event event) {
    // Bounded: a script that never reads events must not grow without limit; the oldest go.
    if (events_.size() >= max_events_) events_.pop_front();
    events_.push_back(std::move(event));
}

Result<Json> BlockingClient::wait(const std::function<void(Reply)>& start) {
    std::optional<Result<Json>> answer;
    start([&answer](Result<Json> r) { answer = std::move(r); });
    // The library's own request timeout answers first; the margin only guards against a bug.
    client_.run_until([&] { return answer.has_value(); }, client_.options().request_timeout + std::chrono::seconds(5));
    if (!answer) return Error{errors::no_answer, "no answer from the bridge"};
    return std::move(*answer);
}

Result<HelloMessage> BlockingClient::connect(ChannelKind kind) {
    client_.open(kind);
    const auto timeout = client_.options().request_timeout;
    client_.run_until([&] { return client_.hello(kind) != nullptr || client_.failure(kind).has_value(); }, timeout);
    if (const auto* h = client_.hello(kind)) return *h;
    if (auto f = client_.failure(kind)) return *f;
    return Error{errors::connect_failed, "no hello from the bridge within " + std::to_string(timeout.count()) + " ms"};
}

Result<std::vector<std::pair<ChannelKind, ChannelEntry>>> BlockingClient::channels() {
    const ChannelKind kinds[] = {ChannelKind::sensor, ChannelKind::relay, ChannelKind::text};
    for (auto kind : kinds) client_.open(kind);
    std::vector<std::pair<ChannelKind, ChannelEntry>> all;
    for (auto kind : kinds) {
        auto hello = connect(kind);
        if (!hello.ok()) return hello.error();
        for (const auto& c : hello.value().channels) all.emplace_back(kind, c);
    }
    return all;
}

Result<Json> BlockingClient::subscribe(std::optional<std::vector<std::string>> channels, std::optional<double> max_rate_hz) {
    return wait([&](Reply r) { client_.subscribe(channels, max_rate_hz, std::move(r)); });
}
Result<Json> BlockingClient::set(const std::string& channel, bool on, std::optional<std::chrono::milliseconds> lease) {
    return wait([&](Reply r) { client_.set(channel, on, lease, std::move(r)); });
}
Result<Json> BlockingClient::toggle(const std::string& channel, std::optional<std::chrono::milliseconds> lease) {
    return wait([&](Reply r) { client_.toggle(channel, lease, std::move(r)); });
}
Result<Json> BlockingClient::pulse(const std::string& channel, std::chrono::milliseconds duration) {
    return wait([&](Reply r) { client_.pulse(channel, duration, std::move(r)); });
}
Result<Json> BlockingClient::open_text(const std::string& channel) {
    return wait([&](Reply r) { client_.open_text(channel, std::move(r)); });
}
Result<Json> BlockingClient::send(const std::string& channel, const std::string& line) {
    return wait([&](Reply r) { client_.send(channel, line, std::move(r)); });
}

std::optional<Event> BlockingClient::next_event(std::chrono::milliseconds timeout,
                                                const std::function<bool(const Event&)>& match) {
    std::optional<Event> found;
    std::size_t looked = 0;  // events before this index did not match
    auto take = [&] {
        for (; looked < events_.size(); ++looked) {
            if (!match || match(events_[looked])) {
                found = std::move(events_[looked]);
                events_.erase(events_.begin() + static_cast<std::ptrdiff_t>(looked));
                return true;
            }
        }
        return false;
    };
    if (take()) return found;
    client_.run_until(take, timeout);
    return found;
}

void BlockingClient::pump(std::chrono::milliseconds duration) {
    client_.run_until([] { return false; }, duration);
}

}  // namespace hwb::client
