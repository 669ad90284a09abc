#include "mqttlink/mqtt_link.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>

namespace hwb::mqtt {

namespace {

constexpr std::chrono::milliseconds link_backoff_min{1000};
constexpr std::chrono::milliseconds link_backoff_max{60000};

void init_mosquitto_once() {
    static const bool done = [] {
        mosquitto_lib_init();
        return true;
    }();
    (void)done;
}

// Runs `f` from a C callback: no exception may cross into libmosquitto.
template <class F>
void link_guarded(const char* what, F&& f) noexcept {
    try {
        f();
    } catch (const std::exception& e) {
        spdlog::error("mqtt: {}: {}", what, e.what());
    } catch (...) {
        spdlog::error("mqtt: {}: unknown error", what);
    }
}

}  // namespace

Result<std::string> read_password_file(const std::string& path, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Error{"invalid", what + " " + path + ": cannot read it"};
    if ((st.st_mode & S_IROTH) != 0) return Error{"invalid", what + " " + path + " is readable by everyone; chmod o-r it"};
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) return Error{"invalid", what + " " + path + ": cannot read it"};
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

MqttLink::MqttLink(EventLoop& loop, LinkSettings settings, Handlers handlers)
    : loop_(loop),
      settings_(std::move(settings)),
      handlers_(std::move(handlers)),
      retry_(loop, [this] { connect(); }),
      misc_(loop, [this] { tick(); }),
      events_(loop, [this] {
          if (connect_event_) {
              connect_event_ = false;
              if (connect_rc_ == 0) {
                  connecting_ = false;
                  connected_ = true;
                  backoff_ = link_backoff_min;
                  last_error_.clear();
                  spdlog::info("mqtt: connected to {}:{} as {}", settings_.host, settings_.port, settings_.client_id);
                  if (handlers_.connected) handlers_.connected();
              } else {
                  lost(std::string("broker refused the connection: ") + mosquitto_connack_string(connect_rc_));
                  return;
              }
          }
          if (failed_event_) {
              // A failure before the broker accepted us that libmosquitto reports only as a
              // return code (a TLS handshake the broker's certificate fails).
              failed_event_ = false;
              std::string why = failed_rc_ == MOSQ_ERR_TLS ? "TLS handshake failed" : mosquitto_strerror(failed_rc_);
              if (!library_error_.empty()) why += " (" + library_error_ + ")";
              library_error_.clear();
              lost(why);
              return;
          }
          if (disconnect_event_) {
              disconnect_event_ = false;
              lost(disconnect_rc_ == 0 ? "disconnected" : std::string("connection lost: ") + mosquitto_strerror(disconnect_rc_));
          }
          after_io();
      }) {
    init_mosquitto_once();
    m_ = mosquitto_new(settings_.client_id.c_str(), true, this);
    if (m_ == nullptr) throw std::runtime_error("mqtt: cannot create a libmosquitto client");
    mosquitto_int_option(m_, MOSQ_OPT_PROTOCOL_VERSION, settings_.protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(m_, &MqttLink::on_connect_c);
    mosquitto_disconnect_callback_set(m_, &MqttLink::on_disconnect_c);
    mosquitto_message_v5_callback_set(m_, &MqttLink::on_message_c);
    mosquitto_log_callback_set(m_, &MqttLink::on_log_c);
    if (!settings_.ca.empty()) {
        // The broker's certificate is verified against `ca` and its name against `host`
        // (libmosquitto checks the name unless told it is insecure, which hwbridge never does).
        int rc = mosquitto_tls_set(m_, settings_.ca.c_str(), nullptr, settings_.cert.empty() ? nullptr : settings_.cert.c_str(),
                                   settings_.key.empty() ? nullptr : settings_.key.c_str(), nullptr);
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(m_, 1, nullptr, nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            mosquitto_destroy(m_);
            m_ = nullptr;
            throw std::runtime_error(std::string("TLS settings refused: ") + mosquitto_strerror(rc));
        }
    }
    if (!settings_.will_topic.empty())
        mosquitto_will_set(m_, settings_.will_topic.c_str(), static_cast<int>(settings_.will_payload.size()),
                           settings_.will_payload.data(), settings_.will_qos, true);
    if (!settings_.username.empty())
        mosquitto_username_pw_set(m_, settings_.username.c_str(),
                                  settings_.password.empty() ? nullptr : settings_.password.c_str());
}

MqttLink::~MqttLink() {
    watch_.reset();
    if (m_ != nullptr) mosquitto_destroy(m_);  // closes the socket without a DISCONNECT: the will fires
}

void MqttLink::start() { connect(); }

void MqttLink::connect() {
    if (closing_ || connected_ || connecting_) return;
    connecting_ = true;
    int rc = mosquitto_connect_async(m_, settings_.host.c_str(), settings_.port, settings_.keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
        lost(rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : std::string(mosquitto_strerror(rc)));
        return;
    }
    after_io();
    misc_.start(std::chrono::seconds(1));
}

void MqttLink::lost(const std::string& why) {
    bool was_connected = connected_;
    connected_ = false;
    connecting_ = false;
    if (closing_) return;
    // Jitter: between half and all of the backoff, so bridges that lost one broker do not all
    // come back in the same second.
    static std::minstd_rand random{std::random_device{}()};
    auto half = backoff_.count() / 2;
    std::chrono::milliseconds delay{half + static_cast<long>(random() % static_cast<unsigned long>(half + 1))};
    if (why != last_error_ || was_connected)
        spdlog::warn("mqtt: {}:{}: {}; retrying in {} ms (backoff up to {} s)", settings_.host, settings_.port, why,
                     delay.count(), link_backoff_max.count() / 1000);
    last_error_ = why;
    backoff_ = std::min(backoff_ * 2, link_backoff_max);
    retry_.start(delay);
    if (handlers_.failed) handlers_.failed();
    if (was_connected && handlers_.disconnected) handlers_.disconnected();
    after_io();
}

void MqttLink::after_io() {
    // Between attempts the socket may linger (closed by the next attempt): not watched, so a
    // failed handshake's socket cannot keep the loop busy.
    int fd = connecting_ || connected_ ? mosquitto_socket(m_) : -1;
    if (fd != watched_fd_) {
        watch_.reset();
        watched_fd_ = -1;
        if (fd >= 0) {
            watch_ = loop_.watch_fd(fd, [this](FdEvent event) { service(event); });
            watched_fd_ = fd;
        }
    }
    if (watch_ && mosquitto_want_write(m_)) watch_->want_writable();
}

void MqttLink::service(FdEvent event) {
    int rc = MOSQ_ERR_SUCCESS;
    if (event == FdEvent::writable) {
        rc = mosquitto_loop_write(m_, 1);
    } else {
        rc = mosquitto_loop_read(m_, 1);
    }
    // Failures of an open connection arrive as the disconnect callback; those during the
    // connection's set-up only as the return code.
    if (rc != MOSQ_ERR_SUCCESS && connecting_ && !connected_ && !disconnect_event_ && !connect_event_) {
        failed_event_ = true;
        failed_rc_ = rc;
    }
    // Nothing happened but traffic (the usual case: a PUBACK, a command): only ask for
    // writable when output waits. Otherwise the watch may have to change (socket closed): not
    // from inside its own callback.
    if (!connect_event_ && !disconnect_event_ && !failed_event_ && mosquitto_socket(m_) == watched_fd_) {
        if (watch_ && mosquitto_want_write(m_)) watch_->want_writable();
        return;
    }
    events_.start(std::chrono::microseconds(0));
}

void MqttLink::tick() {
    if (mosquitto_socket(m_) >= 0) {
        mosquitto_loop_misc(m_);
        events_.start(std::chrono::microseconds(0));
    }
    if (!closing_) misc_.start(std::chrono::seconds(1));
}

bool MqttLink::backed_up() const { return m_ != nullptr && mosquitto_want_write(m_); }

bool MqttLink::publish(const std::string& topic, const std::string& payload, int qos, bool retain) {
    if (!connected_) return false;
    int rc = mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
    if (watch_ && mosquitto_want_write(m_)) watch_->want_writable();
    return rc == MOSQ_ERR_SUCCESS;
}

bool MqttLink::publish_reply(const Reply& reply, const std::string& payload, int qos) {
    if (!connected_) return false;
    mosquitto_property* props = nullptr;
    if (settings_.protocol == 5 && !reply.correlation.empty())
        mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, reply.correlation.data(),
                                      static_cast<std::uint16_t>(reply.correlation.size()));
    int rc = mosquitto_publish_v5(m_, nullptr, reply.topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos,
                                  false, props);
    mosquitto_property_free_all(&props);
    if (watch_ && mosquitto_want_write(m_)) watch_->want_writable();
    return rc == MOSQ_ERR_SUCCESS;
}

bool MqttLink::publish_request(const std::string& topic, const std::string& payload, int qos,
                               const std::string& response_topic, const std::string& correlation) {
    if (!connected_) return false;
    mosquitto_property* props = nullptr;
    if (settings_.protocol == 5) {
        mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, response_topic.c_str());
        mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, correlation.data(),
                                      static_cast<std::uint16_t>(correlation.size()));
    }
    int rc = mosquitto_publish_v5(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, false,
                                  props);
    mosquitto_property_free_all(&props);
    if (watch_ && mosquitto_want_write(m_)) watch_->want_writable();
    return rc == MOSQ_ERR_SUCCESS;
}

bool MqttLink::subscribe(const std::string& pattern, int qos) {
    if (!connected_) return false;
    int rc = mosquitto_subscribe(m_, nullptr, pattern.c_str(), qos);
    if (watch_ && mosquitto_want_write(m_)) watch_->want_writable();
    return rc == MOSQ_ERR_SUCCESS;
}

void MqttLink::close(const std::string& topic, const std::string& payload, int qos, std::chrono::milliseconds wait) {
    closing_ = true;
    retry_.cancel();
    misc_.cancel();
    if (!connected_) return;
    // The loop no longer runs (shutdown): a short, bounded wait of our own for the last messages.
    mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, true);
    auto until = Clock::now() + wait;
    while (Clock::now() < until && mosquitto_want_write(m_)) {
        if (mosquitto_loop(m_, 50, 1) != MOSQ_ERR_SUCCESS) break;
    }
    mosquitto_disconnect(m_);
    mosquitto_loop(m_, 10, 1);
    connected_ = false;
}

void MqttLink::on_log_c(mosquitto* /*m*/, void* self, int level, const char* text) {
    link_guarded("log", [&] {
        // Kept for the next failure's log line (OpenSSL's reason for a refused certificate).
        if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) == 0 || text == nullptr) return;
        auto* link = static_cast<MqttLink*>(self);
        std::string line(text, ::strnlen(text, 300));
        for (auto& c : line)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
        if (link->library_error_.size() < 600) link->library_error_ += (link->library_error_.empty() ? "" : "; ") + line;
    });
}

void MqttLink::on_connect_c(mosquitto* /*m*/, void* self, int rc) {
    link_guarded("connect", [&] {
        auto* link = static_cast<MqttLink*>(self);
        link->connect_event_ = true;
        link->connect_rc_ = rc;
        link->events_.start(std::chrono::microseconds(0));
    });
}

void MqttLink::on_disconnect_c(mosquitto* /*m*/, void* self, int rc) {
    link_guarded("disconnect", [&] {
        auto* link = static_cast<MqttLink*>(self);
        link->disconnect_event_ = true;
        link->disconnect_rc_ = rc;
        link->events_.start(std::chrono::microseconds(0));
    });
}

void MqttLink::on_message_c(mosquitto* /*m*/, void* self, const mosquitto_message* message, const mosquitto_property* props) {
    link_guarded("message", [&] {
        auto* link = static_cast<MqttLink*>(self);
        if (message == nullptr || message->topic == nullptr || !link->handlers_.message) return;
        Incoming in;
        in.topic = message->topic;
        in.payload.assign(static_cast<const char*>(message->payload),
                          message->payload == nullptr ? 0 : static_cast<std::size_t>(message->payloadlen));
        in.retained = message->retain;
        char* response = nullptr;
        if (mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &response, false) != nullptr && response != nullptr) {
            in.response_topic = response;
            std::free(response);
        }
        void* correlation = nullptr;
        std::uint16_t length = 0;
        if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &correlation, &length, false) != nullptr &&
            correlation != nullptr) {
            in.correlation.assign(static_cast<const char*>(correlation), length);
            std::free(correlation);
        }
        link->handlers_.message(in);
    });
}

}  // namespace hwb::mqtt
