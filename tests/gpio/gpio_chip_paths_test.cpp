// Which /dev entries --list-gpio and a chip's label lookup go through: every chip once, in number order.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "gpio/gpio_backend.h"

namespace hwb::test {
namespace {

struct FakeDev {
    std::filesystem::path dir;
    FakeDev() {
        dir = std::filesystem::temp_directory_path() / ("hwb-fake-dev-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    ~FakeDev() { std::filesystem::remove_all(dir); }
    void node(const std::string& name) { std::ofstream(dir / name) << ""; }
    void link(const std::string& name, const std::string& target) { std::filesystem::create_symlink(target, dir / name); }
    std::vector<std::string> paths() const {
        std::vector<std::string> names;
        for (const auto& p : gpio::chip_device_paths(dir)) names.push_back(std::filesystem::path(p).filename().string());
        return names;
    }
};

TEST(GpioChipPaths, ChipsAreListedInNumberOrderNotNameOrder) {
    FakeDev dev;
    dev.node("gpiochip10");
    dev.node("gpiochip2");
    dev.node("gpiochip0");
    dev.node("gpiochip");       // not a chip
    dev.node("gpiochipX");      // not a chip
    EXPECT_EQ(dev.paths(), (std::vector<std::string>{"gpiochip0", "gpiochip2", "gpiochip10"}));
}

TEST(GpioChipPaths, RaspberryPiOsLinkToTheHeaderChipIsListedOnce) {
    // Pi 5 on Raspberry Pi OS: the RP1 chip is gpiochip0, and gpiochip4 links to it for old programs.
    FakeDev dev;
    dev.node("gpiochip0");
    dev.node("gpiochip1");
    dev.link("gpiochip4", "gpiochip0");
    EXPECT_EQ(dev.paths(), (std::vector<std::string>{"gpiochip0", "gpiochip1"}));
}

TEST(GpioChipPaths, LinkWhoseChipIsNotListedStillCounts) {
    FakeDev dev;
    std::filesystem::create_directories(dev.dir / "real");
    dev.node("real/chip");
    dev.link("gpiochip7", "real/chip");
    dev.link("gpiochip8", "missing");  // a dangling link is no chip
    EXPECT_EQ(dev.paths(), (std::vector<std::string>{"gpiochip7"}));
}

}  // namespace
}  // namespace hwb::test
