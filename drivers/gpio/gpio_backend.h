// What the gpio driver needs from a GPIO chip, behind one interface with three implementations:
// libgpiod v1 (gpiod_v1_backend.cpp), libgpiod v2 (gpiod_v2_backend.cpp; one of the two is built,
// chosen by CMake from the libgpiod found) and an in-memory chip for tests (memory_chip.h).
//
// Values here are *logical* (active_low applied by the request), as libgpiod reports them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace hwb::gpio {

enum class Bias : std::uint8_t { as_is, disabled, pull_up, pull_down };
enum class Edge : std::uint8_t { rising, falling };

struct InputSettings {
    Bias bias = Bias::as_is;
    bool active_low = false;
    std::chrono::microseconds debounce{0};  // applied by the kernel only if the backend says so
};

struct OutputSettings {
    bool active_low = false;
    bool initial_active = false;  // requested together with the line: no glitch at start-up
};

struct LineEvent {
    Edge edge = Edge::rising;           // logical edge (active_low applied)
    std::uint64_t timestamp_ns = 0;     // CLOCK_MONOTONIC
};

struct LineInfo {
    unsigned offset = 0;
    std::string name;      // empty when the line has none
    std::string consumer;  // who holds it; empty when free
    bool used = false;
    bool output = false;
    bool active_low = false;
};

struct ChipInfo {
    std::string name;   // gpiochip0
    std::string label;  // pinctrl-bcm2711
    std::string path;   // /dev/gpiochip0
    std::vector<LineInfo> lines;
};

// One requested line, released when destroyed.
class LineRequest {
public:
    virtual ~LineRequest() = default;
    virtual Result<bool> get() = 0;
    virtual Status set(bool active) = 0;
    // Inputs: readable when edge events are waiting (never blocks); -1 for outputs.
    virtual int event_fd() const = 0;
    // Inputs: the events waiting now, oldest first (empty when none). Called when event_fd() is readable.
    virtual Result<std::vector<LineEvent>> read_events() = 0;
};

class Chip {
public:
    virtual ~Chip() = default;
    virtual const std::string& name() const = 0;
    virtual const std::string& label() const = 0;
    virtual const std::string& path() const = 0;
    virtual unsigned line_count() const = 0;
    // Offset of the line called `name`; error `not_found` when no line has that name.
    virtual Result<unsigned> find_line(const std::string& name) = 0;
    virtual Result<LineInfo> line_info(unsigned offset) = 0;
    // Errors: code `busy` when another holder has the line (the message names it and its consumer).
    virtual Result<std::unique_ptr<LineRequest>> request_input(unsigned offset, const std::string& consumer,
                                                               const InputSettings& settings) = 0;
    virtual Result<std::unique_ptr<LineRequest>> request_output(unsigned offset, const std::string& consumer,
                                                                const OutputSettings& settings) = 0;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string describe() const = 0;  // "libgpiod 2.1.3"
    // True when the kernel debounces inputs (libgpiod v2); otherwise the driver debounces itself.
    virtual bool debounces() const = 0;
    // `chip` is a name (gpiochip0), a path (/dev/gpiochip4) or a label (pinctrl-rp1).
    virtual Result<std::unique_ptr<Chip>> open(const std::string& chip) = 0;
    virtual Result<std::vector<ChipInfo>> list() = 0;
};

// The libgpiod backend this build was compiled against (v1 or v2).
std::unique_ptr<Backend> make_system_backend();

// Shared by the libgpiod backends: /dev/gpiochip* in numeric order, each chip once (a link to a
// listed chip, such as Raspberry Pi OS's gpiochip4 -> gpiochip0, is left out).
std::vector<std::string> chip_device_paths(const std::filesystem::path& dev = "/dev");
// Path of `chip` (name or path) when it can be told without opening chips; empty for a label.
std::string chip_path_for(const std::string& chip);
// How a backend opens one chip device: nullptr, with errno set, when it cannot.
using ChipOpener = std::function<std::unique_ptr<Chip>(const std::string& path)>;
// Backend::open of either libgpiod: `chip` by name or path, else the first chip with that label.
Result<std::unique_ptr<Chip>> open_chip(const std::string& chip, const ChipOpener& open);
// Backend::list of either libgpiod: every chip of /dev, with every line's info.
Result<std::vector<ChipInfo>> list_chips(const ChipOpener& open);
// "line GPIO17 (offset 17) of gpiochip0 'pinctrl-sim'"
std::string describe_line(const Chip& chip, unsigned offset, const std::string& line_name);
Error busy_error(const Chip& chip, unsigned offset, const LineInfo& info);

}  // namespace hwb::gpio
