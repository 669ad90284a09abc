// An EventLoop for unit tests: time moves only when the test says so, timers fire in order.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <memory>
#include <stdexcept>

#include "core/event_loop.h"

namespace hwb::test {

class ManualLoop : public EventLoop {
public:
    Clock::time_point now() const override { return now_; }

    std::unique_ptr<TimerSlot> make_timer(std::function<void()> on_fire) override {
        return std::make_unique<Slot>(*this, std::move(on_fire));
    }
    std::unique_ptr<FdWatch> watch_fd(int, std::function<void(FdEvent)>) override {
        throw std::logic_error("ManualLoop has no file descriptors");
    }

    // Advances the clock by `d`, firing every timer that falls due, in time order.
    void advance(std::chrono::microseconds d) {
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
    void run_ready() { advance(std::chrono::microseconds(0)); }
    std::size_t pending_timers() const { return due_.size(); }

private:
    using Key = std::pair<Clock::time_point, std::uint64_t>;

    class Slot final : public TimerSlot {
    public:
        Slot(ManualLoop& loop, std::function<void()> fn) : loop_(loop), fn_(std::move(fn)) {}
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
        ManualLoop& loop_;
        std::function<void()> fn_;
        std::optional<Key> key_;
    };

    Clock::time_point now_{};
    std::uint64_t next_ = 0;
    std::map<Key, Slot*> due_;
};

}  // namespace hwb::test
