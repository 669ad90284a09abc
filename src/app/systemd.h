// Talking to systemd when it runs hwbridge as a service (Type=notify): readiness, status, stopping,
// and the watchdog, over the sd_notify datagram protocol (man sd_notify) written by hand, so the
// daemon needs no libsystemd. Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/event_loop.h"

namespace hwb::app {

// Sends one sd_notify message (e.g. "READY=1\nSTATUS=...") to the socket named by `notify_socket`
// ("/path" or "@abstract"). Returns false, without throwing, when the datagram could not be sent.
bool send_notify(std::string_view notify_socket, std::string_view message);

// The watchdog period systemd asks for: WATCHDOG_USEC, if set, valid, and meant for this process
// (WATCHDOG_PID unset or equal to getpid()). Pings go out at half of it.
std::optional<std::chrono::microseconds> watchdog_period_from_environment();

class Systemd {
public:
    // Reads $NOTIFY_SOCKET and the watchdog variables; does not send anything yet.
    explicit Systemd(EventLoop& loop);
    Systemd(const Systemd&) = delete;
    Systemd& operator=(const Systemd&) = delete;

    // READY=1 with a STATUS= line, and starts the watchdog pings from the event loop: if the loop
    // stops turning, the pings stop and systemd restarts the service.
    void ready(std::string_view status);
    void status(std::string_view status);
    // STOPPING=1: shutdown has begun (relays going to their safe state).
    void stopping(std::string_view status);
    // RELOADING=1 (with MONOTONIC_USEC): a reload of the map has begun; call ready() when it is done.
    void reloading();

    bool active() const { return !socket_.empty(); }

private:
    void notify(const std::string& message);
    void ping();

    std::string socket_;
    std::optional<std::chrono::microseconds> watchdog_period_;
    Timer watchdog_;
    bool warned_ = false;
};

}  // namespace hwb::app
