#include "server/login.h"

#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace hwb {

LoginChecks::LoginChecks(EventLoop& loop)
    : loop_(loop), next_token_(loop, [this] { dispatch(); }), budget_(guess_rate, loop.now()) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
    watch_ = loop_.watch_fd(wake_fd_, [this](FdEvent) { deliver(); });
    worker_ = std::thread([this] { work(); });
}

LoginChecks::~LoginChecks() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    worker_.join();
    watch_.reset();
    ::close(wake_fd_);
}

std::string LoginChecks::address_key(const std::string& peer) {
    in6_addr v6{};
    if (inet_pton(AF_INET6, peer.c_str(), &v6) != 1) return peer;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof(text));
        return text;
    }
    // Anyone on a LAN can take new addresses in their /64 at will: they count as one.
    std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &v6, text, sizeof(text));
    return std::string(text) + "/64";
}

std::optional<std::chrono::seconds> LoginChecks::penalty(const std::string& key) const {
    auto it = failures_.find(key);
    if (it == failures_.end()) return std::nullopt;
    auto now = loop_.now();
    if (it->second.until <= now) return std::nullopt;
    return std::chrono::ceil<std::chrono::seconds>(it->second.until - now);
}

void LoginChecks::check(const std::string& peer, std::string passphrase, const auth::PassphraseHash& hash,
                        std::function<void(Verdict)> done) {
    std::string key = address_key(peer);
    if (auto wait = penalty(key)) {
        passphrase.assign(passphrase.size(), '\0');
        return done(Verdict{Outcome::penalized, *wait});
    }
    if (waiting_.count(key) != 0 || waiting_.size() >= max_waiting) {
        passphrase.assign(passphrase.size(), '\0');
        return done(Verdict{Outcome::busy, {}});
    }
    // Forget addresses whose penalty is over, so the table cannot grow without bound.
    if (failures_.size() > 4096) {
        auto now = loop_.now();
        std::erase_if(failures_, [&](const auto& entry) { return entry.second.until <= now; });
    }
    waiting_.emplace(key, std::make_unique<Job>(Job{key, std::move(passphrase), hash, std::move(done)}));
    turn_.push_back(key);
    dispatch();
}

// One guess at a time goes to the worker, when the bridge-wide budget allows, from the next
// address in turn; its penalty is looked at now, just before the hash would be computed.
void LoginChecks::dispatch() {
    while (!in_flight_ && !turn_.empty()) {
        auto now = loop_.now();
        if (budget_.tokens(now) < 1) {
            if (!next_token_.active()) {
                double missing = 1 - budget_.tokens(now);
                next_token_.start(std::chrono::microseconds(static_cast<std::int64_t>(1e6 * missing / guess_rate.rate) + 1000));
            }
            return;
        }
        std::string key = turn_.front();
        turn_.pop_front();
        auto node = waiting_.extract(key);
        if (node.empty()) continue;
        std::unique_ptr<Job> job = std::move(node.mapped());
        if (auto wait = penalty(key)) {
            job->passphrase.assign(job->passphrase.size(), '\0');
            job->done(Verdict{Outcome::penalized, *wait});
            continue;
        }
        budget_.take(now);
        in_flight_ = true;
        {
            std::lock_guard lock(mutex_);
            todo_ = std::move(job);
        }
        ready_.notify_one();
    }
}

void LoginChecks::work() {
    for (;;) {
        std::unique_ptr<Job> job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || todo_ != nullptr; });
            if (stopping_) return;
            job = std::move(todo_);
        }
        try {
            job->matches = auth::passphrase_matches(job->passphrase, job->hash);
        } catch (const std::exception& e) {
            spdlog::error("pass-phrase check failed: {}", e.what());
            job->matches = false;
        }
        job->passphrase.assign(job->passphrase.size(), '\0');
        {
            std::lock_guard lock(mutex_);
            finished_ = std::move(job);
        }
        std::uint64_t one = 1;
        if (::write(wake_fd_, &one, sizeof(one)) < 0) spdlog::error("pass-phrase check: cannot wake the loop");
    }
}

void LoginChecks::deliver() {
    std::uint64_t count = 0;
    if (::read(wake_fd_, &count, sizeof(count)) < 0) { /* nothing to read: spurious wake-up */ }
    std::unique_ptr<Job> job;
    {
        std::lock_guard lock(mutex_);
        job = std::move(finished_);
    }
    if (!job) return;
    in_flight_ = false;
    record(job->key, job->matches);
    job->done(Verdict{job->matches ? Outcome::match : Outcome::mismatch, {}});
    dispatch();
}

void LoginChecks::record(const std::string& key, bool matches) {
    if (matches) {
        failures_.erase(key);
        return;
    }
    auto& failures = failures_[key];
    failures.count += 1;
    failures.until = loop_.now() + std::min<std::chrono::seconds>(max_penalty, penalty_per_failure * failures.count);
}

}  // namespace hwb
