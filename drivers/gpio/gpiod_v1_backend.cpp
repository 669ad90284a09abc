// libgpiod 1.x (Debian 12): chips and lines through the v1 C API. Lines belong to their chip, so each
// request shares ownership of the chip handle. v1 has no debounce: the driver debounces in software.
#include <fcntl.h>
#include <gpiod.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "gpio/gpio_backend.h"

namespace hwb::gpio {
namespace {

struct ChipCloser {
    void operator()(gpiod_chip* chip) const { gpiod_chip_close(chip); }
};
struct LineReleaser {
    void operator()(gpiod_line* line) const { gpiod_line_release(line); }
};
using ChipHandle = std::shared_ptr<gpiod_chip>;
using HeldLine = std::unique_ptr<gpiod_line, LineReleaser>;

std::string text(const char* s) { return s == nullptr ? std::string() : std::string(s); }
Error os_error(const std::string& what, int err = errno) { return Error{"hardware", what + ": " + std::strerror(err)}; }

ChipHandle open_path(const std::string& path) {
    gpiod_chip* chip = gpiod_chip_open(path.c_str());
    return chip == nullptr ? nullptr : ChipHandle(chip, ChipCloser{});
}

LineInfo info_of(gpiod_line* line) {
    gpiod_line_update(line);
    return LineInfo{.offset = gpiod_line_offset(line),
                    .name = text(gpiod_line_name(line)),
                    .consumer = text(gpiod_line_consumer(line)),
                    .used = gpiod_line_is_used(line),
                    .output = gpiod_line_direction(line) == GPIOD_LINE_DIRECTION_OUTPUT,
                    .active_low = gpiod_line_active_state(line) == GPIOD_LINE_ACTIVE_STATE_LOW};
}

class V1Request final : public LineRequest {
public:
    V1Request(ChipHandle chip, HeldLine line, std::string what, bool input)
        : chip_(std::move(chip)), line_(std::move(line)), what_(std::move(what)) {
        if (input) {
            fd_ = gpiod_line_event_get_fd(line_.get());
            // Never block the loop: a read with nothing queued returns EAGAIN instead.
            if (fd_ >= 0) fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
        }
    }

    Result<bool> get() override {
        int v = gpiod_line_get_value(line_.get());
        if (v < 0) return os_error("cannot read " + what_);
        return v != 0;
    }
    Status set(bool active) override {
        if (gpiod_line_set_value(line_.get(), active ? 1 : 0) < 0) return os_error("cannot set " + what_);
        return {};
    }
    int event_fd() const override { return fd_; }
    Result<std::vector<LineEvent>> read_events() override {
        std::vector<LineEvent> out;
        if (fd_ < 0) return out;
        gpiod_line_event events[16];
        for (;;) {
            int n = gpiod_line_event_read_fd_multiple(fd_, events, 16);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                return os_error("cannot read events of " + what_);
            }
            for (int i = 0; i < n; ++i) {
                const auto& e = events[i];
                out.push_back({e.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? Edge::rising : Edge::falling,
                               static_cast<std::uint64_t>(e.ts.tv_sec) * 1000000000ull +
                                   static_cast<std::uint64_t>(e.ts.tv_nsec)});
            }
            if (n < 16) break;
        }
        return out;
    }

private:
    ChipHandle chip_;  // outlives line_ (members are destroyed in reverse order)
    HeldLine line_;
    std::string what_;
    int fd_ = -1;
};

class V1Chip final : public Chip {
public:
    explicit V1Chip(ChipHandle chip)
        : chip_(std::move(chip)), name_(text(gpiod_chip_name(chip_.get()))), label_(text(gpiod_chip_label(chip_.get()))),
          path_("/dev/" + name_) {}

    const std::string& name() const override { return name_; }
    const std::string& label() const override { return label_; }
    const std::string& path() const override { return path_; }
    unsigned line_count() const override { return gpiod_chip_num_lines(chip_.get()); }

    Result<unsigned> find_line(const std::string& line_name) override {
        gpiod_line* line = gpiod_chip_find_line(chip_.get(), line_name.c_str());
        if (line == nullptr)
            return Error{"not_found", "no line named '" + line_name + "' on " + name_ + " '" + label_ + "'"};
        return gpiod_line_offset(line);
    }

    Result<LineInfo> line_info(unsigned offset) override {
        gpiod_line* line = gpiod_chip_get_line(chip_.get(), offset);
        if (line == nullptr) return os_error("no line " + std::to_string(offset) + " on " + name_);
        return info_of(line);
    }

    Result<std::unique_ptr<LineRequest>> request_input(unsigned offset, const std::string& consumer,
                                                       const InputSettings& s) override {
        int flags = s.active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
        switch (s.bias) {
            case Bias::as_is: break;
            case Bias::disabled: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE; break;
            case Bias::pull_up: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP; break;
            case Bias::pull_down: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN; break;
        }
        return request(offset, consumer, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, flags, 0);
    }

    Result<std::unique_ptr<LineRequest>> request_output(unsigned offset, const std::string& consumer,
                                                        const OutputSettings& s) override {
        // The default value goes into the same ioctl as the request: the line starts at it.
        return request(offset, consumer, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT,
                       s.active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0, s.initial_active ? 1 : 0);
    }

private:
    Result<std::unique_ptr<LineRequest>> request(unsigned offset, const std::string& consumer, int type, int flags,
                                                 int value) {
        gpiod_line* line = gpiod_chip_get_line(chip_.get(), offset);
        if (line == nullptr) return os_error("no line " + std::to_string(offset) + " on " + name_);
        gpiod_line_request_config config{consumer.c_str(), type, flags};
        if (gpiod_line_request(line, &config, value) < 0) {
            int err = errno;
            LineInfo info = info_of(line);
            if (err == EBUSY) return busy_error(*this, offset, info);
            return os_error("cannot request " + describe_line(*this, offset, info.name), err);
        }
        std::string what = describe_line(*this, offset, text(gpiod_line_name(line)));
        return std::unique_ptr<LineRequest>(
            std::make_unique<V1Request>(chip_, HeldLine(line), what, type != GPIOD_LINE_REQUEST_DIRECTION_OUTPUT));
    }

    ChipHandle chip_;
    std::string name_, label_, path_;
};

class V1Backend final : public Backend {
public:
    std::string describe() const override { return std::string("libgpiod ") + gpiod_version_string(); }
    bool debounces() const override { return false; }

    Result<std::unique_ptr<Chip>> open(const std::string& chip) override { return open_chip(chip, open_device); }
    Result<std::vector<ChipInfo>> list() override { return list_chips(open_device); }

private:
    static std::unique_ptr<Chip> open_device(const std::string& path) {
        ChipHandle handle = open_path(path);
        if (!handle) return nullptr;
        return std::make_unique<V1Chip>(std::move(handle));
    }
};

}  // namespace

std::unique_ptr<Backend> make_system_backend() { return std::make_unique<V1Backend>(); }

}  // namespace hwb::gpio
