// One serial device: a port, its framing, and the sensors, relays and text channels on it.
//
// States: closed -> (open ok) online -> (EIO / hang-up / write error) offline -> (timer) reopen.
// A failed open is retried with a delay that doubles from reconnect_min to reconnect_max, so a
// missing port costs one open() every few seconds, never a busy loop. While offline every channel
// carries status offline with the reason and the time of the next try.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/driver.h"
#include "serial/complaints.h"
#include "serial/framer.h"
#include "serial/port.h"
#include "serial/port_writer.h"
#include "serial/serial_config.h"
#include "serial/serial_relay.h"
#include "serial/serial_sensor.h"
#include "serial/serial_text.h"

namespace hwb::serial {

class SerialDevice final : public Device, public PortWriter {
public:
    SerialDevice(const DeviceConfig& config, SerialSettings settings, std::unique_ptr<SerialPort> port,
                 DeviceContext& context);
    ~SerialDevice() override;

    void start() override;
    std::string describe() const override;

    const FramerCounters& framer_counters() const { return framer_.counters(); }

private:
    void send(std::string_view bytes, Done done) override;

    void try_open();
    void on_fd_event(FdEvent event);
    void read_available();
    void flush();
    void on_frame(std::string_view frame);
    void disconnect(const std::string& why);
    void go_offline(const std::string& reason);
    void set_status(const ChannelStatus& status);
    void fail_waiters(const Error& error);

    struct Waiter {
        std::uint64_t end = 0;  // done when this many bytes in all were written
        Done done;
    };

    std::string id_;
    SerialSettings settings_;
    std::unique_ptr<SerialPort> port_;
    EventLoop& loop_;
    std::vector<std::unique_ptr<SerialSensor>> sensors_;
    std::vector<std::unique_ptr<SerialRelay>> relays_;
    std::vector<std::unique_ptr<SerialText>> texts_;

    Framer framer_;
    Complaints complaints_;
    std::unique_ptr<FdWatch> watch_;
    std::unique_ptr<FdWatch> retired_watch_;  // a watch cannot be destroyed inside its own callback
    Timer reconnect_;
    Millis backoff_;
    bool ever_online_ = false;
    std::string last_failure_;

    std::string out_;                 // bytes not yet written; out_[0, out_sent_) are done
    std::size_t out_sent_ = 0;
    std::uint64_t total_queued_ = 0;
    std::uint64_t total_written_ = 0;
    std::deque<Waiter> waiters_;

    std::array<char, 16384> read_buffer_{};
};

std::unique_ptr<Device> create_serial_device(const DeviceConfig& config, DeviceContext& context);

}  // namespace hwb::serial
