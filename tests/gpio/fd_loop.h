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
#include "support/manual_loop.h"

namespace hwb::test {

class FdLoop final : public ManualLoop {
public:
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

    // Delivers what the fds have now, then advances the clock as ManualLoop does.
    void advance(std::chrono::microseconds d) {
        poll_fds();
        ManualLoop::advance(d);
    }

private:
    struct Watch final : FdWatch {
        Watch(FdLoop& loop, int f, std::function<void(FdEvent)> cb) : loop(loop), fd(f), on_event(std::move(cb)) {}
        ~Watch() override { std::erase(loop.watches_, this); }
        void want_writable() override {}
        FdLoop& loop;
        int fd;
        std::function<void(FdEvent)> on_event;
    };

    std::vector<Watch*> watches_;
};

}  // namespace hwb::test
