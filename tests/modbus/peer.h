// An independent Modbus peer for the tests: Debian's pymodbus (tests/modbus/peer.py) serving a
// spec of units and registers over loopback TCP, or as RTU over a pseudo-terminal pair made by
// socat (hwbridge opens one end, pymodbus the other). Counts the requests it serves.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace hwb::test {

struct PeerRequest {
    int unit = 0;
    int function = 0;
    int address = 0;
    int count = 0;  // a write: 1; a board's timed pulse: the value (its time in counts)
    bool operator==(const PeerRequest&) const = default;
};
inline std::ostream& operator<<(std::ostream& out, const PeerRequest& r) {
    return out << "{unit " << r.unit << ", function " << r.function << ", address " << r.address << ", count " << r.count << "}";
}

class ModbusPeer {
public:
    enum class Mode { tcp, rtu };
    // `spec`: the JSON of peer.py. TCP on a free loopback port; RTU on a new pty pair. With
    // `corrupt_every` N > 0 (RTU), a proxy between the two (flip_proxy.py) corrupts every Nth answer.
    ModbusPeer(Mode mode, std::string spec, int corrupt_every = 0);
    ~ModbusPeer();
    ModbusPeer(const ModbusPeer&) = delete;
    ModbusPeer& operator=(const ModbusPeer&) = delete;

    std::uint16_t port() const { return port_; }             // TCP
    const std::string& bridge_path() const { return link_; }  // RTU: the end hwbridge opens
    // The map's bus keys for this peer, e.g. "host: 127.0.0.1, tcp_port: 40123".
    std::string bus_keys() const;

    void pause();   // SIGSTOP: the peer stops answering (requests pile up unanswered)
    void resume();  // SIGCONT
    void kill();    // the peer process ends
    void restart(); // the same spec again (TCP: the same port)

    std::vector<PeerRequest> requests() const;
    std::size_t count(int function, int unit = -1) const;
    void clear_requests();

private:
    void start();
    Mode mode_;
    std::string spec_;
    std::string dir_;
    std::string link_;
    std::string peer_end_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    pid_t socat_ = -1;
    pid_t socat2_ = -1;
    pid_t proxy_ = -1;
};

}  // namespace hwb::test
