#include "app/map_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hwb::app {

namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
    return Error{"io", what + " " + path + ": " + std::strerror(err)};
}

std::string folder_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Writes `text` to a new temporary file beside `target`, fsyncs it and renames it over `target`.
Status replace_file(const std::string& target, const std::string& text, mode_t mode) {
    std::string temp = target + ".XXXXXX";
    int fd = mkstemp(temp.data());
    if (fd < 0) return io_error("cannot create a temporary file for", target, errno);
    auto fail = [&](const char* what) {
        int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return io_error(what, temp, err);
    };
    if (fchmod(fd, mode) != 0) return fail("cannot set the mode of");
    std::size_t written = 0;
    while (written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("cannot write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (fsync(fd) != 0) return fail("cannot fsync");
    if (::close(fd) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return io_error("cannot close", temp, err);
    }
    if (std::rename(temp.c_str(), target.c_str()) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return io_error("cannot rename the temporary file over", target, err);
    }
    return {};
}

Status sync_folder(const std::string& folder) {
    int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open folder", folder, errno);
    int rc = fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return io_error("cannot fsync folder", folder, err);
    return {};
}

}  // namespace

std::string map_version(const std::string& text) {
    // FNV-1a, 64 bits: a change detector, not a security measure.
    std::uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    char out[17];
    std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(hash));
    return out;
}

Result<std::string> read_map_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return io_error("cannot read", path, errno);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return io_error("cannot read", path, errno);
    return text.str();
}

Status save_map_file(const std::string& given, const std::string& text) {
    // A symlinked map (e.g. into a config repository) keeps its link: the target is replaced.
    std::string path = given;
    if (char* real = ::realpath(given.c_str(), nullptr)) {
        path = real;
        std::free(real);
    }
    mode_t mode = 0644;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        mode = st.st_mode & 07777;
        auto previous = read_map_file(path);
        if (!previous.ok()) return previous.error();
        if (auto backup = replace_file(path + ".bak", previous.value(), mode); !backup.ok()) return backup;
    } else if (errno != ENOENT) {
        return io_error("cannot stat", path, errno);
    }
    if (auto saved = replace_file(path, text, mode); !saved.ok()) return saved;
    return sync_folder(folder_of(path));
}

}  // namespace hwb::app
