#include <algorithm>

#include "protocol/messages.h"
#include "core/channels.h"
#include "server/sessions.h"

namespace hwb {
namespace {

// Readings go out one by one while the client keeps up. Once this many messages wait for it
// (it reads slower than readings arrive), it gets the latest value of each channel instead.
constexpr std::size_t keep_up_limit = 32;

}  // namespace

SensorSession::SensorSession(SessionHost& host, lws* wsi, std::string client_id)
    : Session(host, wsi, std::move(client_id), ChannelKind::sensor), rate_timer_(host.loop(), [this] { request_write(); }) {
    size_for_sensors();
    subscribed_.assign(subscribed_.size(), true);
}

void SensorSession::size_for_sensors() {
    std::size_t n = host_.channels().sensors().size();
    subscribed_.assign(n, false);
    dirty_.assign(n, false);
    dirty_order_.clear();
    last_sent_.assign(n, Clock::time_point{});
}

void SensorSession::channels_changing() {
    followed_ids_.clear();
    const auto& sensors = host_.channels().sensors();
    for (std::size_t i = 0; i < subscribed_.size() && i < sensors.size(); ++i)
        if (subscribed_[i]) followed_ids_.insert(sensors[i]->id());
}

void SensorSession::channels_changed() {
    // Waiting readings are not lost: the new hello carries every sensor's last one.
    rate_timer_.cancel();
    size_for_sensors();
    const auto& sensors = host_.channels().sensors();
    for (std::size_t i = 0; i < sensors.size(); ++i)
        subscribed_[i] = subscribed_all_ || followed_ids_.count(sensors[i]->id()) != 0;
    followed_ids_.clear();
    start();  // the hello carries every sensor's last reading
}

void SensorSession::start() {
    if (!authorized()) return;  // it had the auth-required hello; nothing else until it authenticates
    send(with_access(protocol::sensor_hello({host_.bridge_name(), client_id()}, host_.channels().sensors())));
    for (const auto& u : host_.channels().uplinks()) send(protocol::uplink(u));
}

SensorSession::~SensorSession() {
    // Readings that waited for this client (it was behind, or rate-capped) never reach it.
    for (std::size_t index : dirty_order_) ++host_.traffic(index).dropped;
}

void SensorSession::reading_changed(std::size_t index) {
    if (!subscribed_[index] || closing() || !authorized()) return;
    auto& traffic = host_.traffic(index);
    if (dirty_[index]) {  // the client has not taken the previous one: the newer replaces it
        ++traffic.coalesced;
        return;
    }
    // Several readings can arrive in one turn of the loop (a serial read holds many lines); they
    // are all sent unless the client is behind or capped its rate.
    if (!min_interval_ && queued_messages() < keep_up_limit) {
        send(host_.encoded_reading(index));
        ++(closing() ? traffic.dropped : traffic.published);  // the send may have closed a client that does not read
        return;
    }
    dirty_[index] = true;
    dirty_order_.push_back(index);
    request_write();
}

// A closing session flushes its answers but no more readings, so it cannot wait on a rate cap.
bool SensorSession::has_output() const { return Session::has_output() || (!closing() && !dirty_order_.empty()); }

std::optional<Message> SensorSession::next_message() {
    // Answers and status first; then the oldest changed channel whose rate cap allows it now.
    if (auto queued = Session::next_message()) return queued;
    auto now = host_.loop().now();
    std::optional<Clock::time_point> earliest;
    for (auto it = dirty_order_.begin(); it != dirty_order_.end(); ++it) {
        std::size_t index = *it;
        if (min_interval_) {
            auto allowed = last_sent_[index] + *min_interval_;
            if (allowed > now) {
                if (!earliest || allowed < *earliest) earliest = allowed;
                continue;
            }
        }
        dirty_order_.erase(it);
        dirty_[index] = false;
        last_sent_[index] = now;
        ++host_.traffic(index).published;
        return host_.encoded_reading(index);
    }
    if (earliest && !rate_timer_.active())
        rate_timer_.start(std::chrono::duration_cast<std::chrono::microseconds>(*earliest - now));
    return std::nullopt;
}

void SensorSession::handle_message(std::string_view message) {
    auto parsed = protocol::parse_sensor_request(message);
    // Every request counts against bridge.limits.sensor_rate (a history answer can be large).
    if (auto* bad = std::get_if<protocol::BadRequest>(&parsed)) {
        if (admit(bad->id, "")) send(protocol::error(bad->id, "", bad->error));
        return;
    }
    auto& sensor_request = std::get<protocol::SensorRequest>(parsed);
    if (const auto* history = std::get_if<protocol::History>(&sensor_request)) {
        if (!admit(history->id, history->channel)) return;
        const Sensor* sensor = host_.channels().sensor(history->channel);
        if (sensor == nullptr) {
            send(protocol::error(history->id, history->channel,
                                 Error{"unknown_channel", "no sensor '" + history->channel + "'"}));
        } else if (history->from_ms) {
            stored_history(*history);
        } else {
            send(protocol::history_ack(history->id, *sensor));
        }
        return;
    }
    const auto& request = std::get<protocol::Subscribe>(sensor_request);
    if (!admit(request.id, "")) return;
    const auto& sensors = host_.channels().sensors();
    std::vector<bool> wanted(sensors.size(), !request.channels.has_value());
    if (request.channels) {
        for (const auto& id : *request.channels) {
            auto it = std::find_if(sensors.begin(), sensors.end(), [&](const auto& s) { return s->id() == id; });
            if (it == sensors.end()) {
                send(protocol::error(request.id, id, Error{"unknown_channel", "no sensor '" + id + "'"}));
                return;
            }
            wanted[static_cast<std::size_t>(it - sensors.begin())] = true;
        }
    }
    subscribed_ = std::move(wanted);
    subscribed_all_ = !request.channels.has_value();
    for (std::size_t i = 0; i < subscribed_.size(); ++i) {
        if (!subscribed_[i] && dirty_[i]) {
            ++host_.traffic(i).dropped;
            dirty_[i] = false;
            dirty_order_.erase(std::find(dirty_order_.begin(), dirty_order_.end(), i));
        }
    }
    if (request.max_rate_hz) {
        min_interval_ = std::chrono::microseconds(static_cast<std::int64_t>(1e6 / *request.max_rate_hz));
    } else {
        min_interval_.reset();
        rate_timer_.cancel();
    }
    send(protocol::subscribe_ack(request.id, request.channels, request.max_rate_hz));
}

// Stored history (docs/history.md): asked of the history store, answered when it replies (the
// connection may be gone by then).
void SensorSession::stored_history(const protocol::History& request) {
    HistorySource* source = host_.history();
    if (source == nullptr) {
        send(protocol::error(request.id, request.channel,
                             Error{"unavailable", "history is off on this bridge (docs/history.md)"}));
        return;
    }
    HistoryQuery query{request.channel, *request.from_ms, request.to_ms.value_or(wall_clock_ms()), request.step_ms.value_or(0)};
    std::weak_ptr<Session> weak = weak_from_this();
    source->query(std::move(query), [weak, id = request.id, channel = request.channel](Result<HistoryAnswer> answer) {
        auto self = weak.lock();
        if (!self || self->closing()) return;
        self->send(answer.ok() ? protocol::stored_history_ack(id, answer.value()) : protocol::error(id, channel, answer.error()));
    });
}

}  // namespace hwb
