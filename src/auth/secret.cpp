#include "auth/secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "auth/crypto.h"

namespace hwb::auth {

namespace {

Error secret_error(const std::string& path, const std::string& what) { return Error{"secret", path + ": " + what}; }

std::string trimmed(std::string text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

Status create_secret_file(const std::string& path, bool group_readable) {
    std::string text = hex(random_bytes(32)) + "\n";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, group_readable ? 0640 : 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return secret_error(path, "exists already; a new secret would invalidate every token signed with it "
                                      "(remove the file first if that is what you want)");
        return secret_error(path, std::string("cannot create: ") + std::strerror(errno));
    }
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        return secret_error(path, std::string("cannot write: ") + std::strerror(saved));
    }
    return {};
}

Result<std::string> read_secret_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return secret_error(path, std::string("cannot read the secret file: ") + std::strerror(errno));
    struct stat st {};
    std::string text;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::read(fd, buffer, sizeof(buffer))) > 0 && text.size() < 65536) text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!S_ISREG(st.st_mode)) return secret_error(path, "the secret file is not a regular file");
    if ((st.st_mode & S_IROTH) != 0)
        return secret_error(path, "the secret file is readable by every user; chmod o-r it (0600 or 0640)");
    text = trimmed(std::move(text));
    if (text.size() < min_secret_chars)
        return secret_error(path, "the secret is shorter than " + std::to_string(min_secret_chars) +
                                      " characters; create one with 'hwbridge token --init-secret FILE'");
    return text;
}

Result<std::string> read_configured_secret(const AuthConfig& auth) {
    if (auth.secret_file.empty()) return std::string();
    auto secret = read_secret_file(auth.secret_file);
    if (secret.ok()) return secret;
    return Error{"secret", auth.secret_file_where.str() + ": error: " + secret.error().message};
}

}  // namespace hwb::auth
