#include "ksensors/sysfs_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace hwb::ksensors {
namespace {

class PlainSysfs final : public SysfsFiles {
public:
    explicit PlainSysfs(std::string root) : root_(std::move(root)) {
        while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    }

    const std::string& root() const override { return root_; }

    Result<std::string> read(const std::string& rel) const override {
        std::string path = root_ + "/" + rel;
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail(path, errno);
        std::string out(max_attribute_bytes, '\0');
        std::size_t have = 0;
        int error = 0;
        // sysfs hands an attribute over in one read; a loop keeps plain files and pipes (the
        // tests' slow 1-Wire stand-in) whole as well.
        while (have < out.size()) {
            ssize_t n = ::read(fd, out.data() + have, out.size() - have);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                error = errno;
                break;
            }
            if (n == 0) break;
            have += static_cast<std::size_t>(n);
        }
        ::close(fd);
        if (error != 0) return fail(path, error);
        out.resize(have);
        return out;
    }

    std::vector<std::string> list(const std::string& rel) const override {
        std::vector<std::string> names;
        std::error_code ec;
        std::filesystem::directory_iterator it(root_ + "/" + rel, ec), end;
        for (; !ec && it != end; it.increment(ec)) names.push_back(it->path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

    bool exists(const std::string& rel) const override {
        std::error_code ec;
        return std::filesystem::exists(root_ + "/" + rel, ec);
    }

    std::string resolve(const std::string& rel) const override {
        std::error_code ec;
        auto real = std::filesystem::canonical(root_ + "/" + rel, ec);
        if (ec) return rel;
        auto root = std::filesystem::canonical(root_, ec);
        std::string r = real.string();
        if (!ec && r.rfind(root.string() + "/", 0) == 0) return r.substr(root.string().size() + 1);
        return r;
    }

private:
    static Error fail(const std::string& path, int error) {
        return Error{error == ENOENT ? "missing" : "io", path + ": " + std::strerror(error)};
    }

    std::string root_;
};

}  // namespace

std::shared_ptr<SysfsFiles> make_sysfs(std::string root) { return std::make_shared<PlainSysfs>(std::move(root)); }

}  // namespace hwb::ksensors

namespace hwb::ksensors {

std::string read_attribute(const SysfsFiles& files, const std::string& rel) {
    auto r = files.read(rel);
    if (!r.ok()) return "";
    std::string s = r.value();
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

bool path_has_folder(const std::string& path, const std::string& folder) {
    return ("/" + path + "/").find("/" + folder + "/") != std::string::npos;
}

std::optional<double> parse_number(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (text.empty() || text.size() > 64) return std::nullopt;
    for (char c : text)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E')
            return std::nullopt;
    std::string copy(text);
    char* end = nullptr;
    double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace hwb::ksensors
