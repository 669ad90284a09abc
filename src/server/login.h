// Pass-phrase sign-in (POST /api/login, docs/protocol.md "Authentication"): the PBKDF2 check runs
// on a worker thread, so a slow hash never stalls the loop that drives the relays; results come
// back through an eventfd watched by the loop. Failed attempts cost their address a penalty of
// one second per failure in a row (capped), during which it is refused without a check.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "auth/passphrase.h"
#include "core/event_loop.h"

namespace hwb {

class LoginChecks {
public:
    explicit LoginChecks(EventLoop& loop);
    ~LoginChecks();  // waits for a check in progress
    LoginChecks(const LoginChecks&) = delete;
    LoginChecks& operator=(const LoginChecks&) = delete;

    // How long `peer` must still wait (a penalty, or a check of its own still running); nullopt: go.
    std::optional<std::chrono::seconds> wait_for(const std::string& peer);
    // Too many checks queued from all addresses together.
    bool busy() const;
    // Checks off the loop; `done(matches)` runs on the loop thread, after the peer's penalty
    // was updated.
    void check(const std::string& peer, std::string passphrase, const auth::PassphraseHash& hash,
               std::function<void(bool)> done);

    static constexpr std::chrono::seconds penalty_per_failure{1};
    static constexpr std::chrono::seconds max_penalty{30};
    static constexpr std::size_t max_queued = 8;

private:
    struct Job {
        std::string peer;
        std::string passphrase;
        auth::PassphraseHash hash;
        std::function<void(bool)> done;
        bool matches = false;
    };
    struct Failures {
        int count = 0;
        Clock::time_point until{};
        bool checking = false;
    };
    void work();
    void deliver();
    void record(const std::string& peer, bool matches);

    EventLoop& loop_;
    int wake_fd_ = -1;
    std::unique_ptr<FdWatch> watch_;
    std::map<std::string, Failures> peers_;  // loop thread only
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::unique_ptr<Job>> todo_;
    std::deque<std::unique_ptr<Job>> finished_;
    std::size_t queued_ = 0;  // loop thread: checks not yet delivered
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace hwb
