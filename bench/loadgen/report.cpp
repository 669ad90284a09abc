#include "report.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace hwb::bench {

using nlohmann::json;

void Timeline::record(std::int64_t at_us, std::int64_t latency_us) {
    if (at_us < start_us_) return;
    auto slot = static_cast<std::size_t>((at_us - start_us_) / 10000);
    if (slot >= slots_.size()) slots_.resize(slot + 1);
    slots_[slot].max_us = std::max(slots_[slot].max_us, latency_us);
    ++slots_[slot].count;
}

void Timeline::write(const std::string& path) const {
    std::ofstream out(path);
    out << "# t_s\tmax_latency_ms\tmessages\n";
    for (std::size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].count > 0)
            out << static_cast<double>(i) / 100.0 << '\t' << static_cast<double>(slots_[i].max_us) / 1000.0 << '\t'
                << slots_[i].count << '\n';
}

json latency_json(const Histogram& h) {
    return {{"samples", h.count()},          {"mean", std::round(h.mean())},   {"p50", h.percentile(0.5)},
            {"p90", h.percentile(0.9)},      {"p99", h.percentile(0.99)},      {"p99_9", h.percentile(0.999)},
            {"max", h.max()}};
}

void write_report(const std::string& dir, const json& result, const Histogram& latency, const Timeline* timeline) {
    const std::string name = result.at("name");
    std::ofstream(dir + "/results.jsonl", std::ios::app) << result.dump() << '\n';
    if (latency.count() > 0) {
        std::ofstream cdf(dir + "/" + name + ".cdf.tsv");
        cdf << "# latency_ms\tfraction_at_or_below\n";
        latency.for_each_bucket([&](std::uint64_t us, double fraction) {
            cdf << static_cast<double>(us) / 1000.0 << '\t' << fraction << '\n';
        });
    }
    if (timeline) timeline->write(dir + "/" + name + ".timeline.tsv");
}

namespace {

std::string ms(const json& latency, const char* key) {
    if (!latency.contains(key)) return "–";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", latency[key].get<double>() / 1000.0);
    return buf;
}

std::string num(const json& r, const char* key, const char* fmt = "%.0f") {
    if (!r.contains(key) || r[key].is_null()) return "–";
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, r[key].get<double>());
    return buf;
}

std::string mb(const json& r, const char* key) {
    if (!r.contains(key)) return "–";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", r[key].get<double>() / 1024.0);
    return buf;
}

struct Target {
    std::string name;
    std::string what;
    bool met;
    std::string measured;
};

}  // namespace

int write_summary(const std::string& dir) {
    std::ifstream in(dir + "/results.jsonl");
    std::vector<json> results;
    std::map<std::string, json> by_name;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        json r = json::parse(line);
        by_name[r["name"]] = r;
        results.push_back(r);
    }
    // The floor: the pty one way plus half a TCP round trip, percentile by percentile.
    json floor_pty, floor_tcp;
    for (const auto& r : results) {
        if (r["scenario"] == "floor-pty" && (floor_pty.is_null() || r["rate"] == 1000)) floor_pty = r;
        if (r["scenario"] == "floor-tcp" && (floor_tcp.is_null() || r["rate"] == 1000)) floor_tcp = r;
    }
    auto floor_of = [&](const json& r, const char* key) -> double {
        if (floor_pty.is_null() || floor_tcp.is_null()) return 0;
        double tcp = floor_tcp["latency_us"][key].get<double>();
        if (r["scenario"] == "relay-rtt" || r["scenario"] == "relay-rtt-w1" ||
            r["scenario"] == "relay-rtt-modbus-timeouts" ||
            r["scenario"] == "relay-rtt-history") return tcp;
        if (r["scenario"] == "fanout" || r["scenario"] == "ws-to-serial")
            return floor_pty["latency_us"][key].get<double>() + tcp / 2;
        return 0;
    };

    std::ostringstream md;
    md << "# hwbridge benchmark results\n\n";
    md << "Latencies in ms (one monotonic clock: the generator stamps each line or request, the client reads the stamp "
          "back). CPU in % of one core over the sending phase, RSS in MB (highest sampled VmRSS). "
          "`×floor` is p50 / p99 divided by the floor of the same run (pty one way + half a loopback TCP round "
          "trip; for the relay, a full TCP round trip).\n\n";
    md << "| scenario | delivered / expected | loss % | dup | out of order | closed by server | p50 | p90 | p99 | p99.9 | "
          "max | CPU % | RSS MB | ×floor p50 / p99 |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& r : results) {
        json lat = r.value("latency_us", json::object());
        std::string ratio = "–";
        double f50 = floor_of(r, "p50"), f99 = floor_of(r, "p99");
        if (f50 > 0 && f99 > 0 && lat.contains("p50")) {
            char buf[48];
            std::snprintf(buf, sizeof buf, "%.1f / %.1f", lat["p50"].get<double>() / f50, lat["p99"].get<double>() / f99);
            ratio = buf;
        }
        std::string delivered = r.contains("expected")
                                    ? std::to_string(r["delivered"].get<std::uint64_t>()) + " / " +
                                          std::to_string(r["expected"].get<std::uint64_t>())
                                    : "–";
        md << "| " << r["name"].get<std::string>() << (r.contains("error") ? " (**" + r["error"].get<std::string>() + "**)" : "")
           << " | " << delivered << " | " << num(r, "loss_percent", "%.2f") << " | " << num(r, "duplicates") << " | "
           << num(r, "out_of_order") << " | " << num(r, "clients_closed_by_server") << " | " << ms(lat, "p50") << " | "
           << ms(lat, "p90") << " | " << ms(lat, "p99") << " | " << ms(lat, "p99_9") << " | " << ms(lat, "max") << " | "
           << num(r, "cpu_percent", "%.1f") << (r.contains("cpu_sys_percent") ? " (" + num(r, "cpu_sys_percent", "%.0f") + " sys)" : "")
           << " | " << mb(r, "rss_max_kb") << " | " << ratio << " |\n";
    }

    std::vector<Target> targets;
    auto check = [&](const std::string& name, const std::string& what, auto pred, auto measured) {
        auto it = by_name.find(name);
        if (it == by_name.end()) return;
        targets.push_back({name, what, pred(it->second), measured(it->second)});
    };
    auto loss = [](const json& r) { return r.value("lost", 1) == 0; };
    auto p99 = [](const json& r) { return r["latency_us"].value("p99", 1e12); };
    auto fmt = [](const char* f, double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, f, v);
        return std::string(buf);
    };
    auto mem = [&](const json& r, const char* rss) {
        return fmt("%.1f MB", r.value(rss, 0.0) / 1024) + fmt(" (PSS %.1f MB", r.value("pss_kb", 0.0) / 1024) +
               fmt(", anonymous %.1f MB)", r.value("anon_kb", 0.0) / 1024);
    };
    for (const char* kind : {"sensor", "text"}) {
        std::string k = kind;
        check("fanout-" + k + "-c100-r1000", "zero loss", loss, [&](const json& r) { return fmt("%.0f lost", r.value("lost", 0.0)); });
        check("fanout-" + k + "-c100-r1000", "p99 ≤ 3 ms", [&](const json& r) { return p99(r) <= 3000; },
              [&](const json& r) { return fmt("%.3f ms", p99(r) / 1000); });
        check("fanout-" + k + "-c100-r1000", "CPU ≤ 40 %", [](const json& r) { return r.value("cpu_percent", 100.0) <= 40; },
              [&](const json& r) {
                  std::string text = fmt("%.1f %%", r.value("cpu_percent", 0.0)) + fmt(" (%.0f %% in the kernel)", r.value("cpu_sys_percent", 0.0));
                  auto floor = by_name.find("floor-fanout-c100-r1000");
                  if (floor != by_name.end())
                      text += fmt("; fan-out floor %.1f %%", floor->second.value("cpu_percent", 0.0));
                  return text;
              });
        check("fanout-" + k + "-c100-r1000", "RSS ≤ 8 MB", [](const json& r) { return r.value("rss_max_kb", 1e9) <= 8192; },
              [&](const json& r) { return mem(r, "rss_max_kb"); });
        check("fanout-" + k + "-c1000-r100", "zero loss", loss, [&](const json& r) { return fmt("%.0f lost", r.value("lost", 0.0)); });
        check("fanout-" + k + "-c1000-r100", "RSS ≤ 16 MB", [](const json& r) { return r.value("rss_max_kb", 1e9) <= 16384; },
              [&](const json& r) { return mem(r, "rss_max_kb"); });
        check("fanout-" + k + "-c1-r10000", "zero loss", loss, [&](const json& r) { return fmt("%.0f lost", r.value("lost", 0.0)); });
        check("fanout-" + k + "-c1-r10000", "p99 ≤ 1 ms", [&](const json& r) { return p99(r) <= 1000; },
              [&](const json& r) { return fmt("%.3f ms", p99(r) / 1000); });
    }
    for (const auto& r : results) {
        if (r["scenario"] == "relay-rtt" || r["scenario"] == "relay-rtt-modbus-timeouts")
            check(r["name"], "request → ack p99 ≤ 0.5 ms", [&](const json& x) { return p99(x) <= 500; },
                  [&](const json& x) { return fmt("%.3f ms", p99(x) / 1000); });
        if (r["scenario"] == "relay-rtt-w1")
            check(r["name"], "request → ack p99 ≤ 0.5 ms with 10 slow 1-Wire reads in flight",
                  [&](const json& x) { return p99(x) <= 500; }, [&](const json& x) { return fmt("%.3f ms", p99(x) / 1000); });
        if (r["scenario"] == "relay-rtt-history")
            check(r["name"], "request → ack p99 ≤ 0.5 ms while the history store writes",
                  [&](const json& x) { return p99(x) <= 500; }, [&](const json& x) { return fmt("%.3f ms", p99(x) / 1000); });
        if (r["scenario"] == "idle")
            check(r["name"], "idle RSS ≤ 5 MB", [](const json& x) { return x.value("rss_kb", 1e9) <= 5120; },
                  [&](const json& x) { return mem(x, "rss_kb"); });
    }
    md << "\n## Targets\n\n| scenario | target | measured | met |\n|---|---|---|---|\n";
    for (const auto& t : targets)
        md << "| " << t.name << " | " << t.what << " | " << t.measured << " | " << (t.met ? "yes" : "**no**") << " |\n";
    md << "\n## Floor of this machine (same run)\n\n";
    for (const auto* f : {&floor_pty, &floor_tcp})
        if (!f->is_null())
            md << "- " << (*f)["name"].get<std::string>() << ": p50 " << ms((*f)["latency_us"], "p50") << " ms, p99 "
               << ms((*f)["latency_us"], "p99") << " ms, p99.9 " << ms((*f)["latency_us"], "p99_9") << " ms\n";
    for (const auto& r : results)
        if (r["scenario"] == "floor-idle")
            md << "- floor-idle (the same libraries and a listening libwebsockets context, no hwbridge code): RSS "
               << mb(r, "rss_kb") << " MB, PSS " << mb(r, "pss_kb") << " MB, anonymous " << mb(r, "anon_kb") << " MB\n";
    for (const auto& r : results)
        if (r["scenario"] == "floor-fanout")
            md << "- " << r["name"].get<std::string>() << " (pty → one send() per message per TCP client, no bridge): CPU "
               << num(r, "cpu_percent", "%.1f") << " % (" << num(r, "cpu_sys_percent", "%.1f") << " % in the kernel)\n";
    std::ofstream(dir + "/summary.md") << md.str();
    std::fputs(md.str().c_str(), stdout);
    return 0;
}

}  // namespace hwb::bench
