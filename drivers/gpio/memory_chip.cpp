#include "gpio/memory_chip.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>

namespace hwb::gpio {

namespace {

std::uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

// Named, not anonymous: MemoryGpio::State (external linkage) holds them.
namespace memory_chip {

// An eventfd owned by one input request.
class EventFd {
public:
    EventFd() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (fd_ < 0) throw std::runtime_error("eventfd failed");
    }
    ~EventFd() { ::close(fd_); }
    EventFd(const EventFd&) = delete;
    EventFd& operator=(const EventFd&) = delete;
    int get() const { return fd_; }
    void signal() const {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
    }
    void drain() const {
        std::uint64_t count = 0;
        [[maybe_unused]] auto n = ::read(fd_, &count, sizeof count);
    }

private:
    int fd_;
};

struct Waiting {
    std::deque<LineEvent> events;
    std::unique_ptr<EventFd> fd;
};

}  // namespace memory_chip

struct MemoryGpio::State {
    struct Line {
        std::string name;
        std::string consumer;
        bool used = false;
        bool output = false;
        bool active_low = false;
        Bias bias = Bias::as_is;
        std::optional<bool> driven;   // by the outside world (inputs)
        bool out_level = false;       // driven by the requester (outputs)
        std::optional<bool> stuck;
        std::vector<bool> history;
        memory_chip::Waiting* waiting = nullptr;   // the input request's event queue
    };
    struct ChipState {
        std::string name, label;
        std::vector<Line> lines;
    };

    mutable std::mutex mutex;
    std::map<std::string, ChipState> chips;

    Line& line(const std::string& chip, unsigned offset) {
        auto it = chips.find(chip);
        if (it == chips.end() || offset >= it->second.lines.size())
            throw std::logic_error("no memory GPIO line " + chip + ":" + std::to_string(offset));
        return it->second.lines[offset];
    }

    static bool level_of(const Line& l) {
        if (l.stuck) return *l.stuck;
        if (l.output) return l.out_level;
        if (l.driven) return *l.driven;
        return l.bias == Bias::pull_up;
    }

    // Call after any change that may move the level: records it and queues an edge for the requester.
    static void settle(Line& l, std::optional<std::uint64_t> timestamp_ns = std::nullopt) {
        bool now = level_of(l);
        if (!l.history.empty() && l.history.back() == now) return;
        bool had = !l.history.empty();
        l.history.push_back(now);
        if (had && l.waiting != nullptr && !l.output) {
            bool logical = now != l.active_low;
            l.waiting->events.push_back({logical ? Edge::rising : Edge::falling, timestamp_ns.value_or(monotonic_ns())});
            l.waiting->fd->signal();
        }
    }
};

namespace {

using State = MemoryGpio::State;

class MemoryRequest final : public LineRequest {
public:
    MemoryRequest(std::shared_ptr<State> state, std::string chip, unsigned offset, bool input)
        : state_(std::move(state)), chip_(std::move(chip)), offset_(offset) {
        if (input) waiting_.fd = std::make_unique<memory_chip::EventFd>();
        std::lock_guard lock(state_->mutex);
        if (input) state_->line(chip_, offset_).waiting = &waiting_;
    }
    ~MemoryRequest() override {
        std::lock_guard lock(state_->mutex);
        auto& l = state_->line(chip_, offset_);
        l.used = false;
        l.consumer.clear();
        l.waiting = nullptr;
    }

    Result<bool> get() override {
        std::lock_guard lock(state_->mutex);
        auto& l = state_->line(chip_, offset_);
        return State::level_of(l) != l.active_low;
    }
    Status set(bool active) override {
        std::lock_guard lock(state_->mutex);
        auto& l = state_->line(chip_, offset_);
        if (!l.output) return Error{"hardware", "line " + std::to_string(offset_) + " is an input"};
        l.out_level = active != l.active_low;
        State::settle(l);
        return {};
    }
    int event_fd() const override { return waiting_.fd ? waiting_.fd->get() : -1; }
    Result<std::vector<LineEvent>> read_events() override {
        std::lock_guard lock(state_->mutex);
        std::vector<LineEvent> out(waiting_.events.begin(), waiting_.events.end());
        waiting_.events.clear();
        if (waiting_.fd) waiting_.fd->drain();
        return out;
    }

private:
    std::shared_ptr<State> state_;
    std::string chip_;
    unsigned offset_;
    memory_chip::Waiting waiting_;
};

class MemoryChipHandle final : public Chip {
public:
    MemoryChipHandle(std::shared_ptr<State> state, const State::ChipState& chip)
        : state_(std::move(state)), name_(chip.name), label_(chip.label), path_("/dev/" + chip.name),
          lines_(static_cast<unsigned>(chip.lines.size())) {}

    const std::string& name() const override { return name_; }
    const std::string& label() const override { return label_; }
    const std::string& path() const override { return path_; }
    unsigned line_count() const override { return lines_; }

    Result<unsigned> find_line(const std::string& line_name) override {
        std::lock_guard lock(state_->mutex);
        const auto& lines = state_->chips.at(name_).lines;
        for (unsigned i = 0; i < lines.size(); ++i)
            if (lines[i].name == line_name) return i;
        return Error{"not_found", "no line named '" + line_name + "' on " + name_ + " '" + label_ + "'"};
    }

    Result<LineInfo> line_info(unsigned offset) override {
        if (offset >= lines_) return Error{"not_found", "no line " + std::to_string(offset) + " on " + name_};
        std::lock_guard lock(state_->mutex);
        const auto& l = state_->line(name_, offset);
        return LineInfo{offset, l.name, l.consumer, l.used, l.output, l.active_low};
    }

    Result<std::unique_ptr<LineRequest>> request_input(unsigned offset, const std::string& consumer,
                                                       const InputSettings& s) override {
        {
            std::lock_guard lock(state_->mutex);
            if (auto problem = claim(offset, consumer)) return *problem;
            auto& l = state_->line(name_, offset);
            l.output = false;
            l.active_low = s.active_low;
            if (s.bias != Bias::as_is) l.bias = s.bias;
            State::settle(l);
        }
        return std::unique_ptr<LineRequest>(std::make_unique<MemoryRequest>(state_, name_, offset, true));
    }

    Result<std::unique_ptr<LineRequest>> request_output(unsigned offset, const std::string& consumer,
                                                        const OutputSettings& s) override {
        {
            std::lock_guard lock(state_->mutex);
            if (auto problem = claim(offset, consumer)) return *problem;
            auto& l = state_->line(name_, offset);
            // Direction and value change together, as with the kernel's request ioctl.
            l.output = true;
            l.active_low = s.active_low;
            l.out_level = s.initial_active != s.active_low;
            State::settle(l);
        }
        return std::unique_ptr<LineRequest>(std::make_unique<MemoryRequest>(state_, name_, offset, false));
    }

private:
    std::optional<Error> claim(unsigned offset, const std::string& consumer) {
        if (offset >= lines_) return Error{"not_found", "no line " + std::to_string(offset) + " on " + name_};
        auto& l = state_->line(name_, offset);
        if (l.used) return busy_error(*this, offset, LineInfo{offset, l.name, l.consumer, true, l.output, l.active_low});
        l.used = true;
        l.consumer = consumer;
        return std::nullopt;
    }

    std::shared_ptr<State> state_;
    std::string name_, label_, path_;
    unsigned lines_;
};

class MemoryBackend final : public Backend {
public:
    explicit MemoryBackend(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::string describe() const override { return "in-memory GPIO"; }
    bool debounces() const override { return false; }

    Result<std::unique_ptr<Chip>> open(const std::string& chip) override {
        std::lock_guard lock(state_->mutex);
        for (const auto& [name, c] : state_->chips)
            if (chip == name || chip == "/dev/" + name || chip == c.label)
                return std::unique_ptr<Chip>(std::make_unique<MemoryChipHandle>(state_, c));
        return Error{"not_found", "no GPIO chip named or labelled '" + chip + "'"};
    }

    Result<std::vector<ChipInfo>> list() override {
        std::vector<ChipInfo> out;
        std::lock_guard lock(state_->mutex);
        for (const auto& [name, c] : state_->chips) {
            ChipInfo info{name, c.label, "/dev/" + name, {}};
            for (unsigned i = 0; i < c.lines.size(); ++i) {
                const auto& l = c.lines[i];
                info.lines.push_back({i, l.name, l.consumer, l.used, l.output, l.active_low});
            }
            out.push_back(std::move(info));
        }
        return out;
    }

private:
    std::shared_ptr<State> state_;
};

}  // namespace

MemoryGpio::MemoryGpio() : state_(std::make_shared<State>()) {}
MemoryGpio::~MemoryGpio() = default;

void MemoryGpio::add_chip(const std::string& name, const std::string& label, unsigned lines,
                          std::vector<std::string> line_names) {
    std::lock_guard lock(state_->mutex);
    State::ChipState chip{name, label, std::vector<State::Line>(lines)};
    for (unsigned i = 0; i < lines; ++i) {
        if (i < line_names.size()) chip.lines[i].name = line_names[i];
        State::settle(chip.lines[i]);
    }
    state_->chips[name] = std::move(chip);
}

std::unique_ptr<Backend> MemoryGpio::backend() { return std::make_unique<MemoryBackend>(state_); }

void MemoryGpio::drive(const std::string& chip, unsigned offset, std::optional<bool> high,
                       std::optional<std::uint64_t> timestamp_ns) {
    std::lock_guard lock(state_->mutex);
    auto& l = state_->line(chip, offset);
    l.driven = high;
    State::settle(l, timestamp_ns);
}

bool MemoryGpio::level(const std::string& chip, unsigned offset) const {
    std::lock_guard lock(state_->mutex);
    return State::level_of(state_->line(chip, offset));
}

std::vector<bool> MemoryGpio::history(const std::string& chip, unsigned offset) const {
    std::lock_guard lock(state_->mutex);
    return state_->line(chip, offset).history;
}

void MemoryGpio::stick(const std::string& chip, unsigned offset, std::optional<bool> high) {
    std::lock_guard lock(state_->mutex);
    auto& l = state_->line(chip, offset);
    l.stuck = high;
    State::settle(l);
}

void MemoryGpio::hold(const std::string& chip, unsigned offset, const std::string& consumer) {
    std::lock_guard lock(state_->mutex);
    auto& l = state_->line(chip, offset);
    l.used = !consumer.empty();
    l.consumer = consumer;
}

std::string MemoryGpio::consumer(const std::string& chip, unsigned offset) const {
    std::lock_guard lock(state_->mutex);
    return state_->line(chip, offset).consumer;
}

}  // namespace hwb::gpio
