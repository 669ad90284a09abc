#include "server/login.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

#include <spdlog/spdlog.h>

namespace hwb {

LoginChecks::LoginChecks(EventLoop& loop) : loop_(loop) {
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

std::optional<std::chrono::seconds> LoginChecks::wait_for(const std::string& peer) {
    auto it = peers_.find(peer);
    if (it == peers_.end()) return std::nullopt;
    if (it->second.checking) return penalty_per_failure;
    auto now = loop_.now();
    if (it->second.until <= now) return std::nullopt;
    return std::chrono::ceil<std::chrono::seconds>(it->second.until - now);
}

bool LoginChecks::busy() const { return queued_ >= max_queued; }

void LoginChecks::check(const std::string& peer, std::string passphrase, const auth::PassphraseHash& hash,
                        std::function<void(bool)> done) {
    // Forget addresses whose penalty is over, so the table cannot grow without bound.
    if (peers_.size() > 4096) {
        auto now = loop_.now();
        std::erase_if(peers_, [&](const auto& entry) { return !entry.second.checking && entry.second.until <= now; });
    }
    peers_[peer].checking = true;
    ++queued_;
    auto job = std::make_unique<Job>(Job{peer, std::move(passphrase), hash, std::move(done)});
    {
        std::lock_guard lock(mutex_);
        todo_.push_back(std::move(job));
    }
    ready_.notify_one();
}

void LoginChecks::work() {
    for (;;) {
        std::unique_ptr<Job> job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !todo_.empty(); });
            if (stopping_) return;
            job = std::move(todo_.front());
            todo_.pop_front();
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
            finished_.push_back(std::move(job));
        }
        std::uint64_t one = 1;
        if (::write(wake_fd_, &one, sizeof(one)) < 0) spdlog::error("pass-phrase check: cannot wake the loop");
    }
}

void LoginChecks::deliver() {
    std::uint64_t count = 0;
    if (::read(wake_fd_, &count, sizeof(count)) < 0) { /* nothing to read: spurious wake-up */ }
    std::deque<std::unique_ptr<Job>> done;
    {
        std::lock_guard lock(mutex_);
        done.swap(finished_);
    }
    for (auto& job : done) {
        --queued_;
        record(job->peer, job->matches);
        job->done(job->matches);
    }
}

void LoginChecks::record(const std::string& peer, bool matches) {
    if (matches) {
        peers_.erase(peer);
        return;
    }
    auto& failures = peers_[peer];
    failures.checking = false;
    failures.count += 1;
    failures.until = loop_.now() + std::min<std::chrono::seconds>(max_penalty, penalty_per_failure * failures.count);
}

}  // namespace hwb
