// SIGINT/SIGTERM: relays go to their safe state (where the map names one), then the loop stops.
// A second signal, or relays that do not confirm within the deadline, stop it at once.
#pragma once

#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include "core/channels.h"
#include "core/event_loop.h"
#include "server/server.h"

namespace hwb::app {

// How long relays have to confirm their safe state (at shutdown, and at a reload that removes them).
constexpr auto safe_state_deadline = std::chrono::seconds(3);

class UniqueFd {
public:
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_;
};

class Shutdown {
public:
    Shutdown(Server& server, Channels& channels);
    void begin(const std::string& why);

private:
    void finish_one();

    Server& server_;
    Channels& channels_;
    Timer deadline_;
    bool started_ = false;
    std::size_t pending_ = 0;
};

}  // namespace hwb::app
