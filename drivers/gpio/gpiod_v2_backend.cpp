// libgpiod 2.x (bookworm-backports, Debian 13, Raspberry Pi OS): settings/config/request objects.
// A request owns its own file descriptor, so it outlives the chip handle it came from. The kernel
// debounces inputs (gpiod_line_settings_set_debounce_period_us).
#include <fcntl.h>
#include <gpiod.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "gpio/gpio_backend.h"

namespace hwb::gpio {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;

using ChipHandle = Handle<gpiod_chip, gpiod_chip_close>;
using ChipInfoHandle = Handle<gpiod_chip_info, gpiod_chip_info_free>;
using LineInfoHandle = Handle<gpiod_line_info, gpiod_line_info_free>;
using SettingsHandle = Handle<gpiod_line_settings, gpiod_line_settings_free>;
using LineConfigHandle = Handle<gpiod_line_config, gpiod_line_config_free>;
using RequestConfigHandle = Handle<gpiod_request_config, gpiod_request_config_free>;
using RequestHandle = Handle<gpiod_line_request, gpiod_line_request_release>;
using EventBufferHandle = Handle<gpiod_edge_event_buffer, gpiod_edge_event_buffer_free>;

std::string text(const char* s) { return s == nullptr ? std::string() : std::string(s); }
Error os_error(const std::string& what, int err = errno) { return Error{"hardware", what + ": " + std::strerror(err)}; }

constexpr std::size_t event_batch = 16;

class V2Request final : public LineRequest {
public:
    V2Request(RequestHandle request, unsigned offset, std::string what, bool input)
        : request_(std::move(request)), offset_(offset), what_(std::move(what)) {
        if (input) {
            fd_ = gpiod_line_request_get_fd(request_.get());
            if (fd_ >= 0) fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
            buffer_.reset(gpiod_edge_event_buffer_new(event_batch));
        }
    }

    Result<bool> get() override {
        gpiod_line_value v = gpiod_line_request_get_value(request_.get(), offset_);
        if (v == GPIOD_LINE_VALUE_ERROR) return os_error("cannot read " + what_);
        return v == GPIOD_LINE_VALUE_ACTIVE;
    }
    Status set(bool active) override {
        if (gpiod_line_request_set_value(request_.get(), offset_,
                                         active ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0)
            return os_error("cannot set " + what_);
        return {};
    }
    int event_fd() const override { return fd_; }
    Result<std::vector<LineEvent>> read_events() override {
        std::vector<LineEvent> out;
        if (fd_ < 0 || !buffer_) return out;
        for (;;) {
            int n = gpiod_line_request_read_edge_events(request_.get(), buffer_.get(), event_batch);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                return os_error("cannot read events of " + what_);
            }
            for (int i = 0; i < n; ++i) {
                gpiod_edge_event* e = gpiod_edge_event_buffer_get_event(buffer_.get(), static_cast<unsigned long>(i));
                out.push_back({gpiod_edge_event_get_event_type(e) == GPIOD_EDGE_EVENT_RISING_EDGE ? Edge::rising
                                                                                                 : Edge::falling,
                               gpiod_edge_event_get_timestamp_ns(e)});
            }
            if (n < static_cast<int>(event_batch)) break;
        }
        return out;
    }

private:
    RequestHandle request_;
    unsigned offset_;
    std::string what_;
    int fd_ = -1;
    EventBufferHandle buffer_;
};

class V2Chip final : public Chip {
public:
    V2Chip(ChipHandle chip, std::string path) : chip_(std::move(chip)), path_(std::move(path)) {
        ChipInfoHandle info(gpiod_chip_get_info(chip_.get()));
        if (info) {
            name_ = text(gpiod_chip_info_get_name(info.get()));
            label_ = text(gpiod_chip_info_get_label(info.get()));
            lines_ = static_cast<unsigned>(gpiod_chip_info_get_num_lines(info.get()));
        }
    }

    const std::string& name() const override { return name_; }
    const std::string& label() const override { return label_; }
    const std::string& path() const override { return path_; }
    unsigned line_count() const override { return lines_; }

    Result<unsigned> find_line(const std::string& line_name) override {
        int offset = gpiod_chip_get_line_offset_from_name(chip_.get(), line_name.c_str());
        if (offset < 0) return Error{"not_found", "no line named '" + line_name + "' on " + name_ + " '" + label_ + "'"};
        return static_cast<unsigned>(offset);
    }

    Result<LineInfo> line_info(unsigned offset) override {
        LineInfoHandle info(gpiod_chip_get_line_info(chip_.get(), offset));
        if (!info) return os_error("no line " + std::to_string(offset) + " on " + name_);
        return LineInfo{.offset = offset,
                        .name = text(gpiod_line_info_get_name(info.get())),
                        .consumer = text(gpiod_line_info_get_consumer(info.get())),
                        .used = gpiod_line_info_is_used(info.get()),
                        .output = gpiod_line_info_get_direction(info.get()) == GPIOD_LINE_DIRECTION_OUTPUT,
                        .active_low = gpiod_line_info_is_active_low(info.get())};
    }

    Result<std::unique_ptr<LineRequest>> request_input(unsigned offset, const std::string& consumer,
                                                       const InputSettings& s) override {
        SettingsHandle settings(gpiod_line_settings_new());
        if (!settings) return os_error("out of memory");
        gpiod_line_settings_set_direction(settings.get(), GPIOD_LINE_DIRECTION_INPUT);
        gpiod_line_settings_set_edge_detection(settings.get(), GPIOD_LINE_EDGE_BOTH);
        gpiod_line_settings_set_active_low(settings.get(), s.active_low);
        gpiod_line_bias bias = GPIOD_LINE_BIAS_AS_IS;
        switch (s.bias) {
            case Bias::as_is: break;
            case Bias::disabled: bias = GPIOD_LINE_BIAS_DISABLED; break;
            case Bias::pull_up: bias = GPIOD_LINE_BIAS_PULL_UP; break;
            case Bias::pull_down: bias = GPIOD_LINE_BIAS_PULL_DOWN; break;
        }
        gpiod_line_settings_set_bias(settings.get(), bias);
        gpiod_line_settings_set_debounce_period_us(settings.get(), static_cast<unsigned long>(s.debounce.count()));
        return request(offset, consumer, settings.get(), true);
    }

    Result<std::unique_ptr<LineRequest>> request_output(unsigned offset, const std::string& consumer,
                                                        const OutputSettings& s) override {
        SettingsHandle settings(gpiod_line_settings_new());
        if (!settings) return os_error("out of memory");
        gpiod_line_settings_set_direction(settings.get(), GPIOD_LINE_DIRECTION_OUTPUT);
        gpiod_line_settings_set_active_low(settings.get(), s.active_low);
        // Part of the request itself: the line is driven to this value from the first moment.
        gpiod_line_settings_set_output_value(settings.get(),
                                             s.initial_active ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
        return request(offset, consumer, settings.get(), false);
    }

private:
    Result<std::unique_ptr<LineRequest>> request(unsigned offset, const std::string& consumer,
                                                 gpiod_line_settings* settings, bool input) {
        LineConfigHandle line_config(gpiod_line_config_new());
        RequestConfigHandle request_config(gpiod_request_config_new());
        if (!line_config || !request_config) return os_error("out of memory");
        if (gpiod_line_config_add_line_settings(line_config.get(), &offset, 1, settings) < 0)
            return os_error("cannot configure line " + std::to_string(offset));
        gpiod_request_config_set_consumer(request_config.get(), consumer.c_str());
        RequestHandle request(gpiod_chip_request_lines(chip_.get(), request_config.get(), line_config.get()));
        if (!request) {
            int err = errno;
            auto info = line_info(offset);
            std::string name = info.ok() ? info.value().name : std::string();
            if (err == EBUSY && info.ok()) return busy_error(*this, offset, info.value());
            return os_error("cannot request " + describe_line(*this, offset, name), err);
        }
        auto info = line_info(offset);
        std::string what = describe_line(*this, offset, info.ok() ? info.value().name : std::string());
        return std::unique_ptr<LineRequest>(std::make_unique<V2Request>(std::move(request), offset, what, input));
    }

    ChipHandle chip_;
    std::string path_, name_, label_;
    unsigned lines_ = 0;
};

class V2Backend final : public Backend {
public:
    std::string describe() const override { return std::string("libgpiod ") + gpiod_api_version(); }
    bool debounces() const override { return true; }

    Result<std::unique_ptr<Chip>> open(const std::string& chip) override { return open_chip(chip, open_device); }
    Result<std::vector<ChipInfo>> list() override { return list_chips(open_device); }

private:
    static std::unique_ptr<Chip> open_device(const std::string& path) {
        ChipHandle handle(gpiod_chip_open(path.c_str()));
        if (!handle) return nullptr;
        return std::make_unique<V2Chip>(std::move(handle), path);
    }
};

}  // namespace

std::unique_ptr<Backend> make_system_backend() { return std::make_unique<V2Backend>(); }

}  // namespace hwb::gpio
