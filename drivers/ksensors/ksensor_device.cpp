#include "ksensors/ksensor_device.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "ksensors/hwmon.h"
#include "ksensors/iio.h"
#include "ksensors/read_worker.h"
#include "ksensors/w1.h"

namespace hwb::ksensors {
namespace {

std::string seconds_text(std::chrono::milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

std::unique_ptr<Source> make_source(const DeviceSettings& s, std::shared_ptr<SysfsFiles> files) {
    std::vector<std::string> channels;
    for (const auto& c : s.channels) channels.push_back(c.channel);
    switch (s.kind) {
        case Kind::iio: return make_iio_source(std::move(files), {s.name, s.kernel_label, s.bus}, std::move(channels));
        case Kind::hwmon: return make_hwmon_source(std::move(files), {s.name, s.bus}, std::move(channels));
        case Kind::w1: return make_w1_source(std::move(files), std::move(channels));
    }
    return nullptr;
}

class KernelSensorDevice final : public Device {
public:
    KernelSensorDevice(const DeviceConfig& config, Kind kind, DeviceContext& context, std::shared_ptr<SysfsFiles> files)
        : id_(config.id), settings_(parse_settings(kind, config)), root_(files->root()), loop_(context.loop),
          source_(make_source(settings_, files)), worker_(context.loop), timer_(context.loop, [this] { tick(); }) {
        for (const auto& c : settings_.channels) channels_.push_back({context.channels.sensor(c.id), 0});
        // A stuck read (a hung bus) is reported after it should long have returned.
        auto per_round = std::chrono::milliseconds(5000) +
                         std::chrono::milliseconds(kind == Kind::w1 ? 1000 * static_cast<long>(settings_.channels.size()) : 0);
        stuck_after_ = std::max<std::chrono::milliseconds>(3 * settings_.interval, per_round);
    }

    void start() override { tick(); }

    std::string describe() const override {
        std::string what;
        switch (settings_.kind) {
            case Kind::iio:
                what = "IIO device '" + settings_.name + "'" +
                       (settings_.kernel_label.empty() ? "" : " labelled '" + settings_.kernel_label + "'") +
                       (settings_.bus.empty() ? "" : " on " + settings_.bus);
                break;
            case Kind::hwmon:
                what = "hwmon chip '" + settings_.name + "'" + (settings_.bus.empty() ? "" : " on " + settings_.bus);
                break;
            case Kind::w1: what = "1-Wire thermometers"; break;
        }
        return what + " under " + root_ + ", " + std::to_string(channels_.size()) + " channels every " +
               seconds_text(settings_.interval);
    }

private:
    struct ChannelState {
        Sensor* sensor;
        int failures;
    };

    void tick() {
        timer_.start(settings_.interval);
        if (busy_) {
            // Still reading: never queue a second round behind it.
            if (loop_.now() - busy_since_ > stuck_after_) {
                auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(loop_.now() - busy_since_);
                for (auto& c : channels_)
                    go_offline(c, "the kernel has not answered a read for " + seconds_text(waited) + " (bus hung?)");
            }
            return;
        }
        busy_ = true;
        busy_since_ = loop_.now();
        worker_.submit([source = source_, this]() -> std::function<void()> {
            // Worker thread: only the source is touched here.
            auto results = source->read_all();
            return [this, results = std::move(results)]() { take(results); };
        });
    }

    void take(const std::vector<Result<double>>& results) {
        busy_ = false;
        for (std::size_t i = 0; i < channels_.size() && i < results.size(); ++i) {
            auto& c = channels_[i];
            const auto& r = results[i];
            if (r.ok()) {
                c.failures = 0;
                if (!c.sensor->status().online) spdlog::info("{}: sensor {} is back", id_, c.sensor->id());
                c.sensor->set_status({});
                c.sensor->publish(convert(settings_.channels[i], r.value()));
                continue;
            }
            const auto& e = r.error();
            bool gone = e.code == "missing" || e.code == "ambiguous";
            ++c.failures;
            if (gone || c.failures >= failures_before_offline) {
                std::string reason = e.message;
                if (!gone) reason = std::to_string(c.failures) + " failed reads in a row: " + reason;
                go_offline(c, reason + "; trying again every " + seconds_text(settings_.interval));
            } else {
                spdlog::debug("{}: sensor {}: {} (read {} of {} before offline)", id_, c.sensor->id(), e.message,
                              c.failures, failures_before_offline);
            }
        }
    }

    void go_offline(ChannelState& c, const std::string& reason) {
        // The count of failures changes the message each round; log only the first.
        if (c.sensor->status().online) spdlog::warn("{}: sensor {} offline: {}", id_, c.sensor->id(), reason);
        c.sensor->set_status({false, reason});
    }

    static double convert(const ChannelSettings& c, double abi_value) {
        double v = c.conversion ? abi_value * c.conversion->factor + c.conversion->offset : abi_value;
        return v * c.scale + c.offset;
    }

    std::string id_;
    DeviceSettings settings_;
    std::string root_;
    EventLoop& loop_;
    std::shared_ptr<Source> source_;
    std::vector<ChannelState> channels_;
    bool busy_ = false;
    Clock::time_point busy_since_;
    std::chrono::milliseconds stuck_after_{5000};
    // Last: destroyed first, so no result reaches a half-destroyed device.
    ReadWorker worker_;
    Timer timer_;
};

}  // namespace

std::unique_ptr<Device> create_device(Kind kind, const DeviceConfig& config, DeviceContext& context,
                                      std::shared_ptr<SysfsFiles> files) {
    return std::make_unique<KernelSensorDevice>(config, kind, context, std::move(files));
}

}  // namespace hwb::ksensors
