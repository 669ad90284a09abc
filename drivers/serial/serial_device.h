// One serial device: a port, its framing, and the sensors, relays and text channels on it.
//
// States: closed -> (open ok) settling -> syncing -> ready (online) -> (EIO / hang-up / write
// error) offline -> (timer) reopen. A failed open is retried with a delay that doubles from
// reconnect_min to reconnect_max, so a missing port costs one open() every few seconds, never a
// busy loop. While offline every channel carries status offline with the reason and the time of
// the next try.
//
// After every open, nothing the device sends becomes a reading before the device is ready:
// - settling (`settle`): a board that resets when the port opens is in its bootloader; what it
//   sends is dropped and nothing is written to it;
// - syncing: the first bytes may be the tail of a line the device began before the open, so input
//   is dropped up to the first delimiter (or until the line was quiet for a while: a device that
//   sends nothing unasked). Fixed frames have no delimiter: they start after the first pause.
// Output queued meanwhile (the relays' start-up commands and queries) is written once ready.
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

    std::vector<DeviceCounter> counters() const override;

private:
    void send(std::string_view bytes, Done done) override;

    void try_open();
    void start_sync();
    void sync_quiet();
    void become_ready();
    Millis quiet_time() const;
    void on_fd_event(FdEvent event);
    void read_available();
    void flush();
    void on_frame(std::string_view frame);
    void note_range(SerialSensor& sensor, double value, const char* outcome, std::string_view frame, Clock::time_point now);
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
    enum class Phase : std::uint8_t { closed, settling, syncing, ready };
    Phase phase_ = Phase::closed;
    Timer reconnect_;
    Timer settle_;
    Timer quiet_;                     // syncing: the line was quiet long enough
    Clock::time_point sync_started_{};
    std::uint64_t dropped_on_open_ = 0;
    std::uint64_t discarded_frames_ = 0;  // whole frames no channel could use
    std::uint64_t opens_ = 0;             // the port opened (the first time and after each loss)
    std::uint64_t skipped_before_ = 0;
    std::uint64_t bytes_in_ = 0;         // all bytes read from the port   // framer's skipped count at the last ready  // bytes dropped while settling (and fixed frames while syncing)
    bool modem_lines_warned_ = false;
    bool status_online_ = true;          // what the channels were last told (they start online)
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
