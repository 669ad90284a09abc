#include "modbus/peer.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "launch.h"
#include "support/daemon.h"
#include "support/eventually.h"

namespace hwb::test {

using namespace std::chrono_literals;

namespace {

// A virtual null-modem cable: two linked pseudo-terminals.
pid_t pty_pair(const std::string& a, const std::string& b, const std::string& log) {
    pid_t pid = launch::spawn("/usr/bin/socat", {"pty,raw,echo=0,link=" + a, "pty,raw,echo=0,link=" + b}, log, log);
    struct stat st {};
    if (!eventually([&] { return ::stat(a.c_str(), &st) == 0 && ::stat(b.c_str(), &st) == 0; }, 5000ms))
        throw std::runtime_error("socat made no pty pair: " + launch::read_file(log));
    return pid;
}

}  // namespace

ModbusPeer::ModbusPeer(Mode mode, std::string spec, int corrupt_every) : mode_(mode), spec_(std::move(spec)) {
    char tmpl[] = "/tmp/hwb-modbus-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (mode_ == Mode::rtu) {
        link_ = dir_ + "/bridge";
        peer_end_ = dir_ + "/peer";
        if (corrupt_every > 0) {
            // bridge <-> proxy-a  [flip_proxy.py]  proxy-b <-> peer
            socat_ = pty_pair(link_, dir_ + "/proxy-a", dir_ + "/socat.log");
            socat2_ = pty_pair(dir_ + "/proxy-b", peer_end_, dir_ + "/socat2.log");
            proxy_ = launch::spawn("/usr/bin/python3",
                                   {source_dir() + "/tests/modbus/flip_proxy.py", dir_ + "/proxy-a", dir_ + "/proxy-b",
                                    std::to_string(corrupt_every)},
                                   dir_ + "/proxy.out", dir_ + "/proxy.err");
            if (!eventually([&] { return launch::read_file(dir_ + "/proxy.out").find("proxying") != std::string::npos; }, 10000ms))
                throw std::runtime_error("flip_proxy.py did not start: " + launch::read_file(dir_ + "/proxy.err"));
        } else {
            socat_ = pty_pair(link_, peer_end_, dir_ + "/socat.log");
        }
    }
    start();
}

ModbusPeer::~ModbusPeer() {
    kill();
    if (proxy_ > 0) launch::stop(proxy_, SIGKILL, 2000ms);
    if (socat2_ > 0) launch::stop(socat2_, SIGTERM, 2000ms);
    if (socat_ > 0) launch::stop(socat_, SIGTERM, 2000ms);
    std::string cmd = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
}

void ModbusPeer::start() {
    std::vector<std::string> args{source_dir() + "/tests/modbus/peer.py", "--spec", spec_, "--log", dir_ + "/requests.log"};
    if (mode_ == Mode::tcp) {
        args.insert(args.end(), {"--tcp", std::to_string(port_)});
    } else {
        args.insert(args.end(), {"--rtu", peer_end_});
    }
    std::string out = dir_ + "/peer.out";
    ::unlink(out.c_str());
    pid_ = launch::spawn("/usr/bin/python3", args, out, dir_ + "/peer.err");
    std::string said;
    if (!eventually([&] {
            said = launch::read_file(out);
            return said.find('\n') != std::string::npos;
        }, 15000ms))
        throw std::runtime_error("the pymodbus peer did not start: " + launch::read_file(dir_ + "/peer.err"));
    if (mode_ == Mode::tcp && port_ == 0) port_ = static_cast<std::uint16_t>(std::stoi(said.substr(said.find(' ') + 1)));
}

std::string ModbusPeer::bus_keys() const {
    if (mode_ == Mode::tcp) return "host: 127.0.0.1, tcp_port: " + std::to_string(port_);
    return "port: " + link_;
}

void ModbusPeer::pause() { ::kill(pid_, SIGSTOP); }
void ModbusPeer::resume() { ::kill(pid_, SIGCONT); }

void ModbusPeer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    launch::stop(pid_, SIGKILL, 5000ms);
    pid_ = -1;
}

void ModbusPeer::restart() {
    kill();
    start();
}

std::vector<PeerRequest> ModbusPeer::requests() const {
    std::vector<PeerRequest> out;
    std::istringstream in(launch::read_file(dir_ + "/requests.log"));
    PeerRequest r;
    while (in >> r.unit >> r.function >> r.address >> r.count) out.push_back(r);
    return out;
}

std::size_t ModbusPeer::count(int function, int unit) const {
    std::size_t n = 0;
    for (const auto& r : requests())
        if (r.function == function && (unit < 0 || r.unit == unit)) ++n;
    return n;
}

void ModbusPeer::clear_requests() { std::ofstream(dir_ + "/requests.log", std::ios::trunc); }

}  // namespace hwb::test
