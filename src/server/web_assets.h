// The web page's files, embedded at build time (web/embed.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace hwb {

struct WebAsset {
    std::string_view path;  // "/index.html"
    std::string_view body;
};

const std::vector<WebAsset>& web_assets();

}  // namespace hwb
