// The audit lines of relay writes that no request asked for and that failed (lease fall-back,
// max_on, pulse end, failsafe, shutdown). A request's failure is audited by the door with the
// request; a failed automatic write changes nothing a client sees, so without this line it would
// leave no trace (issue 18, item 13).
#pragma once

#include "core/channels.h"

namespace hwb::app {

class RelayAudit final : public ChannelObserver {
public:
    void on_relay_failure(const Relay& relay, const RelayFailure& failure) override;
};

}  // namespace hwb::app
