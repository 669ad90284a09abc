#include "modbus/bus.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <modbus.h>

#include "serial/port_finder.h"

namespace hwb::modbus {

const char* to_string(Failure failure) {
    switch (failure) {
        case Failure::none: return "ok";
        case Failure::timeout: return "timeout";
        case Failure::crc: return "CRC error";
        case Failure::bad_frame: return "bad answer";
        case Failure::exception: return "exception";
        case Failure::link: return "link down";
    }
    return "?";
}

std::string exception_name(int code) {
    switch (code) {
        case 1: return "illegal function";
        case 2: return "illegal data address";
        case 3: return "illegal data value";
        case 4: return "device failure";
        case 5: return "acknowledge (busy with a long command)";
        case 6: return "device busy";
        case 8: return "memory parity error";
        case 10: return "gateway path unavailable";
        case 11: return "gateway target did not respond";
        default: return "exception " + std::to_string(code);
    }
}

namespace {

// libmodbus on one bus: a context made at connect (a USB match may name another path each
// time), closed after link failures so the next request reconnects.
class Link {
public:
    explicit Link(const BusSettings& settings) : s_(settings) {}
    ~Link() { close(); }
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;

    BusResult execute(const BusRequest& r) {
        BusResult out;
        out.tag = r.tag;
        if (ctx_ == nullptr && !connect(out)) {
            out.at = Clock::now();
            return out;
        }
        modbus_set_slave(ctx_, r.unit);
        if (r.kind == BusRequest::Kind::timed) {
            if (!timed_write(r, out)) {
                out.at = Clock::now();
                return out;
            }
            out.written = true;
        } else if (r.kind == BusRequest::Kind::write) {
            int rc = r.table == Table::coil ? modbus_write_bit(ctx_, r.address, r.value != 0 ? 1 : 0)
                                            : modbus_write_register(ctx_, r.address, r.value);
            if (rc < 0) {
                fail(out, errno);
                out.at = Clock::now();
                return out;
            }
            out.written = true;
            if (!r.read_back) {
                out.at = Clock::now();
                return out;
            }
        }
        read(r.kind == BusRequest::Kind::read ? r.count : 1, r, out);
        out.at = Clock::now();
        return out;
    }

    void close() {
        if (ctx_ != nullptr) {
            modbus_close(ctx_);
            modbus_free(ctx_);
            ctx_ = nullptr;
        }
    }

private:
    bool connect(BusResult& out) {
        std::string where;
        if (s_.tcp()) {
            ctx_ = modbus_new_tcp_pi(s_.host->c_str(), std::to_string(s_.tcp_port).c_str());
            where = s_.name();
        } else {
            std::string path;
            if (s_.path) {
                path = *s_.path;
            } else {
                auto found = serial::find_port(*s_.usb);
                if (!found.ok()) {
                    out.failure = Failure::link;
                    out.message = found.error().message;
                    return false;
                }
                path = found.value();
            }
            ctx_ = modbus_new_rtu(path.c_str(), s_.baud, s_.parity, s_.data_bits, s_.stop_bits);
            where = "port " + path;
        }
        if (ctx_ == nullptr) {
            out.failure = Failure::link;
            out.message = where + ": " + modbus_strerror(errno);
            return false;
        }
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(s_.timeout).count();
        modbus_set_response_timeout(ctx_, static_cast<std::uint32_t>(us / 1000000), static_cast<std::uint32_t>(us % 1000000));
        // Between two bytes of one answer: a frame arrives in one piece, so the same bound suffices.
        modbus_set_byte_timeout(ctx_, static_cast<std::uint32_t>(us / 1000000), static_cast<std::uint32_t>(us % 1000000));
        if (modbus_connect(ctx_) < 0) {
            int e = errno;
            out.failure = Failure::link;
            out.message = where + ": " + (e == ENOENT ? std::string("missing") : modbus_strerror(e));
            modbus_free(ctx_);
            ctx_ = nullptr;
            return false;
        }
        if (!s_.tcp() && s_.rs485 && modbus_rtu_set_serial_mode(ctx_, MODBUS_RTU_RS485) < 0) {
            int e = errno;
            out.failure = Failure::link;
            out.message = where + ": the port refuses RS-485 mode (" + modbus_strerror(e) + "); remove 'rs485: true' for adapters that switch direction themselves";
            close();
            return false;
        }
        return true;
    }

    // libmodbus writes a coil only as FF00/0000: the timed pulse goes out as a raw request, and
    // its answer must be the request's echo (or an exception).
    bool timed_write(const BusRequest& r, BusResult& out) {
        const std::uint8_t request[6] = {static_cast<std::uint8_t>(r.unit), 0x05,
                                         static_cast<std::uint8_t>(r.timed_address >> 8), static_cast<std::uint8_t>(r.timed_address & 0xff),
                                         static_cast<std::uint8_t>(r.value >> 8), static_cast<std::uint8_t>(r.value & 0xff)};
        if (modbus_send_raw_request(ctx_, request, sizeof request) < 0) {
            fail(out, errno);
            return false;
        }
        std::uint8_t answer[MODBUS_MAX_ADU_LENGTH];
        int n = modbus_receive_confirmation(ctx_, answer);
        if (n < 0) {
            fail(out, errno);
            return false;
        }
        int pdu = modbus_get_header_length(ctx_);  // the function code's offset; the unit is just before it
        if (n > pdu + 1 && answer[pdu] == (0x05 | 0x80) && answer[pdu + 1] >= 1 && answer[pdu + 1] <= 11) {
            fail(out, static_cast<int>(MODBUS_ENOBASE) + answer[pdu + 1]);
            return false;
        }
        if (n < pdu + 5 || answer[pdu - 1] != request[0] || std::memcmp(answer + pdu, request + 1, 5) != 0) {
            out.failure = Failure::bad_frame;
            out.message = "the answer to the timed pulse is not its echo";
            modbus_flush(ctx_);
            return false;
        }
        return true;
    }

    void read(int count, const BusRequest& r, BusResult& out) {
        int rc = -1;
        if (is_bit(r.table)) {
            std::vector<std::uint8_t> bits(static_cast<std::size_t>(count));
            rc = r.table == Table::coil ? modbus_read_bits(ctx_, r.address, count, bits.data())
                                        : modbus_read_input_bits(ctx_, r.address, count, bits.data());
            if (rc == count) out.values.assign(bits.begin(), bits.end());
        } else {
            out.values.resize(static_cast<std::size_t>(count));
            rc = r.table == Table::holding ? modbus_read_registers(ctx_, r.address, count, out.values.data())
                                           : modbus_read_input_registers(ctx_, r.address, count, out.values.data());
            if (rc != count) out.values.clear();
        }
        if (rc < 0) {
            fail(out, errno);
        } else if (rc != count) {
            out.failure = Failure::bad_frame;
            out.message = "answer with " + std::to_string(rc) + " values for " + std::to_string(count) + " asked";
        }
    }

    void fail(BusResult& out, int e) {
        out.message = modbus_strerror(e);
        if (e == ETIMEDOUT) {
            out.failure = Failure::timeout;
            modbus_flush(ctx_);  // a late answer must not be taken for the next one
        } else if (e == EMBBADCRC) {
            out.failure = Failure::crc;
            modbus_flush(ctx_);
        } else if (e > MODBUS_ENOBASE && e <= MODBUS_ENOBASE + 11) {
            out.failure = Failure::exception;
            out.exception = e - MODBUS_ENOBASE;
            out.message = exception_name(out.exception);
        } else if (e == EMBBADDATA || e == EMBBADEXC || e == EMBMDATA || e == EMBBADSLAVE || e == EMBUNKEXC) {
            out.failure = Failure::bad_frame;
            if (s_.host) {
                // TCP: an answer to an earlier, timed-out request (a peer that caught up) puts the
                // stream out of step; answers may still be on their way, so a flush is not enough.
                // A new connection starts clean.
                close();
            } else {
                modbus_flush(ctx_);
            }
        } else {
            out.failure = Failure::link;
            close();
        }
    }

    const BusSettings& s_;
    modbus_t* ctx_ = nullptr;
};

}  // namespace

Bus::Shared::~Shared() {
    if (event_fd >= 0) ::close(event_fd);
}

Bus::Bus(std::string device_id, BusSettings settings, EventLoop& loop, OnResult on_result)
    : device_id_(std::move(device_id)), on_result_(std::move(on_result)), shared_(std::make_shared<Shared>()) {
    shared_->settings = std::move(settings);
    shared_->event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (shared_->event_fd < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    watch_ = loop.watch_fd(shared_->event_fd, [this](FdEvent e) {
        if (e == FdEvent::readable) deliver();
    });
    std::thread(run, shared_).detach();
}

Bus::~Bus() {
    watch_.reset();
    {
        std::lock_guard lock(shared_->mutex);
        shared_->stop = true;
        shared_->requests.clear();
    }
    shared_->wake.notify_all();
}

void Bus::submit(BusRequest request) {
    {
        std::lock_guard lock(shared_->mutex);
        auto& q = shared_->requests;
        if (request.urgent) {
            auto it = q.begin();
            while (it != q.end() && it->urgent) ++it;
            q.insert(it, std::move(request));
        } else {
            q.push_back(std::move(request));
        }
    }
    shared_->wake.notify_one();
}

std::size_t Bus::queued() const {
    std::lock_guard lock(shared_->mutex);
    return shared_->requests.size();
}

void Bus::run(std::shared_ptr<Shared> shared) {
    Link link(shared->settings);
    const auto gap = shared->settings.effective_gap();
    Clock::time_point last_end{};
    for (;;) {
        BusRequest request;
        {
            std::unique_lock lock(shared->mutex);
            shared->wake.wait(lock, [&] { return shared->stop || !shared->requests.empty(); });
            if (shared->stop) return;
            request = std::move(shared->requests.front());
            shared->requests.pop_front();
        }
        // RTU: the line must be silent between two frames, else units read them as one.
        if (gap.count() > 0) std::this_thread::sleep_until(last_end + gap);
        BusResult result = link.execute(request);
        last_end = Clock::now();
        {
            std::lock_guard lock(shared->mutex);
            if (shared->stop) return;
            shared->results.push_back(std::move(result));
        }
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(shared->event_fd, &one, sizeof one);
    }
}

void Bus::deliver() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(shared_->event_fd, &count, sizeof count);
    std::vector<BusResult> results;
    {
        std::lock_guard lock(shared_->mutex);
        results.swap(shared_->results);
    }
    for (auto& r : results) on_result_(std::move(r));
}

BusResult Bus::read_once(const BusSettings& settings, const BusRequest& request) {
    Link link(settings);
    return link.execute(request);
}

}  // namespace hwb::modbus
