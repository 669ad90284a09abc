// One connection to an MQTT broker through libmosquitto, driven from hwbridge's one event loop:
// the socket is watched with EventLoop::watch_fd, mosquitto_loop_read/write run when it is
// readable/writable, mosquitto_loop_misc (keepalive) from a timer. No mosquitto thread.
// Reconnects with exponential backoff and jitter (1 s .. 60 s) without blocking the loop.
// libmosquitto's C callbacks only record what happened; everything else runs from loop callbacks,
// and no exception crosses a C callback.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/event_loop.h"
#include "core/result.h"

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;
using mosquitto_property = struct mqtt5__property;

namespace hwb::mqtt {

struct LinkSettings {
    std::string host;
    int port = 1883;
    std::string client_id;
    std::string username;
    std::string password;
    int keepalive_s = 30;
    std::string will_topic;     // retained last will
    std::string will_payload;
    int will_qos = 1;
    int protocol = 5;           // 5 or 4 (3.1.1)
    std::string ca;             // TLS when set: the broker's certificate and name are checked
    std::string cert;           // optional client certificate and key
    std::string key;
};

// A message from the broker.
struct Incoming {
    std::string topic;
    std::string payload;
    bool retained = false;          // delivered because it was retained on the broker
    // MQTT 5 request/response: where the requester wants the answer, and its correlation data.
    std::string response_topic;
    std::string correlation;
};

// Where an answer goes: a topic, and with MQTT 5 the request's correlation data.
struct Reply {
    std::string topic;
    std::string correlation;
};

// The first line of a password file, refused when anyone may read the file ("what" names the key
// in messages, e.g. "mqtt.password_file").
Result<std::string> read_password_file(const std::string& path, const std::string& what);

class MqttLink {
public:
    struct Handlers {
        std::function<void()> connected;
        std::function<void()> disconnected;
        std::function<void(const Incoming&)> message;
        // An attempt failed or the connection was lost (last_error() says why); also before `disconnected`.
        std::function<void()> failed;
    };

    MqttLink(EventLoop& loop, LinkSettings settings, Handlers handlers);
    ~MqttLink();
    MqttLink(const MqttLink&) = delete;
    MqttLink& operator=(const MqttLink&) = delete;

    void start();
    bool connected() const { return connected_; }
    // The socket has output waiting that the kernel did not take yet: the broker (or the network)
    // is slow; callers coalesce what can be coalesced.
    bool backed_up() const;
    // False when not connected or libmosquitto refused it (counted by the caller).
    bool publish(const std::string& topic, const std::string& payload, int qos, bool retain);
    // An answer: with MQTT 5 it carries the request's correlation data.
    bool publish_reply(const Reply& reply, const std::string& payload, int qos);
    // A request (MQTT 5): the receiver answers on `response_topic` with `correlation`.
    bool publish_request(const std::string& topic, const std::string& payload, int qos, const std::string& response_topic,
                         const std::string& correlation);
    bool subscribe(const std::string& pattern, int qos);
    // Why the link is not connected (empty when it is or never tried): for the page and metrics.
    const std::string& last_error() const { return last_error_; }
    // Publishes `payload` on `topic` and disconnects cleanly, waiting at most `wait` (shutdown).
    void close(const std::string& topic, const std::string& payload, int qos, std::chrono::milliseconds wait);

private:
    static void on_connect_c(mosquitto* m, void* self, int rc);
    static void on_disconnect_c(mosquitto* m, void* self, int rc);
    static void on_log_c(mosquitto* m, void* self, int level, const char* text);
    static void on_message_c(mosquitto* m, void* self, const mosquitto_message* message, const mosquitto_property* props);

    void connect();
    void lost(const std::string& why);
    void after_io();         // watch the current socket, ask for writable when output waits
    void service(FdEvent event);
    void tick();

    EventLoop& loop_;
    LinkSettings settings_;
    Handlers handlers_;
    mosquitto* m_ = nullptr;
    std::unique_ptr<FdWatch> watch_;
    int watched_fd_ = -1;
    Timer retry_;            // reconnect after the backoff
    Timer misc_;             // keepalive, every second while a socket is open
    Timer events_;           // runs what the C callbacks recorded, from the loop
    std::chrono::milliseconds backoff_{1000};
    bool connecting_ = false;
    bool connected_ = false;
    bool closing_ = false;
    // Recorded by the C callbacks, handled by events_.
    bool connect_event_ = false;
    int connect_rc_ = 0;
    bool disconnect_event_ = false;
    int disconnect_rc_ = 0;
    bool failed_event_ = false;
    int failed_rc_ = 0;
    std::string library_error_;  // libmosquitto's errors since the last failure (bounded)
    std::string last_error_;
};

}  // namespace hwb::mqtt
