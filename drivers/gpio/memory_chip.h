// In-memory GPIO chips for tests: the driver sees a Backend like libgpiod's, the test plays the outside
// world. It drives input levels (edges reach the driver through an eventfd, as from the kernel), reads
// what outputs drive, and sees every level a line ever had, so "no transient at start-up" is testable.
// Thread-safe: a test may drive lines while the daemon's loop runs on another thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gpio/gpio_backend.h"

namespace hwb::gpio {

class MemoryGpio {
public:
    MemoryGpio();
    ~MemoryGpio();
    MemoryGpio(const MemoryGpio&) = delete;
    MemoryGpio& operator=(const MemoryGpio&) = delete;

    // A chip /dev/NAME with `lines` lines; `line_names[i]` names line i (missing or empty: unnamed).
    void add_chip(const std::string& name, const std::string& label, unsigned lines,
                  std::vector<std::string> line_names = {});
    // A Backend over these chips (shares them; may outlive this object). It does not debounce in
    // "hardware", so the driver's own debouncing is what tests see.
    std::unique_ptr<Backend> backend();

    // The outside world. Levels are physical (high/low), not logical.
    // Drive an input line (nullopt: let it float, so its bias decides). Edges go to the requester.
    void drive(const std::string& chip, unsigned offset, std::optional<bool> high,
               std::optional<std::uint64_t> timestamp_ns = std::nullopt);
    bool level(const std::string& chip, unsigned offset) const;
    // Every level the line had since add_chip, oldest first (consecutive duplicates collapsed).
    std::vector<bool> history(const std::string& chip, unsigned offset) const;
    // A broken output stage: writes no longer change the level, which stays `high` (nullopt: repaired).
    void stick(const std::string& chip, unsigned offset, std::optional<bool> high);
    // Another program holds the line (empty consumer: released).
    void hold(const std::string& chip, unsigned offset, const std::string& consumer);
    std::string consumer(const std::string& chip, unsigned offset) const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace hwb::gpio
