// One Modbus bus (an RTU line or a TCP connection) driven by its own I/O thread.
//
// Why a thread: libmodbus calls block until the answer or the timeout, and the event loop must
// never wait on a transaction. The loop thread submits requests to a queue; the bus thread takes
// them one at a time (a Modbus bus carries one transaction at a time anyway: the master asks,
// one unit answers), runs them with libmodbus, and hands each result back through a second queue
// and an eventfd watched by the loop, whose callback delivers them on the loop thread. Relay
// writes go ahead of polls in the queue. Nothing else is shared: libmodbus state lives in the bus
// thread only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/event_loop.h"
#include "modbus/modbus_config.h"
#include "modbus/plan.h"

namespace hwb::modbus {

struct BusRequest {
    // timed: a relay board's timed pulse, function 05 with `value` (a time, not FF00/0000) to
    // `timed_address`, echoed by the unit; then the coil at `address` is read back.
    enum class Kind : std::uint8_t { read, write, timed };
    Kind kind = Kind::read;
    int unit = 1;
    Table table = Table::holding;
    std::uint16_t address = 0;
    std::uint16_t count = 1;   // read
    std::uint16_t value = 0;   // write: register value, or 0/1 for a coil
    std::uint16_t timed_address = 0;  // timed
    bool read_back = false;    // write: read the same address afterwards
    bool urgent = false;       // ahead of queued polls
    std::uint64_t tag = 0;     // the caller's
};

enum class Failure : std::uint8_t {
    none,
    timeout,    // no answer in time
    crc,        // a frame with a bad checksum
    bad_frame,  // an answer that does not fit the request
    exception,  // the unit answered with a Modbus exception
    link,       // the port or connection could not be opened, or failed
};
const char* to_string(Failure failure);

struct BusResult {
    std::uint64_t tag = 0;
    Failure failure = Failure::none;
    int exception = 0;        // the Modbus exception code, for Failure::exception
    std::string message;      // libmodbus' words for the failure
    bool written = false;     // write: the unit acknowledged the write (a failure is then the read-back's)
    std::vector<std::uint16_t> values;  // registers, or bits as 0/1
    Clock::time_point at{};
};

// "illegal data address" for exception 2, "exception 12" for unknown codes.
std::string exception_name(int code);

class Bus {
public:
    using OnResult = std::function<void(BusResult)>;
    Bus(std::string device_id, BusSettings settings, EventLoop& loop, OnResult on_result);
    // Never waits for the bus: the thread is told to stop and left to finish the transaction under
    // way on its own (at most one `timeout`), then it closes the port and ends. No result reaches
    // the loop after this.
    ~Bus();
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    void submit(BusRequest request);  // loop thread
    std::size_t queued() const;

    // Blocking, for `hwbridge modbus read`: one read on a fresh connection.
    static BusResult read_once(const BusSettings& settings, const BusRequest& request);

private:
    // What the loop thread and the bus thread share; the last of the two to let go frees it.
    struct Shared {
        ~Shared();
        BusSettings settings;
        int event_fd = -1;
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<BusRequest> requests;
        std::vector<BusResult> results;
        bool stop = false;
    };
    static void run(std::shared_ptr<Shared> shared);
    void deliver();

    std::string device_id_;
    OnResult on_result_;
    std::shared_ptr<Shared> shared_;
    std::unique_ptr<FdWatch> watch_;
};

}  // namespace hwb::modbus
