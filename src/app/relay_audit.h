// The audit lines of relay writes that failed. Successful changes are logged by the server with
// the broadcast; a failure changes nothing a client sees, so without this line a fall-back, max_on
// or failsafe write the hardware refused would leave no trace (issue 18, item 13).
#pragma once

#include "core/channels.h"

namespace hwb::app {

class RelayAudit final : public ChannelObserver {
public:
    void on_relay_failure(const Relay& relay, const RelayFailure& failure) override;
};

}  // namespace hwb::app
