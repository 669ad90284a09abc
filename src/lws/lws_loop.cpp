#include "lws/lws_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace hwb {

namespace {

// Runs a loop callback; nothing may escape into libwebsockets' C code.
template <class F>
void guarded(const char* what, F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        spdlog::error("{} callback failed: {}", what, e.what());
    } catch (...) {
        spdlog::error("{} callback failed with an unknown exception", what);
    }
}

class LwsTimer final : public TimerSlot {
public:
    LwsTimer(std::shared_ptr<LwsLoop::Handle> handle, std::function<void()> on_fire)
        : handle_(std::move(handle)), on_fire_(std::move(on_fire)) {
        entry_.owner = this;
    }
    ~LwsTimer() override { cancel(); }

    void start(std::chrono::microseconds delay) override {
        if (handle_->context == nullptr) return;
        armed_ = true;
        lws_sul_schedule(handle_->context, 0, &entry_.sul, &LwsTimer::fire, delay.count() < 0 ? 0 : delay.count());
    }
    void cancel() override {
        if (!armed_) return;
        armed_ = false;
        if (handle_->context == nullptr) return;
        // lws_sul_cancel, not lws_sul_schedule(..., nullptr, LWS_SET_TIMER_USEC_CANCEL): libwebsockets
        // 4.3 (Debian 13) asserts a non-null callback before it looks at the cancel value.
        lws_sul_cancel(&entry_.sul);
    }
    bool active() const override { return armed_; }

private:
    // Standard-layout holder so the sul can be mapped back to its timer.
    struct Entry {
        lws_sorted_usec_list_t sul{};
        LwsTimer* owner = nullptr;
    };

    static void fire(lws_sorted_usec_list_t* sul) {
        auto* self = lws_container_of(sul, Entry, sul)->owner;
        self->armed_ = false;
        guarded("timer", self->on_fire_);
    }

    std::shared_ptr<LwsLoop::Handle> handle_;
    std::function<void()> on_fire_;
    Entry entry_;
    bool armed_ = false;
};

class LwsFdWatch final : public FdWatch {
public:
    LwsFdWatch(std::shared_ptr<LwsLoop::Handle> handle, int fd, std::function<void(FdEvent)> on_event)
        : handle_(std::move(handle)), on_event_(std::move(on_event)) {
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) throw std::runtime_error(std::string("cannot watch fd: dup failed: ") + std::strerror(errno));
        lws_sock_file_fd_type desc{};
        desc.filefd = copy;
        wsi_ = lws_adopt_descriptor_vhost(handle_->vhost, LWS_ADOPT_RAW_FILE_DESC, desc, LwsLoop::raw_protocol_name, nullptr);
        if (wsi_ == nullptr) {
            // lws closes the descriptor itself when adoption fails.
            throw std::runtime_error("cannot watch fd: libwebsockets refused to adopt it");
        }
        lws_set_wsi_user(wsi_, this);
    }

    ~LwsFdWatch() override {
        if (wsi_ == nullptr || handle_->context == nullptr) return;
        lws_set_wsi_user(wsi_, nullptr);
        lws_set_timeout(wsi_, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }

    void want_writable() override {
        if (wsi_ != nullptr && handle_->context != nullptr) lws_callback_on_writable(wsi_);
    }

    void deliver(FdEvent event) {
        guarded("fd", [&] { on_event_(event); });
    }
    void detach() { wsi_ = nullptr; }

private:
    std::shared_ptr<LwsLoop::Handle> handle_;
    std::function<void(FdEvent)> on_event_;
    lws* wsi_ = nullptr;
};

}  // namespace

LwsLoop::LwsLoop(lws_context* context, lws_vhost* vhost) : handle_(std::make_shared<Handle>(Handle{context, vhost})) {}

void LwsLoop::invalidate() { *handle_ = Handle{nullptr, nullptr}; }

std::unique_ptr<TimerSlot> LwsLoop::make_timer(std::function<void()> on_fire) {
    return std::make_unique<LwsTimer>(handle_, std::move(on_fire));
}

std::unique_ptr<FdWatch> LwsLoop::watch_fd(int fd, std::function<void(FdEvent)> on_event) {
    if (handle_->context == nullptr) throw std::logic_error("watch_fd after the loop stopped");
    return std::make_unique<LwsFdWatch>(handle_, fd, std::move(on_event));
}

int LwsLoop::raw_callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* /*in*/, std::size_t /*len*/) {
    // The watch may already be gone (destroyed while lws still held the wsi): then ignore events.
    auto* watch = static_cast<LwsFdWatch*>(lws_wsi_user(wsi));
    switch (reason) {
        case LWS_CALLBACK_RAW_RX_FILE:
            if (watch != nullptr) watch->deliver(FdEvent::readable);
            return 0;
        case LWS_CALLBACK_RAW_WRITEABLE_FILE:
            if (watch != nullptr) watch->deliver(FdEvent::writable);
            return 0;
        case LWS_CALLBACK_RAW_CLOSE_FILE:
            if (watch != nullptr) {
                watch->detach();
                lws_set_wsi_user(wsi, nullptr);
                watch->deliver(FdEvent::hangup);
            }
            return 0;
        default:
            return 0;
    }
}

}  // namespace hwb
