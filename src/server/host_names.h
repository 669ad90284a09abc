// The names this bridge answers to (docs/security.md, "DNS rebinding"). A foreign web page can
// make its own name resolve to the bridge's address; the browser then sends that foreign name in
// Host, and the Origin it sends matches it. So every request, HTTP or WebSocket upgrade, must
// name the bridge in Host: a loopback name or literal, the listen address, an address of one of
// the machine's interfaces, the machine's host name and its `.local` name, or a name listed in
// bridge.allowed_hosts. Anything else is refused (421) before any handler runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_loop.h"

namespace hwb {

class HostNames {
public:
    // `listen_host` as in the map; `allowed` from bridge.allowed_hosts ("name" or "*.suffix").
    void configure(const std::string& listen_host, std::vector<std::string> allowed);

    // Host header value ("pi.local:8080", "[::1]:8080", "192.168.1.20"): true when it names us.
    // A name not known yet re-reads the machine's names and addresses (at most every 10 s: an
    // interface may have got a new address since the start).
    bool allowed(std::string_view host_header, Clock::time_point now);

    // The host part of a Host header, lower case, without port, brackets or trailing dot;
    // "" when it is not a well-formed host[:port].
    static std::string host_of(std::string_view host_header);

private:
    bool known(const std::string& host) const;
    void read_machine_names();

    std::string listen_host_;
    std::vector<std::string> allowed_;
    std::set<std::string> machine_;  // host name(s), .local name, interface addresses
    Clock::time_point read_at_{};
    bool read_once_ = false;
};

}  // namespace hwb
