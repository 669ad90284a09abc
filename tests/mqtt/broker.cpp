#include "mqtt/broker.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "launch.h"

namespace hwb::test {

namespace {

std::uint16_t free_port() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(s);
    return ok;
}

}  // namespace

std::uint16_t free_loopback_port() { return free_port(); }

Broker::Broker(std::uint16_t port, std::string extra) : extra_(std::move(extra)), port_(port == 0 ? free_port() : port) {
    char pattern[] = "/tmp/hwbridge-broker-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    start();
}

Broker::~Broker() {
    kill();
    ::unlink((dir_ + "/mosquitto.conf").c_str());
    ::unlink((dir_ + "/broker.log").c_str());
    ::rmdir(dir_.c_str());
}

void Broker::start() {
    std::ofstream(dir_ + "/mosquitto.conf") << "listener " << port_ << " 127.0.0.1\n"
                                            << "persistence false\n"
                                            << (extra_.empty() ? "allow_anonymous true\n" : extra_);
    pid_ = launch::spawn("/usr/sbin/mosquitto", {"-c", dir_ + "/mosquitto.conf"}, dir_ + "/broker.log",
                         dir_ + "/broker.log");
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!accepts(port_)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("mosquitto exited: " + log());
        }
        if (std::chrono::steady_clock::now() > until) throw std::runtime_error("mosquitto did not start: " + log());
        std::this_thread::sleep_for(10ms);
    }
}

void Broker::kill() {
    if (pid_ <= 0) return;
    launch::stop(pid_, SIGKILL, 5s);
    pid_ = -1;
}

void Broker::restart() {
    kill();
    start();
}

void Broker::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void Broker::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string Broker::log() const { return launch::read_file(dir_ + "/broker.log"); }

MqttClient::MqttClient(std::uint16_t port, const std::string& client_id, const std::string& username,
                       const std::string& password, bool v5) {
    mosquitto_lib_init();
    m_ = mosquitto_new(client_id.c_str(), true, this);
    if (v5) mosquitto_int_option(m_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    if (!username.empty()) mosquitto_username_pw_set(m_, username.c_str(), password.c_str());
    mosquitto_message_v5_callback_set(m_, &MqttClient::on_message);
    if (mosquitto_connect(m_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(m_);  // the destructor does not run for a constructor that throws
        throw std::runtime_error("test client cannot connect to the broker");
    }
    pump(50ms);
}

MqttClient::~MqttClient() {
    mosquitto_disconnect(m_);
    mosquitto_loop(m_, 10, 1);
    mosquitto_destroy(m_);
}

void MqttClient::on_message(mosquitto*, void* self, const mosquitto_message* m, const mosquitto_property* props) {
    auto* client = static_cast<MqttClient*>(self);
    Message message{m->topic,
                    std::string(static_cast<const char*>(m->payload), m->payload ? static_cast<std::size_t>(m->payloadlen) : 0),
                    m->retain};
    void* data = nullptr;
    std::uint16_t length = 0;
    if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &data, &length, false) != nullptr && data) {
        message.correlation.assign(static_cast<const char*>(data), length);
        std::free(data);
    }
    client->received_.push_back(std::move(message));
}

void MqttClient::request(const std::string& topic, const std::string& payload, const std::string& response_topic,
                         const std::string& correlation) {
    mosquitto_property* props = nullptr;
    mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, response_topic.c_str());
    mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, correlation.data(),
                                  static_cast<std::uint16_t>(correlation.size()));
    mosquitto_publish_v5(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false, props);
    mosquitto_property_free_all(&props);
    pump(20ms);
}

void MqttClient::subscribe(const std::string& pattern) {
    int mid = 0;
    mosquitto_subscribe(m_, &mid, pattern.c_str(), 1);
    pump(100ms);
}

void MqttClient::publish(const std::string& topic, const std::string& payload, bool retain) {
    mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, retain);
    pump(20ms);
}

void MqttClient::pump(std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) mosquitto_loop(m_, 10, 1);
}

std::optional<Message> MqttClient::wait_for(const std::function<bool(const Message&)>& match,
                                            std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        while (!received_.empty()) {
            Message m = std::move(received_.front());
            received_.pop_front();
            if (match(m)) return m;
        }
        if (std::chrono::steady_clock::now() > until) return std::nullopt;
        mosquitto_loop(m_, 20, 1);
    }
}

}  // namespace hwb::test
