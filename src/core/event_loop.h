// The event loop seen by drivers and the core: timers and file descriptors, nothing else.
//
// Threading rule: hwbridge runs one thread. Every callback registered here runs on the loop's
// thread, and every method of EventLoop, Timer and FdWatch must be called from that thread.
// Callbacks must not block; a driver that waits for hardware waits for a readable fd or a timer.
// The server implements this with libwebsockets; tests use a manual loop with a controllable clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace hwb {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// One scheduled callback, owned by whoever created it. Destroying it cancels it.
class TimerSlot {
public:
    virtual ~TimerSlot() = default;
    // (Re)arms the timer: fires once after `delay`, replacing any earlier schedule.
    virtual void start(std::chrono::microseconds delay) = 0;
    virtual void cancel() = 0;
    virtual bool active() const = 0;
};

enum class FdEvent : std::uint8_t { readable, writable, hangup };

// Interest in one file descriptor. The fd stays owned by the caller; destroying the watch stops
// the callbacks (the loop never closes the caller's fd).
class FdWatch {
public:
    virtual ~FdWatch() = default;
    // Ask for one `writable` callback when the fd can take more output.
    virtual void want_writable() = 0;
};

class EventLoop {
public:
    virtual ~EventLoop() = default;
    virtual Clock::time_point now() const = 0;
    virtual std::unique_ptr<TimerSlot> make_timer(std::function<void()> on_fire) = 0;
    virtual std::unique_ptr<FdWatch> watch_fd(int fd, std::function<void(FdEvent)> on_event) = 0;
};

// Convenience owner of a TimerSlot with the usual start/cancel vocabulary.
class Timer {
public:
    Timer(EventLoop& loop, std::function<void()> on_fire) : slot_(loop.make_timer(std::move(on_fire))) {}
    void start(std::chrono::microseconds delay) { slot_->start(delay); }
    void cancel() { slot_->cancel(); }
    bool active() const { return slot_->active(); }

private:
    std::unique_ptr<TimerSlot> slot_;
};

// Milliseconds since the Unix epoch from the bridge's wall clock: the timestamp clients see.
std::int64_t wall_clock_ms();

}  // namespace hwb
