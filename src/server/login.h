// Pass-phrase sign-in (POST /api/login, docs/protocol.md "Authentication"; docs/security.md
// "Sign-in"): the PBKDF2 check runs on a worker thread, so a slow hash never stalls the loop that
// drives the relays; results come back through an eventfd watched by the loop.
//
// Guesses are judged when they are evaluated, not when their headers arrive: a guess waits in
// its address's line (one at a time per address: IPv4 address, IPv6 /64), lines are served in
// turn (round robin, so one address with many connections cannot push others out), and the
// bridge as a whole evaluates at most guess_rate guesses per second. Just before its hash is
// computed, a guess whose address is under a penalty (one second per failure in a row, up to 30)
// is refused unchecked.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "auth/passphrase.h"
#include "core/event_loop.h"
#include "core/rate_limit.h"

namespace hwb {

class LoginChecks {
public:
    enum class Outcome { match, mismatch, penalized, busy };
    struct Verdict {
        Outcome outcome = Outcome::mismatch;
        std::chrono::seconds wait{0};  // penalized: how long the address must still wait
    };

    explicit LoginChecks(EventLoop& loop);
    ~LoginChecks();  // waits for a check in progress
    LoginChecks(const LoginChecks&) = delete;
    LoginChecks& operator=(const LoginChecks&) = delete;

    // A guess from `peer`, its body complete. `done` runs on the loop thread exactly once: now
    // (busy: the address already has a guess in line, or all lines are full; penalized) or when
    // the guess was evaluated.
    void check(const std::string& peer, std::string passphrase, const auth::PassphraseHash& hash,
               std::function<void(Verdict)> done);

    // The address a penalty and a line belong to: an IPv4 address, or the /64 of an IPv6 one.
    static std::string address_key(const std::string& peer);

    static constexpr std::chrono::seconds penalty_per_failure{1};
    static constexpr std::chrono::seconds max_penalty{30};
    static constexpr std::size_t max_waiting = 32;         // guesses in all lines together
    static constexpr RateLimit guess_rate{2, 4};            // evaluated per second, bridge-wide

private:
    struct Job {
        std::string key;
        std::string passphrase;
        auth::PassphraseHash hash;
        std::function<void(Verdict)> done;
        bool matches = false;
    };
    struct Failures {
        int count = 0;
        Clock::time_point until{};
    };
    std::optional<std::chrono::seconds> penalty(const std::string& key) const;
    void dispatch();
    void work();
    void deliver();
    void record(const std::string& key, bool matches);

    EventLoop& loop_;
    int wake_fd_ = -1;
    std::unique_ptr<FdWatch> watch_;
    Timer next_token_;  // a guess waits for the bridge-wide budget
    TokenBucket budget_;
    // Loop thread only.
    std::map<std::string, Failures> failures_;
    std::map<std::string, std::unique_ptr<Job>> waiting_;  // one guess per address
    std::list<std::string> turn_;                           // addresses in line, in turn
    bool in_flight_ = false;
    // Shared with the worker.
    std::mutex mutex_;
    std::condition_variable ready_;
    std::unique_ptr<Job> todo_;
    std::unique_ptr<Job> finished_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace hwb
