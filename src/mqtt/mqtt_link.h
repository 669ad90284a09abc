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

struct mosquitto;
struct mosquitto_message;

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
};

class MqttLink {
public:
    struct Handlers {
        std::function<void()> connected;
        std::function<void()> disconnected;
        // topic, payload, retained (delivered because retained on the broker)
        std::function<void(const std::string&, const std::string&, bool)> message;
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
    bool subscribe(const std::string& pattern, int qos);
    // Publishes `payload` on `topic` and disconnects cleanly, waiting at most `wait` (shutdown).
    void close(const std::string& topic, const std::string& payload, int qos, std::chrono::milliseconds wait);

private:
    static void on_connect_c(mosquitto* m, void* self, int rc);
    static void on_disconnect_c(mosquitto* m, void* self, int rc);
    static void on_message_c(mosquitto* m, void* self, const mosquitto_message* message);

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
    std::string last_error_;
};

}  // namespace hwb::mqtt
