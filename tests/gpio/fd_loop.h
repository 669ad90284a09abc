// An EventLoop for the gpio unit tests: timers move only when the test advances the clock (as in
// support/manual_loop.h), and watched fds are real: poll_fds() delivers what is readable now, the
// way the daemon's loop would, so edges travel the same event-fd path as from the kernel.
#pragma once

#include <poll.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/event_loop.h"

namespace hwb::test {

class FdLoop final : public EventLoop {
public:
    Clock::time_point now() const override { return now_; }

    std::unique_ptr<TimerSlot> make_timer(std::function<void()> on_fire) override {
        return std::make_unique<Slot>(*this, std::move(on_fire));
    }

    std::unique_ptr<FdWatch> watch_fd(int fd, std::function<void(FdEvent)> on_event) override {
        auto w = std::make_unique<Watch>(*this, fd, std::move(on_event));
        watches_.push_back(w.get());
        return w;
    }

    // Delivers `readable` to every watch whose fd is readable now; returns how many were.
    int poll_fds() {
        std::vector<pollfd> fds;
        for (auto* w : watches_) fds.push_back({w->fd, POLLIN, 0});
        if (fds.empty() || ::poll(fds.data(), fds.size(), 0) <= 0) return 0;
        int n = 0;
        std::vector<Watch*> ready;
        for (std::size_t i = 0; i < fds.size(); ++i)
            if (fds[i].revents & POLLIN) ready.push_back(watches_[i]);
        for (auto* w : ready) {
            if (std::find(watches_.begin(), watches_.end(), w) == watches_.end()) continue;  // removed meanwhile
            ++n;
            w->on_event(FdEvent::readable);
        }
        return n;
    }
    std::size_t watch_count() const { return watches_.size(); }

    // Advances the clock by `d`, firing due timers in time order (and fds before each step).
    void advance(std::chrono::microseconds d) {
        poll_fds();
        auto until = now_ + d;
        while (!due_.empty() && due_.begin()->first.first <= until) {
            auto it = due_.begin();
            now_ = std::max(now_, it->first.first);
            Slot* slot = it->second;
            due_.erase(it);
            slot->fire();
        }
        now_ = until;
    }

private:
    using Key = std::pair<Clock::time_point, std::uint64_t>;

    class Slot final : public TimerSlot {
    public:
        Slot(FdLoop& loop, std::function<void()> fn) : loop_(loop), fn_(std::move(fn)) {}
        ~Slot() override { cancel(); }
        void start(std::chrono::microseconds delay) override {
            cancel();
            key_ = Key{loop_.now_ + delay, loop_.next_++};
            loop_.due_[*key_] = this;
        }
        void cancel() override {
            if (key_) loop_.due_.erase(*key_);
            key_.reset();
        }
        bool active() const override { return key_.has_value(); }
        void fire() {
            key_.reset();
            fn_();
        }

    private:
        FdLoop& loop_;
        std::function<void()> fn_;
        std::optional<Key> key_;
    };

    struct Watch final : FdWatch {
        Watch(FdLoop& loop, int f, std::function<void(FdEvent)> cb) : loop(loop), fd(f), on_event(std::move(cb)) {}
        ~Watch() override { std::erase(loop.watches_, this); }
        void want_writable() override {}
        FdLoop& loop;
        int fd;
        std::function<void(FdEvent)> on_event;
    };

    Clock::time_point now_{};
    std::uint64_t next_ = 0;
    std::map<Key, Slot*> due_;
    std::vector<Watch*> watches_;
};

}  // namespace hwb::test
