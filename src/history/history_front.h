// The history front (docs/history.md): an observer of the core channels, like the WebSocket server
// and the MQTT uplink. On the event loop it only appends readings and relay changes to a batch;
// every `history.flush` the batch goes to a writer thread that owns the SQLite database
// (history_store.h), writes it in one transaction and does a bounded step of upkeep (downsampling,
// retention, size cap). Queries (HistorySource) run on the same thread; their answers come back to
// the loop through an eventfd. A database that cannot be opened or written is logged and history is
// off: relays and readings never wait for it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/history.h"
#include "core/history_config.h"

namespace hwb::history {

class Writer;

class HistoryFront final : public HistorySource, private ChannelObserver {
public:
    explicit HistoryFront(EventLoop& loop);
    ~HistoryFront() override;
    HistoryFront(const HistoryFront&) = delete;
    HistoryFront& operator=(const HistoryFront&) = delete;

    // At start and after every map reload. The first call opens the database (history.path, else
    // $STATE_DIRECTORY/history.db); later calls take new retention settings (a new path needs a
    // restart). `channels` must outlive the front or the next apply.
    void apply(const DeviceMap& map, Channels& channels);
    // Shutdown: the last batch is written, then the writer stops (bounded wait).
    void stop();
    // An audit line worth keeping (map apply, sign-in): kept as an event of kind "audit".
    void record_audit(const std::string& channel, const std::string& line);

    void query(HistoryQuery query, std::function<void(Result<HistoryAnswer>)> done) override;

    // "ok", "off" or "failed" and why; for the log and the metrics.
    bool active() const { return writer_ != nullptr && !failed_->load(); }
    const std::string& path() const { return path_; }

    struct Counters {
        std::uint64_t recorded = 0;     // readings put into a batch
        std::uint64_t spaced_out = 0;   // readings closer than history.spacing to the last one kept
        std::uint64_t dropped = 0;      // readings lost: the writer was behind, or a batch failed
        std::uint64_t batches = 0;      // batches written
        std::uint64_t write_errors = 0;
        std::uint64_t events = 0;
        std::int64_t last_batch_us = 0; // time the writer took for the last batch and its upkeep
        std::int64_t used_bytes = 0;    // of the database, after the last upkeep
    };
    const Counters& counters() const { return counters_; }

private:
    void on_reading(const Sensor& sensor) override;
    void on_relay_change(const Relay& relay, const Cause& cause) override;
    void open(const std::string& path);
    void flush();

    EventLoop& loop_;
    Channels* channels_ = nullptr;
    HistoryConfig config_;
    std::string path_;
    std::unique_ptr<Writer> writer_;
    std::shared_ptr<std::atomic<bool>> failed_ = std::make_shared<std::atomic<bool>>(false);
    struct Pending;
    std::unique_ptr<Pending> pending_;
    std::map<std::string, std::int64_t> last_kept_;  // per sensor: time of the last reading kept
    Timer flush_timer_;
    bool writing_ = false;       // a batch is with the writer
    std::size_t queries_ = 0;    // queries with the writer
    Counters counters_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hwb::history
