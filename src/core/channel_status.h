#pragma once

#include <string>

namespace hwb {

// Whether a channel's hardware is reachable. Offline channels keep their metadata but carry no
// fresh values; `reason` says why (e.g. "port /dev/ttyUSB0 missing, retrying in 4 s").
struct ChannelStatus {
    bool online = true;
    std::string reason;
};

}  // namespace hwb
