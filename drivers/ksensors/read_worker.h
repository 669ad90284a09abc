// A thread for reads that block (sysfs attributes; a 1-Wire conversion takes most of a second), so
// the event loop never waits on them. A job runs on the worker thread and returns the part that
// runs on the loop; the worker queues that part and wakes the loop through an eventfd it watches.
#pragma once

#include <functional>
#include <memory>

#include "core/event_loop.h"

namespace hwb::ksensors {

class ReadWorker {
public:
    // Runs on the worker thread; returns what the loop then runs with the result.
    using Job = std::function<std::function<void()>()>;

    explicit ReadWorker(EventLoop& loop);
    // Drops queued jobs and waits at most 250 ms for the running one; a read that takes longer
    // (a 1-Wire conversion, a stuck bus) finishes on its own thread and its result is discarded.
    ~ReadWorker();
    ReadWorker(const ReadWorker&) = delete;
    ReadWorker& operator=(const ReadWorker&) = delete;

    void submit(Job job);

private:
    struct Shared;
    std::shared_ptr<Shared> shared_;
    std::unique_ptr<FdWatch> watch_;
    void deliver();
    static void run(std::shared_ptr<Shared> shared);
};

}  // namespace hwb::ksensors
