// EventLoop on top of a libwebsockets context, the server's or the client library's: timers are
// lws_sul entries, watched fds are adopted into the loop as raw file descriptors (a dup, since lws
// closes what it adopts).
#pragma once

#include <libwebsockets.h>

#include <memory>

#include "core/event_loop.h"

namespace hwb {

class LwsLoop final : public EventLoop {
public:
    LwsLoop(lws_context* context, lws_vhost* vhost);
    // Called just before the context is destroyed: timers and watches that outlive it become inert.
    void invalidate();

    Clock::time_point now() const override { return Clock::now(); }
    std::unique_ptr<TimerSlot> make_timer(std::function<void()> on_fire) override;
    std::unique_ptr<FdWatch> watch_fd(int fd, std::function<void(FdEvent)> on_event) override;

    // The lws protocol entry that receives the adopted fds' callbacks; goes into the context's table.
    static constexpr const char* raw_protocol_name = "hwb-raw-fd";
    static int raw_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);

    // Shared with every timer and watch so they can tell whether the context still exists.
    struct Handle {
        lws_context* context;
        lws_vhost* vhost;
    };

private:
    std::shared_ptr<Handle> handle_;
};

}  // namespace hwb
