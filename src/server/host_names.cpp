#include "server/host_names.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "server/map_api.h"

namespace hwb {

namespace {

constexpr auto machine_names_refresh = std::chrono::seconds(10);

bool host_char(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; }

bool digits(std::string_view s) {
    return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string HostNames::host_of(std::string_view header) {
    std::string h = ascii_lower(header);
    if (h.empty() || h.size() > 255) return "";
    if (h.front() == '[') {
        auto close = h.find(']');
        if (close == std::string::npos) return "";
        std::string rest = h.substr(close + 1);
        if (!rest.empty() && (rest[0] != ':' || !digits(std::string_view(rest).substr(1)))) return "";
        std::string inner = h.substr(1, close - 1);
        in6_addr v6{};
        return inet_pton(AF_INET6, inner.c_str(), &v6) == 1 ? inner : "";
    }
    auto colon = h.find(':');
    if (colon != std::string::npos) {
        if (!digits(std::string_view(h).substr(colon + 1))) return "";
        h.resize(colon);
    }
    if (!h.empty() && h.back() == '.') h.pop_back();
    if (h.empty() || !std::all_of(h.begin(), h.end(), [](unsigned char c) { return host_char(c); })) return "";
    return h;
}

void HostNames::configure(const std::string& listen_host, std::vector<std::string> allowed) {
    listen_host_ = ascii_lower(listen_host);
    if (!listen_host_.empty() && listen_host_.front() == '[' && listen_host_.back() == ']')
        listen_host_ = listen_host_.substr(1, listen_host_.size() - 2);
    allowed_.clear();
    for (auto& name : allowed) {
        std::string n = ascii_lower(name);
        if (!n.empty() && n.back() == '.') n.pop_back();
        allowed_.push_back(std::move(n));
    }
    read_once_ = false;
}

void HostNames::read_machine_names() {
    machine_.clear();
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') {
        std::string host = ascii_lower(name);
        machine_.insert(host);
        // The short name's mDNS name (avahi on a Pi: raspberrypi.local).
        std::string short_name = host.substr(0, host.find('.'));
        machine_.insert(short_name);
        machine_.insert(short_name + ".local");
    }
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
        for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
            if (it->ifa_addr == nullptr) continue;
            char text[INET6_ADDRSTRLEN] = {};
            if (it->ifa_addr->sa_family == AF_INET) {
                inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(it->ifa_addr)->sin_addr, text, sizeof(text));
            } else if (it->ifa_addr->sa_family == AF_INET6) {
                inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(it->ifa_addr)->sin6_addr, text, sizeof(text));
            } else {
                continue;
            }
            machine_.insert(text);
        }
        freeifaddrs(list);
    }
}

bool HostNames::known(const std::string& host) const {
    if (map_api::is_loopback_host(host) || map_api::is_loopback(host)) return true;
    if (host == "localhost.localdomain" || (host.size() > 10 && host.ends_with(".localhost"))) return true;
    if (!listen_host_.empty() && host == listen_host_) return true;
    if (machine_.count(host) != 0) return true;
    for (const auto& name : allowed_) {
        if (name == host) return true;
        if (name.rfind("*.", 0) == 0 && host.size() > name.size() - 1 && host.ends_with(name.substr(1))) return true;
    }
    return false;
}

bool HostNames::allowed(std::string_view header, Clock::time_point now) {
    std::string host = host_of(header);
    if (host.empty()) return false;
    if (!read_once_) {
        read_machine_names();
        read_at_ = now;
        read_once_ = true;
    }
    if (known(host)) return true;
    if (now - read_at_ < machine_names_refresh) return false;
    read_machine_names();
    read_at_ = now;
    return known(host);
}

}  // namespace hwb
