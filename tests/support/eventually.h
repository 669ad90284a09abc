// Tests wait on conditions, not on time: `eventually` checks `condition` every `every` until it
// holds (true) or `timeout` has passed (false). Conditions that ask the bridge over HTTP poll
// slowly enough to stay within its connection rate (bridge.limits: 10 new connections/s).
#pragma once

#include <chrono>
#include <thread>

namespace hwb::test {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(10)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(every);
    }
    return true;
}

}  // namespace hwb::test
