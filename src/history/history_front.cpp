#include "history/history_front.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "history/history_store.h"

namespace hwb::history {

namespace {

// Readings waiting for the writer beyond this are dropped (counted): a writer stuck on a dying SD
// card must not eat the memory of the bridge. 20 sensors at 1/s for 2 hours.
constexpr std::size_t max_pending_samples = 150000;
constexpr std::size_t max_pending_events = 10000;
constexpr std::size_t max_queued_queries = 16;
// A query of more than this many years is refused (bad_request).
constexpr std::int64_t max_span_ms = 20LL * 366 * 24 * 3600 * 1000;

std::int64_t steady_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

// The writer thread: runs jobs in order with the store it owns; each job's completion is handed
// back to the loop thread through an eventfd.
class Writer {
public:
    using Completion = std::function<void()>;
    using Job = std::function<Completion(std::unique_ptr<HistoryStore>&)>;

    explicit Writer(EventLoop& loop) : wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (wake_ < 0) throw std::runtime_error("history: cannot create an eventfd");
        watch_ = loop.watch_fd(wake_, [this](FdEvent) { drain(); });
        thread_ = std::thread([this] { run(); });
    }
    ~Writer() {
        finish();
        watch_.reset();
        ::close(wake_);
    }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    void post(Job job) {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(job));
        }
        wanted_.notify_one();
    }
    // Runs the jobs already posted, then stops the thread. Their completions are dropped.
    void finish() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
        }
        wanted_.notify_one();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        std::unique_ptr<HistoryStore> store;
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                wanted_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) break;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            Completion done;
            try {
                done = job(store);
            } catch (const std::exception& e) {
                std::string what = e.what();
                done = [what] { spdlog::error("history: the writer failed: {}", what); };
            }
            if (!done) continue;
            {
                std::lock_guard lock(mutex_);
                completions_.push_back(std::move(done));
            }
            std::uint64_t one = 1;
            [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
        }
    }
    void drain() {
        std::uint64_t count = 0;
        [[maybe_unused]] auto n = ::read(wake_, &count, sizeof count);
        std::deque<Completion> ready;
        {
            std::lock_guard lock(mutex_);
            ready.swap(completions_);
        }
        for (auto& done : ready) done();
    }

    int wake_;
    std::unique_ptr<FdWatch> watch_;
    std::mutex mutex_;
    std::condition_variable wanted_;
    std::deque<Job> jobs_;
    std::deque<Completion> completions_;
    bool stopping_ = false;
    std::thread thread_;
};

struct HistoryFront::Pending {
    std::vector<Sample> samples;
    std::vector<HistoryEvent> events;
};

HistoryFront::HistoryFront(EventLoop& loop)
    : loop_(loop), pending_(std::make_unique<Pending>()), flush_timer_(loop, [this] { flush(); }) {}

HistoryFront::~HistoryFront() {
    *alive_ = false;
    stop();
    if (channels_ != nullptr) channels_->remove_observer(this);
}

void HistoryFront::apply(const DeviceMap& map, Channels& channels) {
    if (channels_ != &channels) {
        if (channels_ != nullptr) channels_->remove_observer(this);
        channels_ = &channels;
        channels.add_observer(this);
    }
    const HistoryConfig& next = map.history;
    std::string path = next.path;
    if (path.empty()) {
        const char* state = std::getenv("STATE_DIRECTORY");  // systemd's StateDirectory=
        // It may list several folders separated by ':'; the first is ours.
        if (state != nullptr && *state != '\0') path = std::string(state).substr(0, std::string(state).find(':')) + "/history.db";
    }
    if (!next.enabled) path.clear();
    const bool first = writer_ == nullptr && path_.empty();
    config_ = next;
    if (first) {
        if (path.empty()) {
            spdlog::info("history: off ({})", next.enabled ? "no history.path and no state directory (StateDirectory=)"
                                                             : "history.enabled is false");
            return;
        }
        open(path);
    } else if (path != path_) {
        spdlog::warn("history: a new history.path or history.enabled takes effect after a restart; still {}",
                     path_.empty() ? std::string("off") : "writing to " + path_);
    }
}

void HistoryFront::open(const std::string& path) {
    path_ = path;
    writer_ = std::make_unique<Writer>(loop_);
    std::weak_ptr<bool> alive = alive_;
    auto failed = failed_;
    writer_->post([this, alive, failed, path](std::unique_ptr<HistoryStore>& store) -> Writer::Completion {
        auto opened = HistoryStore::open(path);
        if (!opened.ok()) {
            failed->store(true);
            std::string message = opened.error().message;
            return [message] {
                spdlog::error("history: {}; the bridge runs on without history (readings and relays are not affected)",
                              message);
            };
        }
        store = std::move(opened).value();
        std::int64_t used = store->used_bytes();
        return [this, alive, path, used] {
            if (alive.expired()) return;
            counters_.used_bytes = used;
            spdlog::info("history: {} (WAL), {} kB in use; raw readings kept {} h, minutes {} d, hours {} d, cap {} MB",
                         path, used / 1024, config_.raw.count() / 3600000, config_.minute.count() / 86400000,
                         config_.hour.count() / 86400000, config_.max_bytes / (1024 * 1024));
        };
    });
    flush_timer_.start(config_.flush);
}

void HistoryFront::stop() {
    flush_timer_.cancel();
    if (writer_ == nullptr) return;
    if (!failed_->load()) flush();
    writer_->finish();
    writer_.reset();
}

void HistoryFront::on_reading(const Sensor& sensor) {
    if (writer_ == nullptr || failed_->load() || !sensor.last()) return;
    const Reading& reading = *sensor.last();
    if (!std::isfinite(reading.value)) return;  // nothing to chart; SQLite would store NULL
    // A sensor's own `history:` key (usually none: the section's spacing).
    std::int64_t spacing = config_.spacing.count();
    if (!config_.channels.empty()) {
        const Retention own = config_.retention(sensor.id());
        if (!own.keep) return;
        spacing = own.spacing.count();
    }
    auto& last = last_kept_[sensor.id()];
    if (last != 0 && reading.time_ms - last < spacing && reading.time_ms >= last) {
        ++counters_.spaced_out;
        return;
    }
    if (pending_->samples.size() >= max_pending_samples) {
        ++counters_.dropped;
        return;
    }
    last = reading.time_ms;
    pending_->samples.push_back(Sample{sensor.id(), reading.time_ms, reading.value});
    ++counters_.recorded;
}

void HistoryFront::on_relay_change(const Relay& relay, const Cause& cause) {
    if (writer_ == nullptr || failed_->load() || pending_->events.size() >= max_pending_events) return;
    if (!relay.transitioned()) return;  // "stays on (lease set)": no change to keep
    std::string why = to_string(cause.kind);
    if (!cause.client.empty()) why += " " + cause.client;
    pending_->events.push_back(HistoryEvent{wall_clock_ms(), relay.id(), "relay", to_string(relay.state()), why});
    ++counters_.events;
}

void HistoryFront::record_audit(const std::string& channel, const std::string& line) {
    if (writer_ == nullptr || failed_->load() || pending_->events.size() >= max_pending_events) return;
    pending_->events.push_back(HistoryEvent{wall_clock_ms(), channel, "audit", line, ""});
    ++counters_.events;
}

void HistoryFront::flush() {
    if (writer_ == nullptr || failed_->load()) return;
    flush_timer_.start(config_.flush);
    // One batch with the writer at a time: a slow disk makes the next batch bigger, not the queue longer.
    if (writing_) return;
    writing_ = true;
    auto batch = std::make_shared<Pending>();
    batch->samples.swap(pending_->samples);
    batch->events.swap(pending_->events);
    std::weak_ptr<bool> alive = alive_;
    auto failed = failed_;
    HistoryConfig config = config_;
    writer_->post([this, alive, failed, batch, config](std::unique_ptr<HistoryStore>& store) -> Writer::Completion {
        if (!store) return {};
        const std::int64_t start = steady_us();
        Status written = store->write(batch->samples, batch->events);
        auto upkeep = written.ok() ? store->maintain(wall_clock_ms(), config)
                                   : Result<HistoryStore::Upkeep>(HistoryStore::Upkeep{});
        const std::int64_t took = steady_us() - start;
        const std::int64_t used = store->used_bytes();
        std::string problem = !written.ok() ? written.error().message : !upkeep.ok() ? upkeep.error().message : "";
        const bool over_cap = upkeep.ok() && upkeep.value().over_cap;
        const std::size_t lost = written.ok() ? 0 : batch->samples.size();
        return [this, alive, took, used, problem, over_cap, lost] {
            if (alive.expired()) return;
            writing_ = false;
            counters_.last_batch_us = took;
            counters_.used_bytes = used;
            if (problem.empty()) {
                ++counters_.batches;
            } else {
                ++counters_.write_errors;
                counters_.dropped += lost;
                // Throttled by nature: one line per batch at most.
                spdlog::error("history: {} ({}); {} readings of this batch are lost; trying again with the next",
                              problem, path_, lost);
            }
            if (over_cap) spdlog::warn("history: {} reached history.max_size; the oldest data is deleted", path_);
        };
    });
}

void HistoryFront::query(HistoryQuery query, std::function<void(Result<HistoryAnswer>)> done) {
    if (writer_ == nullptr || failed_->load())
        return done(Error{"unavailable", path_.empty() ? "history is off on this bridge (docs/history.md)"
                                                       : "the history database is not usable; see the bridge's log"});
    const bool sensor = channels_ != nullptr && channels_->sensor(query.channel) != nullptr;
    const bool relay = channels_ != nullptr && channels_->relay(query.channel) != nullptr;
    if (!sensor && !relay) return done(Error{"unknown_channel", "no sensor or relay '" + query.channel + "'"});
    if (query.from_ms >= query.to_ms || query.to_ms - query.from_ms > max_span_ms || query.step_ms < 0)
        return done(Error{"bad_request", "'from' must be before 'to', at most 20 years apart, and 'step' not negative"});
    if (queries_ >= max_queued_queries)
        return done(Error{"busy", "too many history queries at once; try again in a moment"});
    ++queries_;
    std::weak_ptr<bool> alive = alive_;
    HistoryConfig config = config_;
    auto reply = std::make_shared<std::function<void(Result<HistoryAnswer>)>>(std::move(done));
    writer_->post([this, alive, query, relay, config, reply](std::unique_ptr<HistoryStore>& store) -> Writer::Completion {
        auto answer = std::make_shared<Result<HistoryAnswer>>(Error{"unavailable", "the history database is not open"});
        if (store) *answer = relay ? store->events(query) : store->points(query, wall_clock_ms(), config);
        return [this, alive, answer, reply] {
            if (alive.expired()) return;
            --queries_;
            (*reply)(std::move(*answer));
        };
    });
}

}  // namespace hwb::history
