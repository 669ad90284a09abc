// GET /metrics on the real daemon: the page passes `promtool check metrics` (Prometheus' linter,
// from Debian's `prometheus` package), carries what an operator looks for (sensor values with
// their unit, relay states, switches by cause, requests by answer, clients), and a real Prometheus
// server scraping the bridge on loopback reads a relay's state back through its query API.
#include <netinet/in.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "metrics_page.h"
#include "support/daemon.h"
#include "support/eventually.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

const char* const metrics_map = R"(devices:
  - id: bench
    driver: sim
sensors:
  - id: level
    device: bench
    unit: "°C"
    signal: constant
    low: 21.5
    rate: 20
relays:
  - id: pump
    device: bench
    latency: 0ms
  - id: "fan"
    device: bench
    latency: 0ms
)";

bool has_line(const std::string& page, const std::string& line) {
    return page.find("\n" + line + "\n") != std::string::npos;
}

void switch_pump_on(std::uint16_t port) {
    WsClient relay(port, "relay");
    ASSERT_TRUE(relay.ok());
    ASSERT_TRUE(relay.wait_type("hello"));
    relay.send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}});
    auto ack = relay.wait_for([](const json& m) { return m.value("id", json()) == 1; });
    ASSERT_TRUE(ack);
    ASSERT_EQ((*ack)["type"], "ack");
    relay.send_json({{"type", "set"}, {"id", 2}, {"channel", "nope"}, {"state", "on"}});
    ASSERT_TRUE(relay.wait_for([](const json& m) { return m.value("id", json()) == 2; }));
}

TEST(Metrics, PagePassesPromtoolAndCarriesChannelsRelaysAndRequests) {
    Daemon daemon(metrics_map);
    switch_pump_on(daemon.port());
    WsClient watcher(daemon.port(), "sensor");  // one client connected while the page is read
    ASSERT_TRUE(watcher.wait_type("hello"));
    HttpResponse r;
    ASSERT_TRUE(eventually([&] {
        r = http_get(daemon.port(), "/metrics");
        return r.status == 200 && r.body.find("hwbridge_sensor_value{") != std::string::npos;
    }, 8000ms, 150ms)) << r.status << " " << r.body;
    EXPECT_NE(r.head.find("text/plain; version=0.0.4"), std::string::npos) << r.head;
    const std::string page = "\n" + r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_sensor_value{channel=\"level\",unit=\"°C\"} 21.5")) << r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_relay_state{channel=\"pump\",state=\"on\"} 1")) << r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_relay_state{channel=\"fan\",state=\"on\"} 0")) << r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_relay_switches_total{channel=\"pump\",cause=\"client\"} 1")) << r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_relay_requests_total{result=\"ok\"} 1")) << r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_relay_requests_total{result=\"unknown_channel\"} 1")) << r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_clients{subprotocol=\"sensor\"} 1")) << r.body;
    EXPECT_TRUE(has_line(page, "hwbridge_channel_online{kind=\"relay\",channel=\"pump\"} 1")) << r.body;
    EXPECT_NE(page.find("\nprocess_resident_memory_bytes "), std::string::npos);
    EXPECT_NE(page.find("\nhwbridge_event_loop_lag_seconds_bucket{le=\"+Inf\"} "), std::string::npos);

    auto [status, output] = promtool_check(r.body);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "") << output;  // no lint remarks either
}

std::uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

TEST(Metrics, ARealPrometheusScrapesTheBridgeAndAnswersAQuery) {
    Daemon daemon(metrics_map);
    switch_pump_on(daemon.port());
    char folder[] = "/tmp/hwb-prometheus-XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr);
    const std::string dir = folder;
    {
        std::ofstream config(dir + "/prometheus.yml");
        config << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
                  "  - job_name: hwbridge\n    static_configs:\n      - targets: ['127.0.0.1:"
               << daemon.port() << "']\n";
    }
    const std::uint16_t port = free_port();
    const std::string log_path = dir + "/prometheus.log";
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    const std::string storage = "--storage.tsdb.path=" + dir + "/data";
    const std::string config = "--config.file=" + dir + "/prometheus.yml";
    int out = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(out, 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, out, 2);
    char* argv[] = {const_cast<char*>("prometheus"), const_cast<char*>(config.c_str()), const_cast<char*>(storage.c_str()),
                    const_cast<char*>(listen.c_str()), nullptr};
    pid_t pid = -1;
    const int spawned = posix_spawnp(&pid, "prometheus", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out);
    ASSERT_EQ(spawned, 0) << "prometheus (Debian package prometheus) could not be started";
    // Whatever happens below, the server goes with the test.
    struct Stop {
        pid_t pid;
        ~Stop() {
            kill(pid, SIGTERM);
            int status = 0;
            waitpid(pid, &status, 0);
        }
    };
    auto stop = std::unique_ptr<Stop>(new Stop{pid});
    json answer;
    bool found = eventually(
        [&] {
            HttpResponse r;
            try {
                r = http_get(port, "/api/v1/query?query=hwbridge_relay_state%7Bchannel%3D%22pump%22%2Cstate%3D%22on%22%7D");
            } catch (const std::exception&) {
                return false;  // not listening yet
            }
            if (r.status != 200) return false;
            answer = json::parse(r.body, nullptr, false);
            return answer.is_object() && answer["data"]["result"].size() == 1;
        },
        30000ms, 150ms);
    std::string targets;
    if (!found) {
        try {
            targets = http_get(port, "/api/v1/targets").body;
        } catch (const std::exception&) {
        }
    }
    stop.reset();
    std::string log;
    {
        std::ifstream in(log_path);
        log.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(found) << answer.dump() << "\n" << targets << "\n" << log;
    EXPECT_EQ(answer["data"]["result"][0]["value"][1], "1");
    EXPECT_EQ(answer["data"]["result"][0]["metric"]["job"], "hwbridge");
}

}  // namespace
}  // namespace hwb::test
