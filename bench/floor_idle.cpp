// The idle-memory floor: a program that links the same Debian libraries as hwbridge and does the
// least any such daemon does (one libwebsockets context listening on the given port, one YAML
// parse, one log line, one serial port listing, one GPIO chip lookup) and then waits. Its RSS is what those libraries
// cost before any hwbridge code runs. Run by the benchmark's `idle` scenario as
//   hwb-floor-idle MAP --listen HOST:PORT      (the map is ignored)
#include <gpiod.h>
#include <libserialport.h>
#include <libwebsockets.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <csignal>
#include <cstdlib>
#include <string>

namespace {
volatile std::sig_atomic_t stop = 0;
}

int main(int argc, char** argv) {
    std::signal(SIGTERM, [](int) { stop = 1; });
    int port = 0;
    for (int i = 1; i + 1 < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--listen") port = std::atoi(std::string(argv[i + 1]).substr(std::string(argv[i + 1]).rfind(':') + 1).c_str());
    }
    static const lws_protocols protocols[] = {{"http", lws_callback_http_dummy, 0, 0, 0, nullptr, 0},
                                              {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
    lws_context_creation_info info{};
    info.port = port;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    lws_set_log_level(LLL_ERR, nullptr);
    lws_context* context = lws_create_context(&info);
    if (context == nullptr) return 1;
    YAML::Node map = YAML::Load("bridge: {name: floor}");
    // The port the kernel chose for port 0, in the words the daemon launcher waits for.
    if (lws_vhost* vhost = lws_get_vhost_by_name(context, "default")) port = lws_get_vhost_listen_port(vhost);
    spdlog::info("floor: {} listening on http://127.0.0.1:{}", map["bridge"]["name"].as<std::string>(), port);
    sp_port** ports = nullptr;
    if (sp_list_ports(&ports) == SP_OK) sp_free_port_list(ports);
    if (gpiod_chip* chip = gpiod_chip_open("/dev/gpiochip-none")) gpiod_chip_close(chip);  // same in v1 and v2
    while (!stop) lws_service(context, 250);
    lws_context_destroy(context);
    return 0;
}
