#include "gpio/gpio_backend.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>

namespace hwb::gpio {

std::vector<std::string> chip_device_paths(const std::filesystem::path& dev) {
    // Raspberry Pi OS adds links such as /dev/gpiochip4 -> gpiochip0 (for programs written when the
    // Pi 5's header chip was number 4): a link to a chip already listed is the same chip, listed once.
    std::vector<std::pair<unsigned long, std::string>> found;
    std::vector<std::pair<unsigned long, std::filesystem::path>> links;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dev, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("gpiochip", 0) != 0 || name.size() == 8) continue;
        std::string digits = name.substr(8);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        std::error_code link_ec;
        if (entry.is_symlink(link_ec)) {
            links.emplace_back(std::stoul(digits), entry.path());
            continue;
        }
        found.emplace_back(std::stoul(digits), entry.path().string());
    }
    for (auto& [number, link] : links) {
        std::error_code link_ec;
        auto target = std::filesystem::canonical(link, link_ec);
        // Same inode, by stat(): std::filesystem::equivalent of g++ 12 reports an error for two device
        // nodes (the C++17 wording before LWG 2937) instead of comparing them.
        struct stat link_stat {};
        bool listed = !link_ec && ::stat(target.c_str(), &link_stat) == 0 &&
                      std::any_of(found.begin(), found.end(), [&](const auto& f) {
                          struct stat node_stat {};
                          return ::stat(f.second.c_str(), &node_stat) == 0 && node_stat.st_dev == link_stat.st_dev &&
                                 node_stat.st_ino == link_stat.st_ino;
                      });
        if (!listed && !link_ec) found.emplace_back(number, link.string());  // a link to a chip elsewhere
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> paths;
    for (auto& f : found) paths.push_back(std::move(f.second));
    return paths;
}

std::string chip_path_for(const std::string& chip) {
    if (!chip.empty() && chip.front() == '/') return chip;
    if (chip.rfind("gpiochip", 0) == 0 && std::filesystem::exists("/dev/" + chip)) return "/dev/" + chip;
    return {};
}

Result<std::unique_ptr<Chip>> open_chip(const std::string& chip, const ChipOpener& open) {
    if (std::string path = chip_path_for(chip); !path.empty()) {
        auto opened = open(path);
        if (!opened) return Error{"not_found", "cannot open GPIO chip " + path + ": " + std::strerror(errno)};
        return opened;
    }
    for (const auto& path : chip_device_paths()) {
        auto candidate = open(path);
        if (candidate && candidate->label() == chip) return candidate;
    }
    return Error{"not_found", "no GPIO chip named or labelled '" + chip + "'"};
}

Result<std::vector<ChipInfo>> list_chips(const ChipOpener& open) {
    std::vector<ChipInfo> chips;
    for (const auto& path : chip_device_paths()) {
        auto chip = open(path);
        if (!chip) return Error{"hardware", "cannot open " + path + ": " + std::strerror(errno)};
        ChipInfo info{chip->name(), chip->label(), path, {}};
        for (unsigned i = 0; i < chip->line_count(); ++i) {
            auto line = chip->line_info(i);
            if (!line.ok()) return line.error();
            info.lines.push_back(line.value());
        }
        chips.push_back(std::move(info));
    }
    return chips;
}

std::string describe_line(const Chip& chip, unsigned offset, const std::string& line_name) {
    std::string out = "line ";
    if (!line_name.empty()) out += line_name + " (offset " + std::to_string(offset) + ")";
    else out += std::to_string(offset);
    return out + " of " + chip.name() + " '" + chip.label() + "'";
}

Error busy_error(const Chip& chip, unsigned offset, const LineInfo& info) {
    std::string holder = info.consumer.empty() ? "another program" : "'" + info.consumer + "'";
    return Error{"busy", describe_line(chip, offset, info.name) + " is busy: already held by " + holder};
}

}  // namespace hwb::gpio
