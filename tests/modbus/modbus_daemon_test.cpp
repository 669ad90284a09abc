// Integration: the real hwbridge with `driver: modbus` devices against Debian's pymodbus as the
// peer (peer.py), over loopback TCP and as RTU over a pty pair; real WebSocket clients.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <thread>

#include <signal.h>

#include "launch.h"
#include "modbus/peer.h"
#include "support/daemon.h"
#include "support/eventually.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;
using Mode = ModbusPeer::Mode;

std::unique_ptr<WsClient> connect(const Daemon& d, const std::string& subprotocol, json* hello = nullptr) {
    auto c = std::make_unique<WsClient>(d.port(), subprotocol);
    EXPECT_TRUE(c->ok());
    auto h = c->wait_type("hello");
    EXPECT_TRUE(h);
    if (hello != nullptr && h) *hello = *h;
    return c;
}

json channel_in(const json& hello, const std::string& id) {
    for (const auto& c : hello["channels"])
        if (c["id"] == id) return c;
    return nullptr;
}

auto reading_of(const std::string& id) {
    return [id](const json& m) { return m["type"] == "reading" && m["channel"] == id; };
}
auto status_of(const std::string& id, bool online) {
    return [id, online](const json& m) { return m["type"] == "status" && m["channel"] == id && m["online"] == online; };
}
auto state_of(const std::string& id, const std::string& state) {
    return [id, state](const json& m) { return m["type"] == "state" && m["channel"] == id && m["state"] == state; };
}

// Collects the latest reading of every sensor until each of `ids` has one.
std::map<std::string, json> readings(WsClient& c, const std::vector<std::string>& ids, std::chrono::milliseconds timeout = 5000ms) {
    std::map<std::string, json> got;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.size() < ids.size() && std::chrono::steady_clock::now() < deadline) {
        auto m = c.wait_type("reading", 500ms);
        if (!m) continue;
        std::string id = (*m)["channel"];
        if (std::find(ids.begin(), ids.end(), id) != ids.end()) got[id] = (*m)["value"];
    }
    return got;
}

struct TypedValue {
    const char* type;
    double value;
};
const TypedValue typed_values[] = {
    {"int16", -1234},          {"uint16", 54321},           {"int32", -123456789},       {"uint32", 3000000000.0},
    {"float32", -12.5},        {"int64", -1234567890123.0}, {"uint64", 12345678901234.0}, {"float64", 3.14159265358979},
};
const char* orders[] = {"ABCD", "CDAB", "BADC", "DCBA"};

void every_type_and_order(Mode mode) {
    json values = json::array();
    std::string sensors;
    std::vector<std::string> ids;
    int address = 0;
    for (const auto& tv : typed_values) {
        for (const char* order : orders) {
            std::string id = std::string(tv.type) + "_" + order;
            values.push_back({{"unit", 1}, {"table", "hr"}, {"address", address}, {"type", tv.type}, {"order", order}, {"value", tv.value}});
            sensors += "  - {id: " + id + ", device: m, table: holding, address: " + std::to_string(address) +
                       ", data_type: " + tv.type + ", word_order: " + order + ", interval: 200ms}\n";
            ids.push_back(id);
            address += 4;
        }
    }
    // Input registers, a scale and offset (XY-MD02 style: 0.1 °C), coils and discrete inputs.
    values.push_back({{"unit", 1}, {"table", "ir"}, {"address", 1}, {"type", "int16"}, {"value", -57}});
    sensors += "  - {id: temp, device: m, table: input, address: 1, data_type: int16, scale: 0.1, offset: 1, interval: 200ms}\n"
               "  - {id: coil5, device: m, type: boolean, table: coil, address: 5, interval: 200ms}\n"
               "  - {id: coil6, device: m, type: boolean, table: coil, address: 6, interval: 200ms}\n"
               "  - {id: di7, device: m, type: boolean, table: discrete, address: 7, interval: 200ms}\n";
    ids.insert(ids.end(), {"temp", "coil5", "coil6", "di7"});
    json spec = {{"units", {{"1", {{"co", {{"5", 1}}}, {"di", {{"7", 1}}}}}}}, {"values", values}};
    ModbusPeer peer(mode, spec.dump());
    Daemon daemon("devices:\n  - {id: m, driver: modbus, " + peer.bus_keys() + (mode == Mode::rtu ? ", baud: 115200" : "") +
                  "}\nsensors:\n" + sensors);
    auto c = connect(daemon, "sensor");
    auto got = readings(*c, ids, 10000ms);
    ASSERT_EQ(got.size(), ids.size()) << daemon.log();
    for (const auto& tv : typed_values)
        for (const char* order : orders) {
            std::string id = std::string(tv.type) + "_" + order;
            EXPECT_DOUBLE_EQ(got[id].get<double>(), tv.value) << id;
        }
    EXPECT_NEAR(got["temp"].get<double>(), -4.7, 1e-9);
    EXPECT_EQ(got["coil5"], true);
    EXPECT_EQ(got["coil6"], false);
    EXPECT_EQ(got["di7"], true);
}

TEST(ModbusDaemon, EveryDataTypeAndWordOrderOverTcpMatchesWhatThePeerHolds) { every_type_and_order(Mode::tcp); }
TEST(ModbusDaemon, EveryDataTypeAndWordOrderOverRtuMatchesWhatThePeerHolds) { every_type_and_order(Mode::rtu); }

TEST(ModbusDaemon, RegistersReadAtOneIntervalAreMergedIntoFewRequests) {
    // SDM120-like: six float32 values at 0x00, 0x06, 0x0C, 0x46, 0x48, 0x156 -> 3 reads.
    json values = json::array();
    std::string sensors;
    std::vector<std::string> ids;
    int i = 0;
    for (int address : {0x00, 0x06, 0x0C, 0x46, 0x48, 0x156}) {
        values.push_back({{"table", "ir"}, {"address", address}, {"type", "float32"}, {"value", 100 + i}});
        std::string id = "v" + std::to_string(i++);
        sensors += "  - {id: " + id + ", device: meter, table: input, address: " + std::to_string(address) +
                   ", data_type: float32, interval: 1h}\n";
        ids.push_back(id);
    }
    ModbusPeer peer(Mode::tcp, json{{"units", {{"1", json::object()}}}, {"values", values}}.dump());
    Daemon daemon("devices:\n  - {id: meter, driver: modbus, " + peer.bus_keys() + "}\nsensors:\n" + sensors);
    // One poll of each read (the interval is an hour): the values are in a new client's hello.
    ASSERT_TRUE(eventually([&] { return peer.requests().size() >= 3; }, 5000ms)) << daemon.log();
    json hello;
    auto c = connect(daemon, "sensor", &hello);
    for (int k = 0; k < 6; ++k) {
        std::string id = "v" + std::to_string(k);
        if (channel_in(hello, id)["value"].is_null()) {
            auto r = c->wait_for(reading_of(id));
            ASSERT_TRUE(r);
            EXPECT_EQ((*r)["value"], 100 + k);
        } else {
            EXPECT_EQ(channel_in(hello, id)["value"], 100 + k);
        }
    }
    auto reqs = peer.requests();
    ASSERT_EQ(reqs.size(), 3u);  // one poll each of 3 merged reads (the interval is an hour)
    EXPECT_EQ(reqs[0].function, 4);
    std::vector<std::pair<int, int>> spans;
    for (const auto& r : reqs) spans.emplace_back(r.address, r.count);
    std::sort(spans.begin(), spans.end());
    EXPECT_EQ(spans, (std::vector<std::pair<int, int>>{{0x00, 14}, {0x46, 4}, {0x156, 2}}));
    EXPECT_NE(daemon.log().find("6 sensors in 3 reads"), std::string::npos) << daemon.log();
}

std::string relay_map(const ModbusPeer& peer, const std::string& extra_device = "", const std::string& extra_relays = "") {
    return "devices:\n  - {id: board, driver: modbus, " + peer.bus_keys() + ", timeout: 200ms, offline_after: 2, retry_min: 200ms, retry_max: 400ms" +
           extra_device + "}\n"
           "sensors:\n"
           "  - {id: level, device: board, table: holding, address: 20, interval: 100ms}\n"
           "relays:\n"
           "  - {id: r0, device: board, address: 0, confirm_timeout: 300ms}\n"
           "  - {id: r3, device: board, address: 3, confirm_timeout: 300ms}\n"
           "  - {id: h9, device: board, table: holding, address: 9, on_value: 256, off_value: 512}\n" +
           extra_relays;
}

void relay_write_and_read_back(Mode mode) {
    ModbusPeer peer(mode, json{{"units", {{"1", {{"hr", {{"20", 7}}}}}}}, {"stuck_coils", {{1, 3}}}}.dump());
    Daemon daemon(relay_map(peer));
    json hello;
    auto c = connect(daemon, "relay", &hello);
    // Start-up: every relay written to its initial state (off) and confirmed.
    ASSERT_TRUE(eventually([&] {
        auto log = daemon.log();
        return log.find("relay r0 unknown -> off") != std::string::npos && log.find("relay r3 unknown -> off") != std::string::npos &&
               log.find("relay h9 unknown -> off") != std::string::npos;
    }, 5000ms)) << daemon.log();
    peer.clear_requests();
    c->send_json({{"type", "set"}, {"id", "a"}, {"channel", "r0"}, {"state", "on"}});
    auto ack = c->wait_type("ack");
    ASSERT_TRUE(ack) << daemon.log();
    EXPECT_EQ((*ack)["state"], "on");
    // Written with function 05, confirmed by reading back with 01, in that order.
    auto reqs = peer.requests();
    std::vector<int> functions;
    for (const auto& r : reqs)
        if (r.address == 0 && (r.function == 5 || r.function == 1)) functions.push_back(r.function);
    EXPECT_EQ(functions, (std::vector<int>{5, 1}));

    // A holding-register relay: 06 with on_value, read back with 03.
    c->send_json({{"type", "set"}, {"id", "h"}, {"channel", "h9"}, {"state", "on"}});
    auto ack_h = c->wait_for([](const json& m) { return m["type"] == "ack" && m["id"] == "h"; });
    ASSERT_TRUE(ack_h);
    EXPECT_EQ((*ack_h)["state"], "on");
    EXPECT_EQ(peer.count(6), 1u);
    EXPECT_GE(peer.count(3), 1u);

    // The stuck coil takes the write but keeps reading back off: timeout, state unknown.
    c->send_json({{"type", "set"}, {"id", "s"}, {"channel", "r3"}, {"state", "on"}});
    auto err = c->wait_for([](const json& m) { return m["type"] == "error" && m["id"] == "s"; });
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "timeout");
    EXPECT_NE((*err)["message"].get<std::string>().find("still reads back off"), std::string::npos) << err->dump();
    ASSERT_TRUE(c->wait_for(state_of("r3", "unknown")));
}

TEST(ModbusDaemon, RelayOnACoilIsWrittenThenReadBackOverTcp) { relay_write_and_read_back(Mode::tcp); }
TEST(ModbusDaemon, RelayOnACoilIsWrittenThenReadBackOverRtu) { relay_write_and_read_back(Mode::rtu); }

TEST(ModbusDaemon, PeerStoppedGoesOfflineAndBackOnlineWithoutARelayFlip) {
    ModbusPeer peer(Mode::tcp, json{{"units", {{"1", {{"hr", {{"20", 7}}}}}}}}.dump());
    Daemon daemon(relay_map(peer));
    json hello;
    auto c = connect(daemon, "relay", &hello);
    if (channel_in(hello, "r0")["state"] != "off") {
        ASSERT_TRUE(c->wait_for(state_of("r0", "off")));
    }
    c->send_json({{"type", "set"}, {"id", 1}, {"channel", "r0"}, {"state", "on"}});
    ASSERT_TRUE(c->wait_type("ack"));

    peer.pause();  // stops answering: timeouts
    auto off = c->wait_for(status_of("r0", false), 5000ms);
    ASSERT_TRUE(off) << daemon.log();
    EXPECT_NE((*off)["reason"].get<std::string>().find("timeout"), std::string::npos) << off->dump();
    // Requests while offline are refused at once, nothing queued for later.
    c->send_json({{"type", "set"}, {"id", 2}, {"channel", "r0"}, {"state", "off"}});
    auto refused = c->wait_for([](const json& m) { return m["type"] == "error" && m["id"] == 2; });
    ASSERT_TRUE(refused);
    EXPECT_EQ((*refused)["code"], "offline");

    peer.clear_requests();
    peer.resume();
    ASSERT_TRUE(c->wait_for(status_of("r0", true), 5000ms)) << daemon.log();
    // Back: the state is read (01), never written (05); it is still on.
    ASSERT_TRUE(eventually([&] { return peer.count(1) > 0; }, 2000ms));
    EXPECT_EQ(peer.count(5), 0u);
    auto hello2 = connect(daemon, "relay", &hello);
    EXPECT_EQ(channel_in(hello, "r0")["state"], "on");
    EXPECT_EQ(daemon.log().find("audit: relay r0 on ->"), std::string::npos) << daemon.log();
}

TEST(ModbusDaemon, TcpPeerKilledAndRestartedComesBackOnline) {
    ModbusPeer peer(Mode::tcp, json{{"units", {{"1", {{"hr", {{"20", 7}}}}}}}}.dump());
    Daemon daemon(relay_map(peer));
    auto c = connect(daemon, "sensor");
    ASSERT_TRUE(c->wait_for(reading_of("level")));
    peer.kill();
    ASSERT_TRUE(c->wait_for(status_of("level", false), 5000ms)) << daemon.log();
    peer.restart();
    ASSERT_TRUE(c->wait_for(status_of("level", true), 5000ms)) << daemon.log();
    auto r = c->wait_for(reading_of("level"));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)["value"], 7);
}

TEST(ModbusDaemon, ExceptionAnswerBecomesALocatedReadableError) {
    ModbusPeer peer(Mode::tcp, json{{"size", 100}, {"units", {{"1", {{"ir", {{"1", 5}}}}}}}}.dump());
    Daemon daemon("devices:\n  - {id: m, driver: modbus, " + peer.bus_keys() + "}\n"
                  "sensors:\n"
                  "  - {id: good, device: m, table: input, address: 1, interval: 200ms}\n"
                  "  - {id: bad, device: m, table: input, address: 2000, interval: 200ms}\n");
    json hello;
    auto c = connect(daemon, "sensor", &hello);
    auto off = channel_in(hello, "bad")["online"] == false ? json(channel_in(hello, "bad")) : c->wait_for(status_of("bad", false)).value_or(json());
    ASSERT_FALSE(off.is_null()) << daemon.log();
    std::string reason = off["reason"];
    EXPECT_NE(reason.find("unit 1 input register 2000 (function 04): illegal data address (exception 2)"), std::string::npos) << reason;
    EXPECT_NE(reason.find(daemon.map_path() + ":5:5"), std::string::npos) << reason;
    // The unit answered: it is not offline, the other sensor keeps its readings.
    auto r = c->wait_for(reading_of("good"));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)["value"], 5);
}

TEST(ModbusDaemon, ASilentUnitDoesNotStallTheOtherUnitsOfTheBus) {
    // Unit 9 does not exist: the peer never answers it. Unit 1 keeps its rate.
    ModbusPeer peer(Mode::rtu, json{{"units", {{"1", {{"hr", {{"0", 42}}}}}}}}.dump());
    Daemon daemon("devices:\n  - {id: bus, driver: modbus, " + peer.bus_keys() +
                  ", baud: 115200, timeout: 300ms, offline_after: 2, retry_min: 2s, retry_max: 2s}\n"
                  "sensors:\n"
                  "  - {id: alive, device: bus, table: holding, address: 0, interval: 100ms}\n"
                  "  - {id: silent, device: bus, unit_id: 9, table: holding, address: 0, interval: 100ms}\n");
    auto c = connect(daemon, "sensor");
    auto off = c->wait_for(status_of("silent", false), 5000ms);
    ASSERT_TRUE(off) << daemon.log();
    EXPECT_NE((*off)["reason"].get<std::string>().find("unit 9"), std::string::npos) << off->dump();
    // Over 3 s the silent unit costs one probe timeout every 2 s; the other unit gets > 15 of its 30 polls.
    peer.clear_requests();
    std::this_thread::sleep_for(3000ms);
    EXPECT_GE(peer.count(3, 1), 15u);
    auto alive = c->wait_for(reading_of("alive"));
    ASSERT_TRUE(alive);
    EXPECT_EQ((*alive)["value"], 42);
}

TEST(ModbusDaemon, ReadCommandPrintsRegistersAndExplainsFailures) {
    ModbusPeer peer(Mode::tcp, json{{"units", {{"1", json::object()}}}, {"values", {{{"table", "ir"}, {"address", 0x46}, {"type", "float32"}, {"value", 50}}}}}.dump());
    std::string tcp = "127.0.0.1:" + std::to_string(peer.port());
    auto r = run_hwbridge({"modbus", "read", "--tcp", tcp, "--table", "input", "--register", "70", "--type", "float32"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "   70 (0x0046): 50  [4248 0000]\n");
    auto bad = run_hwbridge({"modbus", "read", "--tcp", tcp, "--table", "input", "--register", "5000"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("illegal data address (exception 2)"), std::string::npos) << bad.err;
    auto silent = run_hwbridge({"modbus", "read", "--tcp", tcp, "--unit", "7", "--timeout", "200"});
    EXPECT_EQ(silent.exit_code, 1);
    EXPECT_NE(silent.err.find("timed out"), std::string::npos) << silent.err;
}

// What `hwbridge --check` says about a map that must be refused, the map's temporary path
// written as "map.yaml" (empty, with a test failure, when the map was taken).
std::string refused(const std::string& map) {
    TempFile file(".yaml", map);
    auto r = run_hwbridge({"--check", file.path()});
    EXPECT_EQ(r.exit_code, 1) << map;
    std::string all = r.exit_code == 1 ? r.out + r.err : std::string();
    for (auto at = all.find(file.path()); at != std::string::npos; at = all.find(file.path(), at))
        all.replace(at, file.path().size(), "map.yaml");
    return all;
}

TEST(ModbusDaemon, MapErrorsAreLocatedWithDidYouMean) {
    std::string all = refused("devices:\n"
                              "  - {id: m, driver: modbus, host: 127.0.0.1}\n"
                              "sensors:\n"
                              "  - {id: s, device: m, table: input, adress: 3}\n"
                              "  - {id: u, device: m, table: inputs, address: 3}\n");
    EXPECT_NE(all.find("map.yaml:4:38: error: unknown key 'adress' in sensor 's'; did you mean 'address'?"), std::string::npos) << all;
    EXPECT_NE(all.find("map.yaml:5:"), std::string::npos) << all;
    EXPECT_NE(all.find("inputs"), std::string::npos) << all;

    // Rules across keys, at the key concerned.
    all = refused("devices:\n"
                  "  - {id: m, driver: modbus, host: 127.0.0.1, baud: 9600}\n"
                  "sensors:\n"
                  "  - {id: t, device: m, table: coil, address: 3, data_type: float32}\n"
                  "relays:\n"
                  "  - {id: r, device: m, address: 1}\n"
                  "  - {id: q, device: m, address: 1}\n");
    EXPECT_NE(all.find("map.yaml:2:52: error: 'baud' applies to RTU"), std::string::npos) << all;
    EXPECT_NE(all.find("map.yaml:4:60: error: 'data_type' applies to registers"), std::string::npos) << all;
    EXPECT_NE(all.find("map.yaml:7:33: error: relay 'r' already uses unit 1 coil 1"), std::string::npos) << all;
}

}  // namespace
}  // namespace hwb::test

namespace hwb::test {
namespace {

TEST(ModbusDaemon, CorruptedAnswersAreCountedCrcErrorsAndNeverAValue) {
    // Every 2nd answer has a flipped bit in its first data byte: without the CRC check the
    // register would read 1234 ^ 0x0100 = 1490 (or similar) now and then.
    ModbusPeer peer(Mode::rtu, json{{"units", {{"1", {{"hr", {{"0", 1234}}}}}}}}.dump(), 2);
    Daemon daemon("devices:\n  - {id: line, driver: modbus, " + peer.bus_keys() +
                  ", baud: 115200, timeout: 200ms, offline_after: 3}\n"
                  "sensors:\n"
                  "  - {id: reg, device: line, table: holding, address: 0, interval: 50ms}\n");
    auto c = connect(daemon, "sensor");
    int readings = 0;
    auto deadline = std::chrono::steady_clock::now() + 2000ms;
    while (std::chrono::steady_clock::now() < deadline) {
        auto m = c->wait_for(reading_of("reg"), 500ms);
        if (!m) continue;
        ++readings;
        EXPECT_EQ((*m)["value"], 1234) << "a corrupted answer became a reading";
    }
    EXPECT_GE(readings, 5);
    auto log = daemon.log();
    EXPECT_NE(log.find("CRC error (Invalid CRC)"), std::string::npos) << log;
    // Never 3 failures in a row: the unit stays online.
    EXPECT_EQ(log.find("offline"), std::string::npos) << log;
    // Counted per device on GET /metrics: about every 2nd request a CRC error, nothing else failed.
    auto page = http_get(daemon.port(), "/metrics");
    ASSERT_EQ(page.status, 200);
    auto crc = metric_value(page.body, "hwbridge_device_errors_total{device=\"line\",driver=\"modbus\",kind=\"crc_error\"}");
    auto requests = metric_value(page.body, "hwbridge_modbus_requests_total{device=\"line\",driver=\"modbus\"}");
    ASSERT_TRUE(crc && requests) << page.body;
    EXPECT_GE(*crc, 2) << page.body;
    EXPECT_GE(*requests, 2 * *crc - 2) << page.body;
    EXPECT_LE(*requests, 2 * *crc + 2) << page.body;
    EXPECT_EQ(metric_value(page.body, "hwbridge_device_errors_total{device=\"line\",driver=\"modbus\",kind=\"timeout\"}"), 0) << page.body;
    EXPECT_EQ(metric_value(page.body, "hwbridge_device_errors_total{device=\"line\",driver=\"modbus\",kind=\"exception\"}"), 0) << page.body;
}

TEST(ModbusDaemon, TimeoutsAndExceptionsAreCountedPerDeviceOnTheMetricsPage) {
    // Unit 1 answers (one address it refuses), unit 9 is not there: timeouts on device `m` only.
    ModbusPeer peer(Mode::tcp, json{{"size", 100}, {"units", {{"1", {{"hr", {{"0", 1}}}}}}}}.dump());
    ModbusPeer other(Mode::tcp, json{{"units", {{"1", {{"hr", {{"0", 2}}}}}}}}.dump());
    Daemon daemon("devices:\n"
                  "  - {id: m, driver: modbus, " + peer.bus_keys() + ", timeout: 100ms, offline_after: 100}\n"
                  "  - {id: n, driver: modbus, " + other.bus_keys() + "}\n"
                  "sensors:\n"
                  "  - {id: good, device: m, table: holding, address: 0, interval: 100ms}\n"
                  "  - {id: bad, device: m, table: holding, address: 500, interval: 100ms}\n"
                  "  - {id: silent, device: m, unit_id: 9, table: holding, address: 0, interval: 100ms}\n"
                  "  - {id: fine, device: n, table: holding, address: 0, interval: 100ms}\n");
    std::optional<double> timeouts, exceptions;
    HttpResponse page;
    ASSERT_TRUE(eventually([&] {
        page = http_get(daemon.port(), "/metrics");
        timeouts = metric_value(page.body, "hwbridge_device_errors_total{device=\"m\",driver=\"modbus\",kind=\"timeout\"}");
        exceptions = metric_value(page.body, "hwbridge_device_errors_total{device=\"m\",driver=\"modbus\",kind=\"exception\"}");
        return timeouts >= 3 && exceptions >= 3;
    }, 10000ms, 200ms)) << page.body << daemon.log();
    EXPECT_GE(metric_value(page.body, "hwbridge_modbus_requests_total{device=\"m\",driver=\"modbus\"}"), *timeouts + *exceptions) << page.body;
    EXPECT_EQ(metric_value(page.body, "hwbridge_device_errors_total{device=\"n\",driver=\"modbus\",kind=\"timeout\"}"), 0) << page.body;
    EXPECT_EQ(metric_value(page.body, "hwbridge_device_errors_total{device=\"n\",driver=\"modbus\",kind=\"exception\"}"), 0) << page.body;
    EXPECT_GT(metric_value(page.body, "hwbridge_modbus_requests_total{device=\"n\",driver=\"modbus\"}"), 0) << page.body;
    EXPECT_NE(page.body.find("# TYPE hwbridge_modbus_requests_total counter"), std::string::npos) << page.body;
}

// Unit 1 with coils 0..7 and the board's timed pulse at 0x0200 + relay in 100 ms counts, over RTU
// at the board's 9600 8N1.
std::string relay_board_spec() { return json{{"units", {{"1", json::object()}}}, {"timed_coils", {{1, 0x0200, 8, 100}}}}.dump(); }

// The relay-board example map as shipped, only the port changed.
std::string relay_board_map(const ModbusPeer& peer) {
    std::string map = launch::read_file(source_dir() + "/config/modbus-relay-board.yaml");
    auto at = map.find("port: /dev/serial/by-id/");
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) map.replace(at, map.find('#', at) - at, "port: " + peer.bridge_path() + "   ");
    return map;
}

// The board's coil as `hwbridge modbus read` sees it (the bridge must not hold the port): 0, 1 or -1.
int board_coil(const ModbusPeer& peer, int coil) {
    auto r = run_hwbridge({"modbus", "read", "--port", peer.bridge_path(), "--table", "coil", "--register", std::to_string(coil),
                           "--timeout", "300"});
    if (r.exit_code != 0) return -1;
    auto colon = r.out.find("): ");
    return colon == std::string::npos ? -1 : r.out[colon + 3] - '0';
}

// Waits for the board's start-up writes (the last relay confirmed off), then switches `channel`
// on: the first two requests the peer saw for it (the write and the read-back), fewer when the
// ack did not come.
std::vector<PeerRequest> board_switch_on(const Daemon& daemon, WsClient& c, ModbusPeer& peer, const std::string& channel) {
    EXPECT_TRUE(eventually([&] { return daemon.log().find("relay ch8 unknown -> off") != std::string::npos; }, 10000ms)) << daemon.log();
    peer.clear_requests();
    c.send_json({{"type", "set"}, {"id", "on-" + channel}, {"channel", channel}, {"state", "on"}});
    auto ack = c.wait_type("ack", 5000ms);
    EXPECT_TRUE(ack) << daemon.log();
    if (!ack || (*ack)["state"] != "on") return {};
    auto reqs = peer.requests();
    reqs.resize(std::min<std::size_t>(reqs.size(), 2));
    return reqs;
}

TEST(ModbusDaemon, RelayBoardExampleMapAgainstAPeerShapedLikeTheBoard) {
    ModbusPeer peer(Mode::rtu, relay_board_spec());
    Daemon daemon(relay_board_map(peer));
    auto c = connect(daemon, "relay");
    // No max_on: a plain write (05 FF00 at coil 4), read back (01).
    EXPECT_EQ(board_switch_on(daemon, *c, peer, "ch5"), (std::vector<PeerRequest>{{1, 5, 4, 1}, {1, 1, 4, 1}}));
    // Interlock from the map: valve B is refused while valve A is on.
    c->send_json({{"type", "set"}, {"id", 2}, {"channel", "ch2"}, {"state", "on"}});
    ASSERT_TRUE(c->wait_for([](const json& m) { return m["type"] == "ack" && m["id"] == 2; }, 5000ms));
    c->send_json({{"type", "set"}, {"id", 3}, {"channel", "ch3"}, {"state", "on"}});
    auto refused = c->wait_for([](const json& m) { return m["type"] == "error" && m["id"] == 3; }, 5000ms);
    ASSERT_TRUE(refused);
    EXPECT_EQ((*refused)["code"], "interlock");
    // A pulse: written as the board's timed pulse (2 x 100 ms at 0x0206), confirmed on by
    // read-back, then off again (by the board, and by the bridge as the second guard).
    peer.clear_requests();
    c->send_json({{"type", "pulse"}, {"id", 4}, {"channel", "ch7"}, {"duration_ms", 200}});
    ASSERT_TRUE(c->wait_for(state_of("ch7", "on"), 5000ms));
    ASSERT_FALSE(peer.requests().empty());
    EXPECT_EQ(peer.requests()[0], (PeerRequest{1, 5, 0x0206, 2})) << "the time in 100 ms counts";
    ASSERT_TRUE(c->wait_for(state_of("ch7", "off"), 5000ms));
    // Shutdown: relays with a safe_state are switched off on the board.
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
    EXPECT_NE(daemon.log().find("relay ch2 on -> off by shutdown"), std::string::npos) << daemon.log();
}

TEST(ModbusDaemon, TheBoardsTimedPulseSwitchesOffEvenWhenTheBridgeIsKilled) {
    ModbusPeer peer(Mode::rtu, relay_board_spec());
    Daemon daemon(relay_board_map(peer));
    auto c = connect(daemon, "relay");
    // The door opener has max_on 5s: switching it on is the board's timed pulse of 50 x 100 ms.
    // Then coil 7 is read back (01).
    ASSERT_EQ(board_switch_on(daemon, *c, peer, "ch8"), (std::vector<PeerRequest>{{1, 5, 0x0207, 50}, {1, 1, 7, 1}}));
    // The bridge dies without a word; the relay is still on, and the board switches it off.
    auto killed = std::chrono::steady_clock::now();
    EXPECT_EQ(daemon.stop(SIGKILL), 128 + SIGKILL);
    EXPECT_EQ(board_coil(peer, 7), 1);
    EXPECT_TRUE(eventually([&] { return board_coil(peer, 7) == 0; }, 15000ms, 200ms)) << "the relay stayed on";
    EXPECT_GE(std::chrono::steady_clock::now() - killed, 3000ms) << "off before the board's time";
}

TEST(ModbusDaemon, BoardPulseMapErrorsAreLocated) {
    std::string all = refused("devices:\n"
                              "  - {id: m, driver: modbus, port: /dev/ttyUSB0}\n"
                              "relays:\n"
                              "  - {id: h, device: m, table: holding, address: 1, board_pulse: 0x0201}\n"
                              "  - {id: l, device: m, address: 2, board_pulse: 0x0202, max_on: 3h}\n"
                              "  - {id: u, device: m, address: 4, board_pulse_unit: 1s}\n"
                              "  - {id: s, device: m, address: 5, board_pulse: 5}\n");
    EXPECT_NE(all.find("map.yaml:4:65: error: 'board_pulse' applies to 'table: coil'"), std::string::npos) << all;
    EXPECT_NE(all.find("map.yaml:5:49: error: the board times at most 65535 x 100 ms = 6553 s, shorter than this relay's max_on (10800 s)"),
              std::string::npos) << all;
    EXPECT_NE(all.find("map.yaml:6:54: error: 'board_pulse_unit' applies only with 'board_pulse'"), std::string::npos) << all;
    EXPECT_NE(all.find("map.yaml:7:49: error: 'board_pulse' must be the address of the board's timed pulse"), std::string::npos) << all;

    all = refused("devices:\n"
                  "  - {id: m, driver: modbus, port: /dev/ttyUSB0}\n"
                  "relays:\n"
                  "  - {id: t, device: m, address: 3, board_puls: 0x0203}\n");
    EXPECT_NE(all.find("map.yaml:4:36: error: unknown key 'board_puls' in relay 't'; did you mean 'board_pulse'?"), std::string::npos) << all;
}

}  // namespace
}  // namespace hwb::test

namespace hwb::test {
namespace {

TEST(ModbusDaemon, ShutdownDoesNotWaitForATransactionUnderWay) {
    // The peer stops answering; the bus waits up to 20 s for an answer. SIGTERM ends the daemon
    // at once: the loop never waits on the bus thread.
    ModbusPeer peer(Mode::tcp, json{{"units", {{"1", {{"hr", {{"0", 1}}}}}}}}.dump());
    Daemon daemon("devices:\n  - {id: m, driver: modbus, " + peer.bus_keys() + ", timeout: 20s}\n"
                  "sensors:\n  - {id: s, device: m, table: holding, address: 0, interval: 100ms}\n");
    auto c = connect(daemon, "sensor");
    ASSERT_TRUE(c->wait_for(reading_of("s")));
    peer.pause();
    ASSERT_TRUE(eventually([&] { return peer.requests().size() >= 1; }, 2000ms));
    std::this_thread::sleep_for(300ms);  // a request is now waiting for its answer
    auto before = std::chrono::steady_clock::now();
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - before, 3000ms) << daemon.log();
    peer.resume();
}

TEST(ModbusDaemon, RtuUnitIdsStopAt247) {
    std::string all = refused("devices:\n"
                              "  - {id: m, driver: modbus, port: /dev/ttyUSB0}\n"
                              "sensors:\n"
                              "  - {id: s, device: m, unit_id: 255, table: input, address: 3}\n");
    EXPECT_NE(all.find("map.yaml:4:33: error: 'unit_id' 255 is not an RTU unit"), std::string::npos) << all;
}

}  // namespace
}  // namespace hwb::test
