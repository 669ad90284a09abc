#include "app/shutdown.h"

#include <spdlog/spdlog.h>

namespace hwb::app {

Shutdown::Shutdown(Server& server, Channels& channels)
    : server_(server), channels_(channels), deadline_(server.loop(), [this] {
          spdlog::error("{} relay(s) did not confirm their safe state within {} s; stopping anyway", pending_,
                        safe_state_deadline.count());
          server_.stop();
      }) {}

void Shutdown::begin(const std::string& why) {
    if (started_) {
        spdlog::warn("{} again: stopping now", why);
        server_.stop();
        return;
    }
    started_ = true;
    spdlog::info("{}: shutting down", why);
    pending_ = channels_.relays().size() + 1;
    deadline_.start(safe_state_deadline);
    for (const auto& relay : channels_.relays()) {
        relay->apply_safe_state([this, id = relay->id()](const Result<RelayState>& result) {
            if (!result.ok()) spdlog::error("relay {}: safe state not confirmed: {}", id, result.error().message);
            finish_one();
        });
    }
    finish_one();
}

void Shutdown::finish_one() {
    if (pending_ == 0 || --pending_ != 0) return;
    deadline_.cancel();
    server_.stop();
}

}  // namespace hwb::app
