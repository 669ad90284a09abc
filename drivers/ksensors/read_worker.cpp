#include "ksensors/read_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace hwb::ksensors {

struct ReadWorker::Shared {
    std::mutex mutex;
    std::condition_variable wake;     // jobs queued or stop asked
    std::condition_variable exited_;  // the thread ended
    std::deque<Job> jobs;
    std::deque<std::function<void()>> done;
    bool stop = false;
    bool exited = false;
    int event_fd = -1;

    ~Shared() {
        if (event_fd >= 0) ::close(event_fd);
    }
};

ReadWorker::ReadWorker(EventLoop& loop) : shared_(std::make_shared<Shared>()) {
    shared_->event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (shared_->event_fd < 0) throw std::runtime_error("ksensors: eventfd failed");
    watch_ = loop.watch_fd(shared_->event_fd, [this](FdEvent) { deliver(); });
    // The thread owns a reference: a read stuck in the kernel outlives this object safely.
    std::thread(&ReadWorker::run, shared_).detach();
}

ReadWorker::~ReadWorker() {
    watch_.reset();
    std::unique_lock lock(shared_->mutex);
    shared_->stop = true;
    shared_->jobs.clear();
    shared_->done.clear();
    shared_->wake.notify_all();
    // Not waited for long: a map reload or shutdown must not stall the loop behind a 1-Wire
    // conversion or a hung bus. The thread keeps what it uses alive and ends after its read.
    shared_->exited_.wait_for(lock, std::chrono::milliseconds(250), [&] { return shared_->exited; });
}

void ReadWorker::submit(Job job) {
    std::lock_guard lock(shared_->mutex);
    shared_->jobs.push_back(std::move(job));
    shared_->wake.notify_one();
}

void ReadWorker::deliver() {
    std::uint64_t count = 0;
    while (::read(shared_->event_fd, &count, sizeof count) > 0) {
    }
    std::deque<std::function<void()>> ready;
    {
        std::lock_guard lock(shared_->mutex);
        ready.swap(shared_->done);
    }
    for (auto& f : ready) f();
}

void ReadWorker::run(std::shared_ptr<Shared> shared) {
    std::unique_lock lock(shared->mutex);
    for (;;) {
        shared->wake.wait(lock, [&] { return shared->stop || !shared->jobs.empty(); });
        if (shared->stop) break;
        auto job = std::move(shared->jobs.front());
        shared->jobs.pop_front();
        lock.unlock();
        std::function<void()> result;
        try {
            result = job();
        } catch (...) {
            // Jobs report failures as values; nothing may escape a thread.
        }
        job = nullptr;
        lock.lock();
        if (shared->stop) break;
        if (result) {
            shared->done.push_back(std::move(result));
            std::uint64_t one = 1;
            [[maybe_unused]] auto n = ::write(shared->event_fd, &one, sizeof one);
        }
    }
    shared->exited = true;
    shared->exited_.notify_all();
}

}  // namespace hwb::ksensors
