// The web page's files, embedded at build time (web/embed.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace hwb {

struct WebAsset {
    std::string_view path;  // "/index.html"
    std::string_view body;
    std::string_view gzip;  // the body gzip-compressed at build time; empty when that is not smaller
    std::string_view etag;  // from the body's SHA-256, without quotes (a strong validator)
};

const std::vector<WebAsset>& web_assets();

}  // namespace hwb
