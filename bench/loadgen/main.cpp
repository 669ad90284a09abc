// hwb-loadgen: the benchmark's load generator and reporter (see docs/performance.md).
//   hwb-loadgen SCENARIO [--binary B] [--maps DIR] [--out DIR] [--duration S] [--clients N]
//               [--rate R] [--kind sensor|text] [--count N] [--concurrency N]
//               [--daemon-cpu C] [--generator-cpu C]
//   SCENARIO: fanout, ws-to-serial, relay, relay-w1, relay-modbus, relay-history, storm, idle, floor-pty, floor-tcp, floor-fanout
//   hwb-loadgen summary DIR
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "daemon_process.h"
#include "report.h"
#include "scenarios.h"

int main(int argc, char** argv) {
    using namespace hwb::bench;
    if (argc < 2) {
        std::fprintf(stderr, "usage: hwb-loadgen SCENARIO [options] | hwb-loadgen summary DIR\n");
        return 2;
    }
    std::string scenario = argv[1];
    try {
        if (scenario == "summary") return argc > 2 ? write_summary(argv[2]) : 2;
        Options o;
        for (int i = 2; i + 1 < argc; i += 2) {
            std::string key = argv[i];
            std::string value = argv[i + 1];
            if (key == "--binary") o.binary = value;
            else if (key == "--maps") o.maps = value;
            else if (key == "--out") o.out = value;
            else if (key == "--duration") o.duration_s = std::stod(value);
            else if (key == "--clients") o.clients = std::stoi(value);
            else if (key == "--rate") o.rate = std::stoi(value);
            else if (key == "--kind") o.kind = value;
            else if (key == "--count") o.count = std::stoi(value);
            else if (key == "--concurrency") o.concurrency = std::stoi(value);
            else if (key == "--daemon-cpu") o.daemon_cpu = std::stoi(value);
            else if (key == "--generator-cpu") o.generator_cpu = std::stoi(value);
            else if (key == "--qos") o.qos = std::stoi(value);
            else if (key == "--channels") o.channels = std::stoi(value);
            else {
                std::fprintf(stderr, "unknown option %s\n", key.c_str());
                return 2;
            }
        }
        // Thousands of sockets, here and in the daemon (which inherits the limit).
        rlimit files{};
        getrlimit(RLIMIT_NOFILE, &files);
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
        pin_to_cpu(o.generator_cpu);
        if (scenario == "fanout") return run_fanout(o);
        if (scenario == "ws-to-serial") return run_text_to_serial(o);
        if (scenario == "relay") return run_relay(o);
        if (scenario == "relay-w1") return run_relay_slow_sensors(o);
        if (scenario == "relay-modbus") return run_relay_modbus(o);
        if (scenario == "relay-history") return run_relay_history(o);
        if (scenario == "storm") return run_storm(o);
        if (scenario == "idle") return run_idle(o);
        if (scenario == "floor-pty") return run_floor_pty(o);
        if (scenario == "floor-tcp") return run_floor_tcp(o);
        if (scenario == "floor-fanout") return run_floor_fanout(o);
        if (scenario == "mqtt") return run_mqtt(o);
        if (scenario == "hub") return run_hub(o);
        std::fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hwb-loadgen %s: %s\n", scenario.c_str(), e.what());
        return 1;
    }
}
