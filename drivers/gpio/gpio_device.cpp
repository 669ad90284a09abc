#include "gpio/gpio_device.h"

#include <map>

#include <spdlog/spdlog.h>

#include "gpio/gpio_config.h"
#include "gpio/gpio_input.h"
#include "gpio/gpio_output.h"

namespace hwb::gpio {
namespace {

class GpioDevice final : public Device {
public:
    GpioDevice(const DeviceConfig& device, DeviceContext& context, std::shared_ptr<Backend> backend)
        : id_(device.id), config_(parse_settings(device)), backend_(std::move(backend)),
          retry_(context.loop, [this] { open_what_is_missing(); }) {
        for (auto& in : config_.inputs)
            inputs_.push_back(
                std::make_unique<GpioInput>(*context.channels.sensor(in.id), in, context.loop, backend_->debounces()));
        for (auto& out : config_.outputs)
            outputs_.push_back(std::make_unique<GpioOutput>(*context.channels.relay(out.id), out));
    }

    ~GpioDevice() override {
        // Channels first: their line requests go before the chip handle.
        inputs_.clear();
        outputs_.clear();
    }

    void start() override { open_what_is_missing(); }

    std::string describe() const override {
        std::string where = chip_ ? chip_->name() + " '" + chip_->label() + "'" : "chip '" + config_.chip + "' (not found yet)";
        return where + " via " + backend_->describe() + ": " + std::to_string(inputs_.size()) + " inputs, " +
               std::to_string(outputs_.size()) + " outputs";
    }

private:
    std::string retry_note() const {
        return "; retrying every " + std::to_string(config_.retry.count() / 1000.0).substr(0, 4) + " s";
    }

    void open_what_is_missing() {
        if (!chip_) {
            auto chip = backend_->open(config_.chip);
            if (!chip.ok()) {
                std::string reason = chip.error().message + retry_note();
                if (reason != last_chip_problem_) spdlog::warn("gpio: device {}: {}", id_, reason);
                last_chip_problem_ = reason;
                for (auto& in : inputs_) in->go_offline(reason);
                for (auto& out : outputs_) out->go_offline(reason);
                retry_.start(config_.retry);
                return;
            }
            chip_ = std::move(chip).value();
            last_chip_problem_.clear();
        }
        bool missing = false;
        // Outputs first: relays reach their initial state as early as possible.
        for (std::size_t i = 0; i < outputs_.size(); ++i) {
            if (outputs_[i]->open()) continue;
            if (auto s = outputs_[i]->start(*chip_, config_.consumer); !s.ok()) {
                missing = true;
                report(config_.outputs[i].id, s.error());
                outputs_[i]->go_offline(s.error().message + retry_note());
            }
        }
        for (std::size_t i = 0; i < inputs_.size(); ++i) {
            if (inputs_[i]->open()) continue;
            if (auto s = inputs_[i]->start(*chip_, config_.consumer); !s.ok()) {
                missing = true;
                report(config_.inputs[i].id, s.error());
                inputs_[i]->go_offline(s.error().message + retry_note());
            }
        }
        if (missing) retry_.start(config_.retry);
    }

    void report(const std::string& channel, const Error& error) {
        auto& last = channel_problems_[channel];
        if (last != error.message) spdlog::warn("gpio: device {}, channel {}: {}", id_, channel, error.message);
        last = error.message;
    }

    std::string id_;
    GpioConfig config_;
    std::shared_ptr<Backend> backend_;
    std::unique_ptr<Chip> chip_;
    std::vector<std::unique_ptr<GpioInput>> inputs_;
    std::vector<std::unique_ptr<GpioOutput>> outputs_;
    Timer retry_;
    std::string last_chip_problem_;
    std::map<std::string, std::string> channel_problems_;
};

}  // namespace

std::unique_ptr<Device> create_gpio_device(const DeviceConfig& config, DeviceContext& context,
                                           std::shared_ptr<Backend> backend) {
    return std::make_unique<GpioDevice>(config, context, std::move(backend));
}

}  // namespace hwb::gpio
