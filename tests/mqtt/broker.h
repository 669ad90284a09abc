// A real mosquitto broker for the MQTT tests, on a free loopback port with a generated config,
// and a small independent MQTT client (libmosquitto, driven by the test's own thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace hwb::test {

using namespace std::chrono_literals;

std::uint16_t free_loopback_port();

class Broker {
public:
    // Starts `mosquitto` on 127.0.0.1 (port 0: a free one) and waits until it accepts connections.
    // `extra` is appended to the generated mosquitto.conf (e.g. a password_file).
    explicit Broker(std::uint16_t port = 0, std::string extra = {});
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;
    std::uint16_t port() const { return port_; }
    void kill();     // SIGKILL, waits for the exit
    void restart();  // same port
    // SIGSTOP / SIGCONT: a broker that stops reading (overloaded, swapped out) without closing.
    void pause();
    void resume();
    std::string log() const;

private:
    void start();
    std::string dir_;
    std::string extra_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

struct Message {
    std::string topic;
    std::string payload;
    bool retained = false;
    std::string correlation;  // MQTT 5 correlation data
};

class MqttClient {
public:
    MqttClient(std::uint16_t port, const std::string& client_id, const std::string& username = {},
               const std::string& password = {}, bool v5 = false);
    ~MqttClient();
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    void subscribe(const std::string& pattern);
    void publish(const std::string& topic, const std::string& payload, bool retain = false);
    // MQTT 5 (a client made with v5): a request naming where its answer goes.
    void request(const std::string& topic, const std::string& payload, const std::string& response_topic,
                 const std::string& correlation);
    // The next message (in arrival order) for which `match` holds; earlier ones are dropped.
    std::optional<Message> wait_for(const std::function<bool(const Message&)>& match,
                                    std::chrono::milliseconds timeout = 5000ms);
    std::optional<Message> wait_topic(const std::string& topic, std::chrono::milliseconds timeout = 5000ms) {
        return wait_for([&](const Message& m) { return m.topic == topic; }, timeout);
    }
    // Services the connection for `d`, keeping what arrives.
    void pump(std::chrono::milliseconds d);
    std::deque<Message>& received() { return received_; }

private:
    static void on_message(mosquitto*, void*, const mosquitto_message*, const ::mqtt5__property*);
    mosquitto* m_ = nullptr;
    std::deque<Message> received_;
};

}  // namespace hwb::test
