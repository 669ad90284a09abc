// The benchmark scenarios. Each starts its own daemon (fresh memory figures), drives it from
// this process's single epoll loop, writes its report and returns 0, or 1 when the harness
// itself failed (nothing delivered, the daemon died, clients could not connect).
#pragma once

#include <string>

namespace hwb::bench {

struct Options {
    std::string binary = "build/hwbridge";
    std::string maps = "bench/maps";
    std::string out = "bench/results/latest";
    double duration_s = 5;
    int clients = 1;
    int rate = 1000;          // lines (or requests) per second
    std::string kind = "sensor";  // fan-out: sensor or text
    int count = 1000;         // storm: connections
    int concurrency = 50;     // storm: connections in flight
    int daemon_cpu = 1;       // -1: not pinned
    int generator_cpu = 0;
    int qos = 0;              // mqtt: QoS of the readings
    int channels = 20;        // hub: sensors per remote bridge (--clients: how many bridges)
};

int run_fanout(const Options& o);         // serial (pty) -> N WebSocket clients
int run_text_to_serial(const Options& o); // one WebSocket client -> serial (pty)
int run_relay(const Options& o);          // relay set -> ack round trip (sim relay)
int run_relay_slow_sensors(const Options& o);  // the same while ten 750 ms 1-Wire reads are in flight
int run_relay_modbus(const Options& o);   // the same, beside a Modbus TCP bus whose every request times out
int run_relay_history(const Options& o);  // the same while the history store writes (docs/history.md)
int run_storm(const Options& o);          // connects/disconnects
int run_idle(const Options& o);           // resident memory with no clients
int run_floor_pty(const Options& o);      // the pty pair alone
int run_floor_tcp(const Options& o);      // raw loopback TCP round trip
int run_floor_fanout(const Options& o);   // pty -> N loopback TCP sockets, no bridge
int run_mqtt(const Options& o);
int run_hub(const Options& o);            // N bridges (pty -> hwbridge -> mosquitto) -> a hub -> one client           // serial (pty) -> hwbridge -> mosquitto -> one subscriber

}  // namespace hwb::bench
